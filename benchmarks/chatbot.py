"""The virtual assistant end to end: bot turns per second and turn latency, from a signed
WhatsApp delivery posted to the webhook to the bot's reply reaching the Graph server.

    python benchmarks/chatbot.py [--citizens 40] [--plays 3] [--rounds 3] [--workers 2]
                                 [--drain-interval 0.05] [--worker-interval 1.0]

What runs, all on this machine (loopback only), as docs/deploy.md deploys it:
- a fresh PostgreSQL database `ascolto_bench_chatbot` (at $BENCH_POSTGRES_URL or
  postgres://postgres@127.0.0.1:5432), migrated, with the demo city's articles and its published
  WhatsApp menu A–M (`demo/assistant.py`) connected to a WhatsApp channel;
- the local Graph server (`GraphSandbox`, what `python -m ascolto meta_sandbox` serves) in this
  process, recording when each message arrives;
- gunicorn (2 workers, gthread) serving the webhook; `drain_inbound --loop` (the drain: the
  engine takes a batch's turns together, its replies are queued in the same transaction and
  sent right after commit by threads of the drain, `assistant/sender.py`); `db_worker` (as
  deployed: while the drain loop runs, the webhook schedules no drain task, so it only polls,
  at its default interval of 1 s); `assistant_tick --loop`;
- after a warm-up (WARM_UP citizens' first turn, not counted), `--citizens` simulated
  citizens, each a thread posting signed deliveries built with
  `channels/adapters/meta/replay.py` and waiting for the bot's answer before the next message
  (a closed loop: citizens write one message at a time). Each plays `SCRIPT` `--plays`
  times (3; this option was called `--rounds` before), after a first "Buongiorno" (greeting
  and menu). That is one round; `--rounds` rounds (3, `figures.py`) run on the same processes,
  each with citizens of its own.

A turn is answered when all its replies (as many as the conversation simulator gives for the
same messages) have reached the Graph server; its latency = arrival of its last reply − the
time its delivery was posted. It prints each round's turns per second, p50/p99 latency and CPU
per turn, the median and range of each over the rounds, and the counts over every round that
show every turn answered once: turns stored, replies sent, messages the Graph server received;
the conditions (citizens, plays, workers, intervals, CPUs, load average at the start) first,
the load average at the end last.
Budget (issue 14): >= 300 turns/s and p99 <= 200 ms (medians of the rounds). The drain polls every
`--drain-interval` seconds: with its default (1 s) the latency is about a second, whatever the
engine does; a deployment that wants the budget's latency runs `drain_inbound --loop
--interval 0.05` (docs/assistant.md). Everything shares the machine's two cores, this
process (the citizens and the Graph server) too: on a machine other work loads, read the CPU
seconds per turn the last lines print (per process, from /proc) rather than the wall clock.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import figures
import served

sys.path.insert(0, str(served.ROOT / "src"))

from ascolto.channels.adapters.meta import replay  # noqa: E402
from ascolto.channels.adapters.meta.sandbox import GraphSandbox, Recorded  # noqa: E402

DATABASE = "ascolto_bench_chatbot"
SECRET = "bench-meta-app-secret"  # noqa: S105 (a throwaway secret of this run)
PHONE_NUMBER_ID = "104857600020202"
# One round: a card in a submenu, back, another, the top menu, a card, a plain card, a link,
# a free-text question, the top menu again (so rounds repeat the same replies).
SCRIPT = ["C", "A", "indietro", "D", "menu", "E", "A", "menu", "D", "menu"]
FIRST = "Buongiorno"
WARM_UP = 4  # citizens who say FIRST before the clock starts

SETUP = """
import json
from ascolto.assistant import engine
from ascolto.channels.models import Channel
from ascolto.demo.assistant import MENU_CODE, seed_menu
from ascolto.demo.knowledge import seed_articles
seed_articles()
version = seed_menu()
channel = Channel(kind="whatsapp", code="whatsapp", name="WhatsApp",
                  config={{"phone_number_id": "{phone}", "assistant_menu": MENU_CODE}})
