"""The virtual assistant end to end: a citizen's signed WhatsApp message accepted by the webhook,
drained, answered by the engine, the reply sent to the local Graph server.

    python benchmarks/chatbot.py [--citizens 40] [--seconds 20]

What runs, all on this machine (loopback only):
- a fresh PostgreSQL database `ascolto_bench_chatbot` (at $BENCH_POSTGRES_URL or
  postgres://postgres@127.0.0.1:5432), migrated, with a WhatsApp channel answered by a published
  menu (a submenu, cards, a link);
- the local Graph server (`channels/adapters/meta/sandbox.py`) in this process;
- gunicorn (2 workers, gthread) serving the webhook (see `served.py`), `drain_inbound --loop`
  and `db_worker` (the replies are sent by the task `assistant.tasks.send_replies`);
- one thread per citizen: it posts a signed delivery of its next message (menu, letters,
  "indietro", a question) and waits until the Graph server received the bot's last reply to it,
  then writes the next one.

A turn's latency is from just before its webhook is posted to the moment the Graph server
recorded the reply. It prints turns per second and p50, p90, p99, max of the latency.
Budget (issue 14): >= 300 turns/s and p99 <= 200 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import threading
import time

import served

sys.path.insert(0, str(served.ROOT / "src"))

from ascolto.channels.adapters.meta.sandbox import GraphSandbox  # noqa: E402
from ascolto.channels.adapters.meta.signature import sign  # noqa: E402

DATABASE = "ascolto_bench_chatbot"
APP_SECRET = "bench-meta-app-secret"  # noqa: S105 (a throwaway secret of this run)
PHONE_NUMBER_ID = "1234567890"
SCRIPT = ["ciao", "A", "A", "indietro", "B", "menu", "carta d'identità", "C"]

SETUP = """
from ascolto.assistant import menus
from ascolto.assistant.models import MenuNode
from ascolto.channels.models import Channel
from ascolto.knowledge.models import Article
channel = Channel(kind="whatsapp", code="whatsapp", name="WhatsApp", config={
    "phone_number_id": "PHONE_NUMBER_ID", "assistant_menu": "comune",
})
channel.full_clean()  # the configuration completed with its defaults, as the admin does
channel.save()
article = Article.objects.create(slug="cie", title="Carta d'identità elettronica",
    summary="Su appuntamento all'anagrafe.", body="...", keywords="carta identità")
draft = menus.new_menu("comune", "Menu del Comune")
a = MenuNode.objects.create(version=draft, letter="A", label="Anagrafe", kind="submenu")
MenuNode.objects.create(version=draft, parent=a, letter="A", label="Carta d'identità",
    kind="card", article=article)
MenuNode.objects.create(version=draft, parent=a, letter="B", label="Certificati", kind="link",
    url="https://www.comune.example.it/certificati")
MenuNode.objects.create(version=draft, letter="B", position=2, label="TARI", kind="card",
    text="Due rate: 16 aprile, 16 novembre.")
MenuNode.objects.create(version=draft, letter="C", position=3, label="Numeri utili",
    kind="handoff", handoff="phone", phone="020202")
menus.publish(draft)
""".replace("PHONE_NUMBER_ID", PHONE_NUMBER_ID)


def delivery(wa_id: str, text: str, n: int) -> bytes:
    message = {
        "from": wa_id,
        "id": f"wamid.BENCH-{wa_id}-{n}",
        "timestamp": str(int(time.time())),
        "type": "text",
        "text": {"body": text},
    }
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "390200000000", "phone_number_id": PHONE_NUMBER_ID},
        "contacts": [{"profile": {"name": "Bench"}, "wa_id": wa_id}],
        "messages": [message],
    }
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
    }
    return json.dumps(body).encode()


class Replies:
    """How many messages the Graph server sent to each number, read as they arrive."""

    def __init__(self, sandbox: GraphSandbox) -> None:
        self.sandbox = sandbox
        self.seen = 0
        self.counts: dict[str, int] = {}
        self.lock = threading.Lock()

    def count(self, wa_id: str) -> int:
        with self.lock:
            requests = self.sandbox.requests
            for request in requests[self.seen :]:
                to = (request.body or {}).get("to") if isinstance(request.body, dict) else None
                if to:
                    self.counts[to] = self.counts.get(to, 0) + 1
            self.seen = len(requests)
            return self.counts.get(wa_id, 0)


class Citizen(threading.Thread):
    def __init__(self, i: int, port: int, replies: Replies, until: float) -> None:
        super().__init__(daemon=True)
        self.wa_id = f"39333{i:07d}"
        self.port, self.replies, self.until = port, replies, until
        self.latencies: list[float] = []
        self.lost = 0

    def run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        n = 0
        while time.monotonic() < self.until:
            text = SCRIPT[n % len(SCRIPT)]
            body = delivery(self.wa_id, text, n)
            before = self.replies.count(self.wa_id)
            start = time.monotonic()
            connection.request("POST", "/webhooks/meta/whatsapp/", body, {
                "Content-Type": "application/json",
                "X-Hub-Signature-256": sign(APP_SECRET, body),
            })  # fmt: skip
            connection.getresponse().read()
            # Wait for the last reply of this turn (the greeting comes with the menu).
            while self.replies.count(self.wa_id) <= before:
                if time.monotonic() - start > 10:
                    self.lost += 1
                    break
                time.sleep(0.002)
            else:
                self.latencies.append(time.monotonic() - start)
            n += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--citizens", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=20.0)
    options = parser.parse_args()

    sandbox = GraphSandbox().start()
    env = served.app_env(
        DATABASE,
        ASCOLTO_META_GRAPH_URL=sandbox.url,
        ASCOLTO_WHATSAPP_TOKEN=sandbox.token,
        ASCOLTO_META_APP_SECRET=APP_SECRET,
        ASCOLTO_META_VERIFY_TOKEN="bench-verify",  # noqa: S106 (a throwaway token)
    )
    served.fresh_database(env, DATABASE)
    served.manage(env, "shell", "-c", SETUP)
    port = served.free_port()
    processes = [
        served.gunicorn(env, port),
        served.subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "ascolto", "drain_inbound", "--loop", "--interval", "0.02"],
            env=env,
            cwd=served.ROOT,
            stdout=served.subprocess.DEVNULL,
        ),  # fmt: skip
        served.subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "ascolto", "db_worker", "--interval", "0.02"],
            env=env,
            cwd=served.ROOT,
            stdout=served.subprocess.DEVNULL,
            stderr=served.subprocess.DEVNULL,
        ),  # fmt: skip
    ]
    try:
        served.wait_until_served(port, timeout=120)
        replies = Replies(sandbox)
        until = time.monotonic() + options.seconds
        citizens = [Citizen(i, port, replies, until) for i in range(options.citizens)]
        started = time.monotonic()
        for citizen in citizens:
            citizen.start()
        for citizen in citizens:
            citizen.join()
        elapsed = time.monotonic() - started
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        sandbox.stop()
    latencies = [x for c in citizens for x in c.latencies]
    lost = sum(c.lost for c in citizens)
    ms = [x * 1000 for x in latencies]
    print(f"turns answered: {len(latencies)} in {elapsed:.1f} s ({len(latencies) / elapsed:.1f}/s)")
    print(
        "turn latency ms: "
        + ", ".join(
            f"{name} {served.percentile(ms, q):.1f}"
            for name, q in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("max", 1.0))
        )
    )
    print(f"turns without a reply within 10 s: {lost}")
    print("budget: >= 300 turns/s, p99 <= 200 ms")


if __name__ == "__main__":
    main()
