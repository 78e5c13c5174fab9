"""Submissions per second through the public Scrivi form over HTTP, then the queue's drain.

    python benchmarks/scrivi.py [--seconds 20] [--connections 4] [--threads 2]
                                [--workers 2] [--worker-class gthread] [--rounds 3]

What runs, all on this machine (loopback only):
- a fresh PostgreSQL database `ascolto_bench_scrivi` (dropped and re-created) at
  $BENCH_POSTGRES_URL or postgres://postgres@127.0.0.1:5432, migrated, with the Scrivi channel,
  an SLA rule and the city's taxonomy;
- gunicorn with 2 workers, DEBUG off, the shared Redis cache (ASCOLTO_CACHE_URL, db 1) for the
  rate limit and the drain's debounce, the database task backend (the web workers only accept:
  one insert per submission; the drain task is stored for `db_worker`), behind-proxy mode;
- `wrk` (the load generator) for `--seconds`, with a Lua script that POSTs url-encoded forms with
  a CSRF cookie and token obtained once, a new email and a new X-Forwarded-For address per
  request (so the per-address rate limit is exercised but not hit).

The database and the server are set up once; then `--rounds` rounds (3, `figures.py`), each
a wrk run on fresh addresses and emails followed by the drain of the queue it filled, so every
round starts with an empty queue. Each round prints its accepted submissions per second (303
answers) with p50/p99 latency, then drains the queue with `python -m ascolto drain_inbound`
and prints how long that took, and checks that every accepted submission became exactly one
case (no loss). Then the median and range over the rounds of the rate, the p50, the p99 and
the drain, the workers' memory, and the load average at the end; the conditions (database,
workers, wrk's threads and connections, seconds, CPUs, load average at the start) come first.
Budget: >= 450 accepted/s with p99 <= 100 ms (medians of the rounds) on 2 cores shared with
the load generator.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import figures
import served

PG_NAME = "ascolto_bench_scrivi"

# After served.lua_threads(303): one request per call, numbered by thread, round and counter.
LUA_REQUEST = r"""
function request()
  counter = counter + 1
  local n = id * 10000000 + counter
  local a = (base + n) % 16777216
  local ip = string.format("10.%d.%d.%d", math.floor(a / 65536), math.floor(a / 256) % 256, a % 256)
  local body = "csrfmiddlewaretoken=" .. token ..
    "&kind=information&area=tributi&service=tari" ..
    "&description=Vorrei+sapere+come+pagare+la+TARI+di+quest%27anno%2C+grazie." ..
    "&first_name=Maria&last_name=Rossi&email=cittadino" .. base .. "-" .. n .. "%40example.org" ..
    "&phone=&place=&privacy=on&website="
  return wrk.format("POST", "/scrivi/", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "csrftoken=" .. cookie,
    ["Referer"] = "http://127.0.0.1/scrivi/",
    ["X-Forwarded-For"] = ip,
  }, body)
end

"""


def _prepare(env: dict[str, str]) -> None:
    served.fresh_database(env, PG_NAME)
    served.manage(
        env,
        "shell",
        "-c",
        "from ascolto.channels.models import Channel\n"
        "def c(kind, code, name, config=None):\n"
        "    channel = Channel(kind=kind, code=code, name=name, config=config or {})\n"
        "    channel.full_clean()\n"
        "    channel.save()\n"
        "from ascolto.tickets.models import SlaPolicy, RoutingRule\n"
        "from ascolto.organisation.models import Office\n"
        "crm = Office.objects.create(name='Contact Center', code='cc', kind='unit')\n"
        "sla = SlaPolicy.objects.create(code='scrivi-30', name='Scrivi', resolution_days=30)\n"
        "RoutingRule.objects.create(name='Scrivi', priority=10, channel_kind='web', office=crm,"
        " sla_policy=sla)\n"
        "c('web', 'scrivi', 'Scrivi')\n",
    )


def _csrf(port: int) -> tuple[str, str]:
    """The CSRF cookie and the form's token, obtained once as a browser would."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(f"http://127.0.0.1:{port}/scrivi/", timeout=10).read().decode()
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    cookie = next((c.value for c in jar if c.name == "csrftoken"), None)
    if not match or not cookie:
        raise SystemExit("no CSRF token on the form")
    return cookie, match.group(1)


def _warm_up(port: int, cookie: str, token: str, count: int) -> None:
    """A few real submissions first, so every worker has loaded what the POST path needs."""
    for i in range(count):
        body = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": token,
                "kind": "information",
                "area": "tributi",
                "service": "tari",
                "description": "Prova di riscaldamento.",
                "first_name": "Prova",
                "last_name": "Prova",
                "email": f"warmup{i}-{random.randrange(10**9)}@example.org",  # noqa: S311
                "privacy": "on",
            }
        ).encode()
        request = urllib.request.Request(  # noqa: S310
            f"http://127.0.0.1:{port}/scrivi/",
            data=body,
            headers={
                "Cookie": f"csrftoken={cookie}",
                "X-Forwarded-For": f"192.0.2.{i % 250}",
            },
        )
        try:
            urllib.request.urlopen(request, timeout=10).read()  # noqa: S310
        except urllib.error.HTTPError:
            pass  # the 303 to the confirmation, which urllib follows or reports