channel.full_clean()
channel.save()
texts = {texts}
counts = [len(engine.simulate(version, texts[: i + 1])) for i in range(len(texts))]
print(json.dumps([b - a for a, b in zip([0, *counts], counts)]))
"""

CHECK = """
import json
from ascolto.assistant.models import Reply, Session, Turn
print(json.dumps({{
    "sessions": Session.objects.count(),
    "turns_in": Turn.objects.filter(direction="in").count(),
    "replies_sent": Reply.objects.filter(status="sent").count(),
    "replies_other": Reply.objects.exclude(status="sent").exclude(purpose="survey").count(),
    "with_number": Reply.objects.filter(status="sent").exclude(recipient="").count(),
    "without_graph_id": Reply.objects.filter(status="sent", external_id="").count(),
}}))
"""


@dataclass
class Arrivals(GraphSandbox):
    """The Graph sandbox, recording when each WhatsApp message arrives, per recipient. Each
    recipient has its own condition: one shared by all the citizens woke every waiting thread
    on every arrival (40 wake-ups a reply), CPU this process took from the system measured."""

    times: dict[str, list[float]] = field(default_factory=dict)
    arrived: dict[str, threading.Condition] = field(default_factory=dict)

    def expect(self, to: str) -> threading.Condition:
        """The condition notified when a message to `to` arrives (made before the citizen
        starts, so the server's threads only read the dict)."""
        self.times.setdefault(to, [])
        return self.arrived.setdefault(to, threading.Condition())

    def _record(self, request: Recorded) -> Any:
        failure = super()._record(request)
        to = (request.body or {}).get("to") if isinstance(request.body, dict) else None
        if to:
            condition = self.arrived.get(str(to))
            if condition is None:
                return failure
            with condition:
                self.times[str(to)].append(time.monotonic())
                condition.notify_all()
        return failure


@dataclass
class Citizen:
    wa_id: str
    texts: list[str]
    expected: list[int]
    latencies: list[float] = field(default_factory=list)
    unanswered: int = 0


def play(citizen: Citizen, graph: Arrivals, port: int, timeout: float) -> None:
    """Post the citizen's messages one at a time, each after the previous turn's replies all
    arrived (or `timeout` passed: the turn counts as unanswered)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    arrived = graph.expect(citizen.wa_id)
    times = graph.times[citizen.wa_id]
    want = 0
    for n, (text, replies) in enumerate(zip(citizen.texts, citizen.expected, strict=True)):
        message = replay.wa_text(
            f"wamid.BENCH{citizen.wa_id}{n:05d}", citizen.wa_id, text, int(time.time())
        )
        payload = replay.whatsapp(
            PHONE_NUMBER_ID,
            messages=[message],
            contacts=[replay.wa_contact(citizen.wa_id, "Cittadino")],
        )
        raw = replay.body(payload)
        headers = {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": replay.signed(raw, SECRET),
        }
        posted = time.monotonic()
        try:
            conn.request("POST", "/webhooks/meta/whatsapp/", raw, headers)
            response = conn.getresponse()
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            # gunicorn closed the kept-alive connection (idle past its keep-alive while a slow
            # turn was awaited): post again on a new one, as Meta would (a message that did
            # arrive is recognised by the bot and answered once).
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("POST", "/webhooks/meta/whatsapp/", raw, headers)
            response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise SystemExit(f"the webhook answered {response.status}")
        want += replies
        with arrived:
            done = arrived.wait_for(lambda want=want: len(times) >= want, timeout=timeout)
            arrivals = list(times)
        if not done:
            citizen.unanswered += 1
            want = len(arrivals)
            continue
        citizen.latencies.append(arrivals[want - 1] - posted)
    conn.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of the process `pid` (0.0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> float:
    """CPU seconds of the PostgreSQL backends serving `DATABASE` now (when on this machine)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if command.startswith(b"postgres:") and f" {DATABASE} ".encode() in command:
            total += cpu_seconds(int(entry.name))
    return total


def cpu_now(server: subprocess.Popen[bytes], helpers: list[subprocess.Popen[bytes]]) -> list[float]:
    """CPU seconds so far of: gunicorn's workers, the drain, the worker, the tick, PostgreSQL's
    backends of the run, this process (the citizens and the Graph server)."""
    return [
        served.children_cpu_seconds(server.pid),
        *(cpu_seconds(h.pid) for h in helpers),
        postgres_cpu_seconds(),
        time.process_time(),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--citizens", type=int, default=40, help="citizens writing at once")
    parser.add_argument("--plays", type=int, default=3, help="times each plays the script")
    figures.rounds_option(parser)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--drain-interval", type=float, default=0.05)
    parser.add_argument("--worker-interval", type=float, default=1.0)
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait a reply")
    args = parser.parse_args()

    graph = Arrivals().start()
    env = served.app_env(
        DATABASE,
        ASCOLTO_META_APP_SECRET=SECRET,
        ASCOLTO_META_GRAPH_URL=graph.url,
        ASCOLTO_WHATSAPP_TOKEN=graph.token,
    )
    print(f"preparing {DATABASE} …", flush=True)
    served.fresh_database(env, DATABASE)
    texts = [FIRST, *SCRIPT]
    out = served.manage(
        env, "shell", "-c", SETUP.format(phone=PHONE_NUMBER_ID, texts=texts), capture=True
    )
    counts: list[int] = json.loads(out.strip().splitlines()[-1])
    expected = [counts[0], *counts[1:] * args.plays]
    script = [FIRST, *SCRIPT * args.plays]
    rounds: list[dict[str, Any]] = []
    port = served.free_port()
    server = served.gunicorn(env, port, workers=args.workers)
    python = [sys.executable, "-m", "ascolto"]
    helpers = [
        subprocess.Popen(  # noqa: S603
            [*python, *command],
            env=env,
            cwd=served.ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL if command[0] == "db_worker" else None,  # a line a task
        )
        for command in (
            ["drain_inbound", "--loop", "--interval", str(args.drain_interval)],
            ["db_worker", "--interval", str(args.worker_interval), "--no-startup-delay"],
            ["assistant_tick", "--loop"],
        )
    ]
    names = ["gunicorn", "drain", "db_worker", "tick", "postgres", "citizens+Graph"]
    try:
        served.wait_until_served(port, timeout=120)
        time.sleep(2)  # the drain and the worker start
        # Warm up (not counted): a few citizens' first turns load what each process loads on
        # its first request or batch, which would otherwise be the slowest turns of the run.
        warm = [Citizen(f"39346{i:07d}", [FIRST], [counts[0]]) for i in range(WARM_UP)]
        for c in warm:
            play(c, graph, port, 120.0)
        print(
            f"conditions: PostgreSQL {DATABASE} (fresh, migrated); {args.citizens} citizens × "
            f"{len(script)} messages, one at a time each, × {args.rounds} rounds; gunicorn "
            f"{args.workers} × gthread; drain every {args.drain_interval} s, worker every "
            f"{args.worker_interval} s; loopback; {figures.machine()}",
            flush=True,
        )
        for n in range(args.rounds):
            citizens = [
                Citizen(f"39347{n:02d}{i:05d}", script, expected) for i in range(args.citizens)
            ]
            cpu_before = cpu_now(server, helpers)
            started = time.monotonic()
            threads = [
                threading.Thread(target=play, args=(c, graph, port, args.timeout)) for c in citizens
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            took = time.monotonic() - started
            cpu = [b - a for a, b in zip(cpu_before, cpu_now(server, helpers), strict=True)]
            latencies = [x for c in citizens for x in c.latencies]
            answered = len(latencies)
            per_turn = [c / max(answered, 1) * 1000 for c in cpu]
            r = {
                "answered": answered,
                "unanswered": sum(c.unanswered for c in citizens),
                "rate": answered / took,
                "p50": figures.percentile(latencies, 0.5) * 1000,
                "p99": figures.percentile(latencies, 0.99) * 1000,
                "cpu": sum(per_turn),
                "drain_cpu": per_turn[1],
            }
            rounds.append(r)
            print(
                f"round {n + 1}: {answered} turns answered of {len(script) * len(citizens)} "
                f"posted in {took:.1f} s = {r['rate']:.0f} turns/s; latency p50 "
                f"{r['p50']:.0f} ms, p99 {r['p99']:.0f} ms; {r['unanswered']} not answered in "
                f"{args.timeout:.0f} s; CPU per turn answered: "
                + ", ".join(f"{name} {ms:.2f} ms" for name, ms in zip(names, per_turn, strict=True))
                + f"; total {r['cpu']:.2f} ms",
                flush=True,
            )
        time.sleep(1)  # anything sent twice would arrive now
    finally:
        for process in [server, *helpers]:
            process.terminate()
        for process in [server, *helpers]:
            process.wait(timeout=30)
        graph.stop()
    check = json.loads(
        served.manage(env, "shell", "-c", CHECK.format(), capture=True).strip().splitlines()[-1]
    )
    unanswered = sum(r["unanswered"] for r in rounds)
    posted = len(script) * args.citizens * args.rounds + WARM_UP
    want = sum(expected) * args.citizens * args.rounds + counts[0] * WARM_UP
    received = sum(len(v) for v in graph.times.values())
    print(
        f"over {len(rounds)} rounds: {figures.spread([r['rate'] for r in rounds], 'turns/s')}; "
        f"p50 {figures.spread([r['p50'] for r in rounds], 'ms')}; "
        f"p99 {figures.spread([r['p99'] for r in rounds], 'ms')}; "
        f"CPU per turn {figures.spread([r['cpu'] for r in rounds], 'ms', 2)} over all processes "
        f"(two cores at 300 turns/s allow 6.67 ms), the drain's "
        f"{figures.spread([r['drain_cpu'] for r in rounds], 'ms', 2)}"
    )
    print(
        f"stored over every round: {check['sessions']} sessions, {check['turns_in']} turns in "
        f"(posted {posted}); replies sent {check['replies_sent']} (expected {want}), not sent "
        f"{check['replies_other']}; the Graph server received {received}; sent replies still "
        f"holding a number {check['with_number']}, without Meta's id {check['without_graph_id']}"
    )
    print(figures.at_end())
    rate = figures.median(r["rate"] for r in rounds)
    p99 = figures.median(r["p99"] for r in rounds)
    wrong = (
        unanswered
        or check["turns_in"] != posted
        or check["replies_sent"] != want
        or received != want
        or check["with_number"]
        or check["without_graph_id"]
    )
    met = rate >= 300 and p99 <= 200 and not wrong
    print(
        "budget (>= 300 turns/s, p99 <= 200 ms, medians; every turn answered once): "
        f"{'met' if met else 'MISSED'}"
    )
    if wrong:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
