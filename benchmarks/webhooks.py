"""Signed Meta deliveries accepted per second over HTTP, then the drain into conversations.

    python benchmarks/webhooks.py [--seconds 20] [--connections 8] [--threads 2]
                                  [--workers 2] [--senders 5000] [--rounds 3]

What runs, all on this machine (loopback only):
- a fresh PostgreSQL database `ascolto_bench_webhooks` (at $BENCH_POSTGRES_URL or
  postgres://postgres@127.0.0.1:5432), migrated, with a WhatsApp channel and 20,000 replies of
  ours already sent on it (the targets of the status updates);
- gunicorn (2 workers, gthread) serving the app as deployed (see `served.py`), with the Meta
  app secret of the channel;
- `wrk` posting pre-signed deliveries from a file, as Meta sends them: WhatsApp messages from
  `--senders` people (a delivery carries one to three), status updates of our replies in shuffled
  order (a `read` before its `delivered`, a `sent` after both), and 10 % re-deliveries (the same
  body and signature again).

The database and the server are set up once; then `--rounds` rounds (3, `figures.py`), each
posting deliveries of its own (new message ids; the same senders and replies) and draining the
queue it filled, so each round starts with an empty queue. Each round prints the deliveries
accepted per second with p50/p99 answer time (wrk's, which it corrects for the requests a
stalled connection did not send: one stall of a second shows as many slow requests) and the
web workers' CPU per delivery, then drains the queue (`drain_all` in one process) and prints
messages per second into conversations with that process's CPU per message, and the counts
that prove nothing was lost or stored twice, over every round so far: every message of every
stored delivery is one stored message, and every reply ends at the furthest status Meta
reported for it. Then the median and range over the rounds of each figure, with the conditions
first (database, workers, wrk's threads and connections, seconds, CPUs, load average at the
start) and the load average at the end.
Budget (issue 13): >= 1,500 accepted deliveries/s with p99 <= 50 ms; the drain >= 1,000
messages/s (medians of the rounds). On a shared machine the wall-clock figures follow its
load; the CPU figures are the comparable ones (docs/meta.md, "How fast").
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import figures
import served

sys.path.insert(0, str(served.ROOT / "src"))

from ascolto.channels.adapters.meta import replay  # noqa: E402

DATABASE = "ascolto_bench_webhooks"
SECRET = "bench-meta-app-secret"  # noqa: S105 (a throwaway secret of this run)
PHONE_NUMBER_ID = "104857600020202"
REPLIES = 20_000  # our replies already sent, the targets of the status updates
RANK = {"sent": 1, "delivered": 2, "read": 3}

SETUP = """
from django.utils import timezone
from ascolto.channels.models import Channel, Conversation, Message
from ascolto.citizens.models import Identity
channel = Channel(kind="whatsapp", code="whatsapp", name="WhatsApp",
                  config={{"phone_number_id": "{phone}"}})