def _count(env: dict[str, str]) -> tuple[int, int, int]:
    out = served.manage(
        env,
        "shell",
        "-c",
        "from ascolto.channels.models import PendingInbound as P\n"
        "from ascolto.tickets.models import Ticket as T\n"
        "print(P.objects.count(), P.objects.filter(processed_at__isnull=True).count(),"
        " T.objects.filter(code__in=P.objects.values('code')).count())",
        capture=True,
    )
    accepted, pending, cases = (int(x) for x in out.split()[-3:])
    return accepted, pending, cases


def one_round(
    n: int, env: dict[str, str], port: int, script: Path, base: int, args: argparse.Namespace
) -> dict[str, Any]:
    """One wrk run and the drain of what it queued; the round's figures and checks."""
    before, _, _ = _count(env)
    result = served.wrk(
        script,
        port,
        threads=args.threads,
        connections=args.connections,
        seconds=args.seconds,
        args=[str(base + n * 1_000_000)],  # fresh addresses and emails each round
    )
    stored, pending, _ = _count(env)
    started = time.perf_counter()
    served.manage(env, "drain_inbound", "--limit", "500")
    took = time.perf_counter() - started
    total, left, cases = _count(env)
    return {
        **result,
        "rate": result["accepted"] / result["seconds"],
        "rows": stored - before,
        "drained": pending - left,
        "drain_seconds": took,
        "drain_rate": (pending - left) / took,
        "pending": left,
        "lost": total - cases,
        "cases": cases,
        "total": total,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--worker-class", default="gthread")
    parser.add_argument("--worker-threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--warmup", type=int, default=40, help="submissions before measuring")
    figures.rounds_option(parser)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")

    env = served.app_env(PG_NAME)
    env.pop("ASCOLTO_SCRIVI_RATE_LIMIT", None)  # the default limit, as deployed
    # wrk sends one browser's CSRF cookie for every simulated citizen: the per-browser limit
    # would stop it after ten; each citizen comes from an address of their own instead.
    env["ASCOLTO_SCRIVI_BROWSER_RATE_LIMIT"] = "0/h"
    print(f"preparing {PG_NAME} …", flush=True)
    _prepare(env)
    port = served.free_port()
    server = served.gunicorn(
        env,
        port,
        workers=args.workers,
        worker_class=args.worker_class,
        threads=args.worker_threads,
    )
    rounds: list[dict[str, Any]] = []
    try:
        served.wait_until_served(port, "/scrivi/")
        started = sorted(served.memory_mib(pid)["VmRSS"] for pid in served.worker_pids(server))
        cookie, token = _csrf(port)
        _warm_up(port, cookie, token, args.warmup)
        with tempfile.TemporaryDirectory() as tmp:
            script = Path(tmp) / "scrivi.lua"
            script.write_text(
                f'cookie = "{cookie}"\ntoken = "{token}"\n'
                + served.lua_threads(303)
                + LUA_REQUEST
                + served.LUA_COUNT,
                encoding="utf-8",
            )
            base = random.randrange(1, 1_000_000)  # noqa: S311 (fresh addresses each run)
            print(
                f"conditions: PostgreSQL {PG_NAME} (fresh, migrated); gunicorn {args.workers} × "
                f"{args.worker_class} ({args.worker_threads} threads), DEBUG off, Redis cache; "
                f"wrk {args.threads} threads, {args.connections} connections, {args.seconds} s "
                f"× {args.rounds} rounds, each drained before the next; loopback; "
                f"{figures.machine()}",
                flush=True,
            )
            for n in range(args.rounds):
                r = one_round(n, env, port, script, base, args)
                rounds.append(r)
                print(
                    f"round {n + 1}: accepted {r['accepted']} in {r['seconds']:.1f} s = "
                    f"{r['rate']:.0f} submissions/s; other answers {r['other']}, socket errors "
                    f"{r['errors']}; p50 {r['p50_us'] / 1000:.1f} ms, p99 "
                    f"{r['p99_us'] / 1000:.1f} ms; queue {r['rows']} rows; drain: "
                    f"{r['drained']} taken in {r['drain_seconds']:.1f} s (command included) = "
                    f"{r['drain_rate']:.0f}/s, {r['pending']} left pending; cases with the "
                    f"confirmed codes {r['cases']} of {r['total']} accepted rows, lost "
                    f"{r['lost']}",
                    flush=True,
                )
                if r["accepted"] > r["rows"]:
                    print("LOSS: more 303 answers than accepted rows")
        peaks = served.workers_peak_mib(server)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(
        f"over {len(rounds)} rounds: {figures.spread([r['rate'] for r in rounds], 'submissions/s')}"
        f"; p50 {figures.spread([r['p50_us'] / 1000 for r in rounds], 'ms', 1)}"
        f"; p99 {figures.spread([r['p99_us'] / 1000 for r in rounds], 'ms', 1)}"
        f"; drain {figures.spread([r['drain_rate'] for r in rounds], 'submissions/s')}"
    )
    print(
        "gunicorn workers' memory: started (VmRSS) "
        + ", ".join(f"{rss:.0f} MiB" for rss in started)
        + "; peak under load (VmHWM) "
        + ", ".join(f"{peak:.0f} MiB" for peak in peaks)
        + " (budget: under 120 MiB each; benchmarks/worker_memory.py for the console's pages)"
    )
    print(figures.at_end())
    rate = figures.median(r["rate"] for r in rounds)
    p99 = figures.median(r["p99_us"] for r in rounds)
    budget = rate >= 450 and p99 <= 100_000
    print(f"budget (>= 450/s, p99 <= 100 ms, medians): {'met' if budget else 'MISSED'}")
    if any(r["lost"] or r["pending"] or r["accepted"] > r["rows"] for r in rounds):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
