"""The REST API under load: cases opened per second over HTTP, and the filtered case list over
the demo city (~1 M cases).

    python benchmarks/api.py [--part create,list] [--rounds 3]
                             [--seconds 20] [--connections 8] [--threads 2] [--workers 2]
                             [--city-url postgres://postgres@127.0.0.1:5432/ascolto_city]
                             [--runs 40] [--profile]

**Creation** (issue 18: >= 600 accepted/s with p99 <= 60 ms), all on this machine (loopback):
- a fresh PostgreSQL database `ascolto_bench_api` (dropped and re-created at
  $BENCH_POSTGRES_URL or postgres://postgres@127.0.0.1:5432, migrated) and a token of an
  external system with `cases:write` (its rate limit raised above the load: the limit is still
  counted in Redis on every request, as deployed);
- gunicorn, 2 workers (gthread, 4 threads) serving the app as deployed (`served.py`): DEBUG off,
  the shared Redis cache, the database task backend (the web workers only accept: the drain is a
  task for `db_worker`, not run here);
- `wrk` for `--seconds`, `--rounds` times, with a Lua script that POSTs `/api/v1/cases` as a
  portal would: the bearer token, a new `Idempotency-Key` and `external_id` and a new citizen's
  email per request, so none is a replay.
It prints each round's accepted cases per second (202) with p50/p95/p99, the other answers and
socket errors, the median and range over the rounds, the workers' peak memory, and then counts
the intake queue and the idempotency keys: every 202 must be exactly one accepted row.

**List** (issue 18: p95 <= 50 ms on 1 M cases): `GET /api/v1/cases` through Django's test client
(middleware, the bearer token's lookup, the rate limit, the office scope, the filters, the keyset
page, the related rows, the access-log record, JSON), with a token limited to an office subtree
as a real external system's, over the demo city `ascolto_city` built by `make city` (skipped,
with a message, when it is missing). Nothing stays in the city: the token, the access-log
records and its last use are written inside one transaction that is rolled back at the end (so
the figures do not include the commit of each request's access-log insert).

`--profile [N]` prints instead the CPU time of N (300) creations through the WSGI entry point
(its fast path, as gunicorn calls it) and where their time goes (cProfile, the 40 costliest
functions by cumulative time), on a fresh PostgreSQL database: the per-request cost without the
network or the server.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import figures
import served

DATABASE = "ascolto_bench_api"
CITY_URL = f"{served.PG_BASE}/ascolto_city"
CREATE_RATE, CREATE_P99_MS = 600.0, 60.0
LIST_P95_MS = 50.0

# After served.lua_threads(202): one request per call, numbered by thread, round and counter.
LUA_REQUEST = r"""
function request()
  counter = counter + 1
  local n = string.format("bench-%d-%d-%d", base, id, counter)
  local body = '{"text": "Il lampione di via Roma 12 e\' spento da tre giorni.", ' ..
    '"subject": "Lampione spento", "kind": "disservice", "place": "Via Roma 12", ' ..
    '"external_id": "' .. n .. '", "sender": {"first_name": "Chiara", ' ..
    '"last_name": "Fontana", "email": "' .. n .. '@example.org"}}'
  return wrk.format("POST", "/api/v1/cases", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = n,
  }, body)
end

"""

# After served.LUA_COUNT: the same count, and the tracking code of every 202 written to the
# thread's file (line-buffered, so nothing is lost when wrk exits), checked against the queue.
LUA_CODES = r"""
function response(status, headers, body)
  if status == accepted_status then
    accepted = accepted + 1
    if not codes then
      codes = io.open(string.format("%s/codes-%d-%d.txt", outdir, base, id), "w")
      codes:setvbuf("line")
    end
    codes:write(string.match(body, '"code": "([^"]+)"') or "?", "\n")
  else
    other = other + 1
  end