channel.full_clean()
channel.save()
now = timezone.now()
people = Identity.objects.bulk_create(
    Identity(kind="whatsapp", value=f"+39320{{i:07d}}", created_at=now, last_seen_at=now)
    for i in range({replies} // 10)
)
chats = Conversation.objects.bulk_create(
    Conversation(channel=channel, identity=p, started_at=now, last_message_at=now) for p in people
)
Message.objects.bulk_create(
    (Message(conversation=chats[i // 10], channel=channel, direction="outbound", text="Risposta",
             sent_at=now, status="sent", external_id=f"wamid.OUT{{i:07d}}")
     for i in range({replies})), batch_size=5000,
)
"""

CHECK = """
import json, time
from ascolto.channels.adapters.meta.deliveries import drain_all
from ascolto.channels.models import Message, WebhookDelivery
inbound = Message.objects.filter(direction="inbound")
before = inbound.count()
started, cpu = time.perf_counter(), time.process_time()
drain_all(limit={limit})
took, cpu = time.perf_counter() - started, time.process_time() - cpu
seen, furthest = set(), {{}}
rank = {rank}
for text in WebhookDelivery.objects.values_list("body", flat=True).iterator(chunk_size=2000):
    value = json.loads(text)["entry"][0]["changes"][0]["value"]
    seen.update(m["id"] for m in value.get("messages", ()))
    for s in value.get("statuses", ()):
        if rank[s["status"]] > rank.get(furthest.get(s["id"]), 0):
            furthest[s["id"]] = s["status"]
stored = dict(Message.objects.filter(external_id__in=list(furthest)).values_list("external_id",
                                                                                  "status"))
print(json.dumps({{
    "deliveries": WebhookDelivery.objects.count(),
    "pending": WebhookDelivery.objects.filter(processed_at__isnull=True).count(),
    "drain_seconds": took,
    "drain_cpu": cpu,
    "messages_before": before,
    "messages": inbound.count(),
    "distinct_in_deliveries": len(seen),
    "missing": len(seen - set(inbound.values_list("external_id", flat=True))),
    "statuses_checked": len(furthest),
    "statuses_wrong": sum(1 for k, v in furthest.items() if stored.get(k) != v),
}}))
"""

LUA = r"""
local accepted_status = 200
local lines = {}
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local count = tonumber(args[2])
  local i = 0
  for line in io.lines(args[1]) do
    if i % count == id then
      local tab = string.find(line, "\t", 1, true)
      table.insert(lines, {string.sub(line, 1, tab - 1), string.sub(line, tab + 1)})
    end
    i = i + 1
  end
  position = 0
  accepted = 0
  other = 0
end

function request()
  position = position % #lines + 1
  local item = lines[position]
  return wrk.format("POST", "/webhooks/meta/whatsapp/", {
    ["Content-Type"] = "application/json",
    ["X-Hub-Signature-256"] = item[1],
  }, item[2])
end

"""


def write_deliveries(path: Path, count: int, senders: int, seed: int = 13, tag: str = "") -> None:
    """`count` signed deliveries, one per line (`<signature>\\t<body>`): 70 % carrying one to
    three messages (their ids start with `wamid.IN<tag>`), 20 % one to three status updates of
    our replies in any order, 10 % an earlier line again (a re-delivery)."""
    rng = random.Random(seed)  # noqa: S311 (test data)
    lines: list[str] = []
    at, wamid = 1_765_000_000, 0
    for _ in range(count):
        at += rng.randint(0, 2)
        draw = rng.random()
        if draw < 0.1 and lines:
            lines.append(rng.choice(lines))
            continue
        if draw < 0.3:
            statuses = [
                replay.wa_status(
                    f"wamid.OUT{rng.randrange(REPLIES):07d}",
                    rng.choice(tuple(RANK)),
                    "39320" + f"{rng.randrange(REPLIES // 10):07d}",
                    at,
                )
                for _ in range(rng.randint(1, 3))
            ]
            payload = replay.whatsapp(PHONE_NUMBER_ID, statuses=statuses)
        else:
            messages, contacts = [], []
            for _ in range(rng.randint(1, 3)):
                number = f"39333{rng.randrange(senders):07d}"
                wamid += 1
                text = f"Buongiorno, vorrei sapere gli orari dell'anagrafe ({wamid})."
                messages.append(replay.wa_text(f"wamid.IN{tag}{wamid:09d}", number, text, at))
                contacts.append(replay.wa_contact(number, "Cittadino"))
            payload = replay.whatsapp(PHONE_NUMBER_ID, messages=messages, contacts=contacts)
        raw = replay.body(payload)
        lines.append(f"{replay.signed(raw, SECRET)}\t{raw.decode('ascii')}")
    path.write_text("\n".join(lines) + "\n", encoding="ascii")


def one_round(
    n: int, env: dict[str, str], port: int, server: Any, tmp: Path, args: argparse.Namespace
) -> dict[str, Any]:
    """Post the round's deliveries for `--seconds`, then drain them and check every round's."""
    data = tmp / f"deliveries-{n}.txt"
    write_deliveries(data, args.deliveries, args.senders, seed=13 + n, tag=f"R{n}-")
    cpu_before = served.children_cpu_seconds(server.pid)
    result = served.wrk(
        tmp / "webhooks.lua",
        port,
        threads=args.threads,
        connections=args.connections,
        seconds=args.seconds,
        args=[str(data), str(args.threads)],
    )
    cpu = served.children_cpu_seconds(server.pid) - cpu_before
    out = served.manage(
        env, "shell", "-c", CHECK.format(limit=args.drain_batch, rank=RANK), capture=True
    )
    counts = json.loads(out.strip().splitlines()[-1])
    taken = counts["messages"] - counts["messages_before"]
    return {
        **result,
        **counts,
        "rate": result["accepted"] / result["seconds"],
        "cpu_ms": cpu / max(result["accepted"], 1) * 1000,
        "taken": taken,
        "drain_rate": taken / counts["drain_seconds"],
        "drain_cpu_ms": counts["drain_cpu"] / max(taken, 1) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--worker-class", default="gthread")
    parser.add_argument("--worker-threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--senders", type=int, default=5000, help="distinct WhatsApp users")
    parser.add_argument("--deliveries", type=int, default=60_000, help="distinct lines to post")
    parser.add_argument("--drain-batch", type=int, default=200, help="deliveries per drain batch")
    figures.rounds_option(parser)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    env = served.app_env(DATABASE, ASCOLTO_META_APP_SECRET=SECRET)
    print(f"preparing {DATABASE} …", flush=True)
    served.fresh_database(env, DATABASE)
    served.manage(env, "shell", "-c", SETUP.format(phone=PHONE_NUMBER_ID, replies=REPLIES))
    port = served.free_port()
    server = served.gunicorn(
        env, port, workers=args.workers, worker_class=args.worker_class, threads=args.worker_threads
    )
    rounds: list[dict[str, Any]] = []
    lost = False
    accepted = 0
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "webhooks.lua").write_text(LUA + served.LUA_COUNT, encoding="utf-8")
        try:
            served.wait_until_served(port, timeout=120)  # workers load every view as they start
            print(
                f"conditions: PostgreSQL {DATABASE} (fresh, migrated, {REPLIES:,} replies sent); "
                f"gunicorn {args.workers} × {args.worker_class} ({args.worker_threads} threads), "
                f"DEBUG off, Redis cache; wrk {args.threads} threads, {args.connections} "
                f"connections, {args.seconds} s × {args.rounds} rounds of {args.deliveries:,} "
                f"deliveries from {args.senders:,} senders, each drained before the next; "
                f"loopback; {figures.machine()}",
                flush=True,
            )
            for n in range(args.rounds):
                r = one_round(n, env, port, server, Path(tmp), args)
                rounds.append(r)
                accepted += r["accepted"]
                print(
                    f"round {n + 1}: accepted {r['accepted']} deliveries in {r['seconds']:.1f} s "
                    f"= {r['rate']:.0f}/s; other answers {r['other']}, socket errors "
                    f"{r['errors']}; p50 {r['p50_us'] / 1000:.1f} ms, p99 "
                    f"{r['p99_us'] / 1000:.1f} ms; server CPU {r['cpu_ms']:.2f} ms per delivery"
                )
                print(
                    f"  drain: {r['deliveries']} deliveries in all, {r['taken']} messages into "
                    f"conversations in {r['drain_seconds']:.1f} s = {r['drain_rate']:.0f} "
                    f"messages/s; {r['pending']} left pending; drain CPU "
                    f"{r['drain_cpu_ms']:.2f} ms per message (its process)"
                )
                print(
                    f"  messages in the stored deliveries: {r['distinct_in_deliveries']} "
                    f"distinct, stored {r['messages']}, missing {r['missing']}; replies whose "
                    f"status is not the furthest reported: {r['statuses_wrong']} of "
                    f"{r['statuses_checked']}",
                    flush=True,
                )
                lost = lost or bool(
                    r["missing"]
                    or r["pending"]
                    or r["messages"] != r["distinct_in_deliveries"]
                    or r["statuses_wrong"]
                    or accepted > r["deliveries"]
                )
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(
        f"over {len(rounds)} rounds: {figures.spread([r['rate'] for r in rounds], 'accepted/s')}"
        f"; p50 {figures.spread([r['p50_us'] / 1000 for r in rounds], 'ms', 1)}"
        f"; p99 {figures.spread([r['p99_us'] / 1000 for r in rounds], 'ms', 1)}"
        f"; server CPU {figures.spread([r['cpu_ms'] for r in rounds], 'ms per delivery', 2)}"
    )
    print(
        f"drain {figures.spread([r['drain_rate'] for r in rounds], 'messages/s')}; "
        f"drain CPU {figures.spread([r['drain_cpu_ms'] for r in rounds], 'ms per message', 2)}"
    )
    print(figures.at_end())
    rate = figures.median(r["rate"] for r in rounds)
    p99 = figures.median(r["p99_us"] for r in rounds)
    drain_rate = figures.median(r["drain_rate"] for r in rounds)
    met = rate >= 1500 and p99 <= 50_000 and drain_rate >= 1000 and not lost
    print(
        "budget (>= 1,500 accepted/s, p99 <= 50 ms, drain >= 1,000 messages/s, medians; nothing "
        f"lost or doubled): {'met' if met else 'MISSED'}"
    )
    if lost:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