end
"""

SETUP = """
from ascolto.api.tokens import issue_token
token, plaintext = issue_token("Portale (benchmark)", ["cases:write"], rate_per_minute=10**7)
print(token.pk, plaintext)
"""

COUNT = """
import json, sys
from ascolto.api.models import IdempotencyKey as K
from ascolto.channels.models import PendingInbound as P
answered = [c.strip() for c in open({codes!r}, encoding="utf-8") if c.strip()]
rows = P.objects.filter(channel="api", external_id__startswith="t{token}:bench-")
keys = K.objects.filter(token_id={token}, key__startswith="bench-")
found = set(rows.filter(code__in=answered).values_list("code", flat=True))
print(json.dumps({{
    "answered": len(answered), "distinct": len(set(answered)), "found": len(found),
    "rows": rows.count(), "keys": keys.filter(status=202).count(),
    "unanswered_keys": keys.exclude(status=202).count(),
}}))
"""


# --- Creation -------------------------------------------------------------------------------


def _post(port: int, token: str, n: str) -> str | None:
    """One creation as the benchmark's requests are made; its tracking code if accepted."""
    body = json.dumps(
        {"text": "Prova di riscaldamento.", "external_id": n, "sender": {"email": f"{n}@x.it"}}
    ).encode()
    request = urllib.request.Request(  # noqa: S310
        f"http://127.0.0.1:{port}/api/v1/cases",
        data=body,
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": n,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            return str(json.load(answer)["code"]) if answer.status == 202 else None
    except urllib.error.HTTPError:
        return None


def create(args: argparse.Namespace) -> bool:
    """The creation benchmark; whether it met the budget and lost nothing."""
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    env = served.app_env(DATABASE)
    print(f"\n== creation: POST /api/v1/cases — preparing {DATABASE} …", flush=True)
    served.fresh_database(env, DATABASE)
    token_pk, token = served.manage(env, "shell", "-c", SETUP, capture=True).split()[-2:]
    port = served.free_port()
    server = served.gunicorn(
        env, port, workers=args.workers, worker_class="gthread", threads=args.worker_threads
    )
    rounds: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        outdir = Path(tmp)
        try:
            served.wait_until_served(port)
            run = random.randrange(1, 10**6)  # noqa: S311 (fresh ids each run)
            warm = [_post(port, token, f"bench-warmup-{run}-{i}") for i in range(args.warmup)]
            (outdir / "codes-warmup.txt").write_text("".join(f"{c}\n" for c in warm if c))
            print(
                f"conditions: PostgreSQL {DATABASE} (fresh, migrated); gunicorn {args.workers} "
                f"workers × gthread ({args.worker_threads} threads), DEBUG off, Redis cache; "
                f"wrk {args.threads} threads, {args.connections} connections, {args.seconds} s "
                f"× {args.rounds} rounds, loopback; {figures.machine()}",
                flush=True,
            )
            script = outdir / "api.lua"
            script.write_text(
                f'token = "{token}"\noutdir = "{outdir}"\n'
                + served.lua_threads(202)
                + LUA_REQUEST
                + served.LUA_COUNT
                + LUA_CODES,
                encoding="utf-8",
            )
            for n in range(args.rounds):
                cpu = served.children_cpu_seconds(server.pid)
                result = served.wrk(
                    script,
                    port,
                    threads=args.threads,
                    connections=args.connections,
                    seconds=args.seconds,
                    args=[str(run * 100 + n)],
                )
                cpu = served.children_cpu_seconds(server.pid) - cpu
                result["rate"] = result["accepted"] / result["seconds"]
                result["cpu_ms"] = cpu * 1000 / max(1, result["accepted"])
                rounds.append(result)
                print(
                    f"round {n + 1}: {result['accepted']} accepted in {result['seconds']:.1f} s "
                    f"= {result['rate']:.0f} cases/s; p50 {result['p50_us'] / 1000:.1f} ms, "
                    f"p95 {result['p95_us'] / 1000:.1f} ms, p99 {result['p99_us'] / 1000:.1f} ms;"
                    f" other answers {result['other']}, socket errors {result['errors']}; "
                    f"web workers' CPU {result['cpu_ms']:.2f} ms a case",
                    flush=True,
                )
            peaks = served.workers_peak_mib(server)
        finally:
            server.terminate()
            server.wait(timeout=30)
        codes = outdir / "codes.txt"
        with codes.open("w", encoding="utf-8") as out:
            for part in sorted(outdir.glob("codes-*.txt")):
                out.write(part.read_text(encoding="utf-8"))
        check = json.loads(
            served.manage(
                env, "shell", "-c", COUNT.format(token=token_pk, codes=str(codes)), capture=True
            ).splitlines()[-1]
        )
    rate = statistics.median(r["rate"] for r in rounds)
    p99 = statistics.median(r["p99_us"] / 1000 for r in rounds)
    print(
        f"over {len(rounds)} rounds: {figures.spread([r['rate'] for r in rounds], 'cases/s')}; "
        f"p50 {figures.spread([r['p50_us'] / 1000 for r in rounds], 'ms', 1)}; "
        f"p95 {figures.spread([r['p95_us'] / 1000 for r in rounds], 'ms', 1)}; "
        f"p99 {figures.spread([r['p99_us'] / 1000 for r in rounds], 'ms', 1)}; "
        f"web workers' CPU {figures.spread([r['cpu_ms'] for r in rounds], 'ms a case', 2)}"
    )
    print(
        "gunicorn workers' peak memory (VmHWM): "
        + ", ".join(f"{peak:.0f} MiB" for peak in peaks)
        + f"; {figures.at_end()}"
    )
    late = check["rows"] - check["found"]
    print(
        f"every 202 checked: {check['answered']} answers 202 ({check['distinct']} distinct "
        f"codes), {check['found']} of them found in the intake queue; {check['rows']} rows in "
        f"all ({late} accepted as wrk stopped, their answers not counted); idempotency keys "
        f"with their 202 stored: {check['keys']}, left without an answer: "
        f"{check['unanswered_keys']}"
    )
    whole = (
        check["answered"] == check["distinct"] == check["found"]
        and check["keys"] == check["rows"]
        and not check["unanswered_keys"]
        and 0 <= late <= args.connections * args.rounds
    )
    if not whole:
        print("MISMATCH: every 202 must be exactly one accepted row and one stored key")
    met = rate >= CREATE_RATE and p99 <= CREATE_P99_MS
    print(
        f"budget (>= {CREATE_RATE:.0f} accepted/s, p99 <= {CREATE_P99_MS:.0f} ms, medians): "
        f"{'met' if met else 'MISSED'}"
    )
    return met and whole


# --- The list over the city -----------------------------------------------------------------


def _django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ascolto.config.settings")
    os.environ["ASCOLTO_LOG_LEVEL"] = "WARNING"
    os.environ["ASCOLTO_CACHE_URL"] = served.CACHE_URL
    os.environ["ASCOLTO_DEBUG"] = "false"
    sys.path.insert(0, str(served.ROOT / "src"))
    import django
    from django.conf import settings

    django.setup()
    settings.ALLOWED_HOSTS = ["*"]


def _city_ready(url: str) -> int:
    """The cases of the city at `url`, or 0 when it is missing or empty."""
    done = subprocess.run(  # noqa: S603
        ["psql", url, "-qtAc", "SELECT count(*) FROM tickets_ticket"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    return int(done.stdout.strip()) if done.returncode == 0 and done.stdout.strip() else 0


def _list_scenarios() -> tuple[Any, list[tuple[str, dict[str, str]]]]:
    """The office a real system's token is limited to (the one whose subtree holds the most
    active cases, below the root: a second-level office, as the waste company's system), and
    the filters it asks for."""
    from django.db.models import Count, Max
    from django.utils import timezone

    from ascolto.organisation.models import Office
    from ascolto.tickets.models import Ticket

    by_office = dict(
        Ticket.objects.filter(office__isnull=False, status__in=Ticket.ACTIVE)
        .values_list("office_id")
        .annotate(n=Count("id"))
        .values_list("office_id", "n")
    )
    offices = list(Office.objects.all())
    below_root = [o for o in offices if o.parent_id is not None] or offices

    def subtree_cases(office: Office) -> int:
        return sum(by_office.get(o.pk, 0) for o in offices if o.path.startswith(office.path))

    scope = max(below_root, key=subtree_cases)
    inside = [o for o in offices if o.path.startswith(scope.path) and o.pk != scope.pk]
    sub = max(inside, key=lambda o: by_office.get(o.pk, 0)) if inside else scope
    in_scope = Ticket.objects.filter(office__path__startswith=scope.path)
    theme = (
        in_scope.filter(theme__isnull=False)
        .values_list("theme__code")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("theme__code", flat=True)
        .first()
    )
    last = in_scope.aggregate(last=Max("updated_at"))["last"] or timezone.now()
    scenarios = [
        ("all statuses, newest first", {}),
        ("active", {"status": "active"}),
        ("status + theme (resolved)", {"status": "resolved", "theme": theme or ""}),
        ("office below the token's (active)", {"status": "active", "office": sub.code}),
        ("office + theme, limit 100", {"office": sub.code, "theme": theme or "", "limit": "100"}),
        ("kind + SLA breached", {"kind": "complaint", "sla": "breached", "status": "active"}),
        ("page 20 by cursor (all)", {"_pages": "20"}),
        # A system following the changes: what changed in the city's last day, and hour.
        ("changed in the last day", {"updated_since": (last - timedelta(days=1)).isoformat()}),
        ("changed in the last hour", {"updated_since": (last - timedelta(hours=1)).isoformat()}),
    ]
    return scope, scenarios


def _timed(call: Callable[[], Any], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return times


def listing(args: argparse.Namespace) -> bool:
    """The list benchmark over the city; whether every scenario met the budget."""
    cases = _city_ready(args.city_url)
    name = args.city_url.rsplit("/", 1)[-1]
    print(f"\n== list: GET /api/v1/cases over {name}", flush=True)
    if not cases:
        print(
            f"SKIPPED: no demo city at {args.city_url} (build it with `make city`, ~12 min; "
            "CITY_URL=… make city for another database)"
        )
        return True
    _django(args.city_url)
    from django.db import transaction
    from django.test import Client

    from ascolto.api.tokens import issue_token

    failures = 0
    with transaction.atomic():
        scope, scenarios = _list_scenarios()
        token, plaintext = issue_token(
            "Gestionale (benchmark)", ["cases:read"], office=scope, rate_per_minute=10**7
        )
        client = Client(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
        print(
            f"conditions: {cases:,} cases on {name}; a token limited to the office «{scope.code}» "
            f"and the offices below; Django's test client in one process, DEBUG off, Redis "
            f"cache; {args.rounds} rounds × {args.runs} requests per scenario after "
            f"{args.warmup} warm-up ones; {figures.machine()}",
            flush=True,
        )
        print(f"{'scenario':36} {'rows':>5} {'p50 ms':>8} {'p95 ms':>8}  p95 over the rounds")
        for label, params in scenarios:
            pages = int(params.pop("_pages", "1"))
            query = {k: v for k, v in params.items() if v}
            for _ in range(pages - 1):  # walk to the page, as a client does, by next_cursor
                walked = client.get("/api/v1/cases", query)
                query = {**query, "cursor": walked.json()["next_cursor"]}
            first = client.get("/api/v1/cases", query)
            if first.status_code != 200:
                raise SystemExit(f"{label}: {first.status_code} {first.content[:300]!r}")
            rows = len(first.json()["items"])
            _timed(lambda q=query: client.get("/api/v1/cases", q), args.warmup)
            per_round = [
                _timed(lambda q=query: client.get("/api/v1/cases", q), args.runs)
                for _ in range(args.rounds)
            ]
            every = [t for times in per_round for t in times]
            p95s = [figures.percentile(times, 0.95) for times in per_round]
            p50, p95 = statistics.median(every), figures.percentile(every, 0.95)
            verdict = "ok" if p95 <= LIST_P95_MS else "OVER"
            failures += verdict != "ok"
            print(
                f"{label:36} {rows:>5} {p50:>8.1f} {p95:>8.1f}  "
                f"{figures.spread(p95s, 'ms', 1)} {verdict}",
                flush=True,
            )
        del token
        transaction.set_rollback(True)  # the city keeps nothing of this run
    print(figures.at_end())
    print(
        f"budget (p95 <= {LIST_P95_MS:.0f} ms): "
        + ("met by every scenario" if not failures else f"{failures} scenario(s) OVER")
    )
    return not failures


# --- Profile --------------------------------------------------------------------------------


def profile(count: int) -> None:
    """cProfile over `count` creations through the WSGI entry point as gunicorn calls it (so
    through its fast path, `api.fast`), on a fresh `ascolto_bench_api` with the app's deployed
    settings (the database task backend: the drain is not run); first the CPU time of each."""
    env = served.app_env(DATABASE)
    served.fresh_database(env, DATABASE)
    os.environ.update(env)
    _django(env["DATABASE_URL"])
    import io

    from ascolto.api.tokens import issue_token
    from ascolto.config.wsgi import application

    _token, plaintext = issue_token("Portale", ["cases:write"], rate_per_minute=10**7)
    answers: list[str] = []

    def one(n: str) -> None:
        body = json.dumps(
            {"text": "Lampione spento.", "external_id": n, "sender": {"email": f"{n}@x.it"}}
        ).encode()
        environ = {
            "REQUEST_METHOD": "POST", "PATH_INFO": "/api/v1/cases", "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "HTTP_HOST": "127.0.0.1",
            "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
            "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body), "HTTP_AUTHORIZATION": f"Bearer {plaintext}",
            "HTTP_IDEMPOTENCY_KEY": n, "HTTP_X_FORWARDED_PROTO": "https",
        }  # fmt: skip
        content = b"".join(application(environ, lambda status, _h: answers.append(status)))
        if not answers[-1].startswith("202"):
            raise SystemExit(f"{answers[-1]} {content[:300]!r}")

    for i in range(20):
        one(f"warm-{i}")
    started, cpu = time.perf_counter(), time.process_time()
    for i in range(count):
        one(f"t-{i}")
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"{count} creations in {took:.2f} s = {took / count * 1000:.2f} ms each, "
        f"{cpu / count * 1000:.2f} ms of CPU (PostgreSQL; {figures.machine()})"
    )
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(count):
        one(f"p-{i}")
    profiler.disable()
    pstats.Stats(profiler).sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(40)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", default="create,list", help="create, list, or both (default)")
    figures.rounds_option(parser)
    parser.add_argument("--seconds", type=int, default=20, help="each creation round")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--worker-threads", type=int, default=4, help="threads per worker")
    parser.add_argument("--warmup", type=int, default=40, help="requests before measuring")
    parser.add_argument("--city-url", default=os.environ.get("BENCH_CITY_URL", CITY_URL))
    parser.add_argument("--runs", type=int, default=40, help="list requests per scenario")
    parser.add_argument("--profile", type=int, nargs="?", const=300, default=0)
    args = parser.parse_args()
    if args.profile:
        profile(args.profile)
        return
    parts = {p.strip() for p in args.part.split(",")}
    ok = True
    if "create" in parts:
        ok = create(args) and ok
    if "list" in parts:
        ok = listing(args) and ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
