"""The load test (`make loadtest`) and the fault drill (`make faults`): the production processes
of docs/deploy.md under a city's mix of requests (loadtest/locustfile.py), then the counts that
prove every accepted request became a case exactly once. See docs/loadtest.md.

    python loadtest/run.py [--duration 600] [--rate 10] [--burst-rate 50] [--burst-seconds 60]
                           [--citizens 50] [--operators 6] [--scale 0.005]
    python loadtest/run.py --fault all            # or --fault db|worker|redis|disk, repeatable

What runs, all on this machine (loopback only):
- a fresh PostgreSQL database `ascolto_loadtest` (dropped and re-created; $BENCH_POSTGRES_URL or
  postgres://postgres@127.0.0.1:5432), migrated, seeded with the demo city (`seed_demo`,
  `generate_city --scale`), and the load's console accounts (loadtest/staff.py);
- a Redis of its own on a free port (as scripts/deploy-check does: stopping it disturbs no one),
  an SMTP server of its own (aiosmtpd) that keeps every mail, for the replies' delivery count;
- the processes of "What runs" with docs/deploy.md's production settings
  (`ASCOLTO_ENV=production`, a generated secret key, static files collected, the database task
  backend; behind a TLS proxy whose part the client plays, as scripts/deploy-check does):
  gunicorn (2 workers, gthread, 4 threads), `db_worker`, `drain_inbound --loop`;
- locust, headless, for the steady phase (`--duration` seconds at `--rate` requests/s) and the
  burst (`--burst-seconds` at `--burst-rate`), then the wait for the queue and the outbox to
  drain, and the counts read from the database and the SMTP server.

With `--fault`, each fault is injected in turn during the steady phase and recovered: PostgreSQL
restarted (`--pg-restart`, the machine's cluster by default; started again in any case), the task
worker and the drain killed with SIGKILL while requests wait in the queue and started again,
Redis stopped and started again, the attachments' folder made read-only (a read-only bind mount:
the processes run as root here, and root writes through a chmod) and made writable again.

Exits 1 when a request was lost or made twice, a reply not delivered once, or (without faults)
the steady phase had an error or its p95 passed 200 ms.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "benchmarks"))
sys.path.insert(0, str(HERE))

import psycopg  # noqa: E402
import tally  # noqa: E402

import served  # noqa: E402

DATABASE = "ascolto_loadtest"
FAULTS = ("db", "worker", "redis", "disk")
P95_BUDGET_MS = 200.0
SUBMISSION = r"\[lt-s-[0-9a-f]{12}\]"  # each submission's text carries its marker
REPLY = r"\[lt-r-[0-9a-f]{12}\]"  # and each reply's


class Mailbox:
    """An aiosmtpd handler keeping the text of every mail received."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        parts = [
            part.get_content()
            for part in parsed.walk()  # type: ignore[attr-defined]
            if part.get_content_maintype() == "text"
        ]
        with self.lock:
            self.texts.append("\n".join(str(p) for p in parts))
        return "250 Message accepted for delivery"

    def count(self, pattern: re.Pattern[str]) -> Counter[str]:
        with self.lock:
            return Counter(m for text in self.texts for m in set(pattern.findall(text)))


@dataclass
class Processes:
    """The app's processes, each in a session of its own (so it and its children stop
    together), logging to `work`/<name>.log; started again the way they were started."""

    work: Path
    env: dict[str, str]
    running: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    commands: dict[str, list[str]] = field(default_factory=dict)

    def start(self, name: str, argv: list[str]) -> None:
        self.commands[name] = argv
        log = open(self.work / f"{name}.log", "ab")  # noqa: SIM115 (the child keeps it)
        self.running[name] = subprocess.Popen(  # noqa: S603
            argv, env=self.env, cwd=served.ROOT, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip

    def manage(self, name: str, *args: str) -> None:
        self.start(name, [sys.executable, "-m", "ascolto", *args])

    def adopt(self, name: str, process: subprocess.Popen[bytes]) -> None:
        self.running[name] = process

    def signal(self, name: str, sig: signal.Signals) -> None:
        process = self.running[name]
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        process.wait(timeout=30)

    def restart(self, name: str) -> None:
        self.start(name, self.commands[name])

    def alive(self, name: str) -> bool:
        return self.running[name].poll() is None

    def stop_all(self) -> None:
        for process in self.running.values():
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        deadline = time.monotonic() + 20
        for process in self.running.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def query(sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with psycopg.connect(f"{served.PG_BASE}/{DATABASE}", autocommit=True, connect_timeout=5) as db:
        return db.execute(sql, params or []).fetchall()  # type: ignore[arg-type]


def backlog() -> dict[str, int]:
    """What still waits: requests not taken in, follow-up events, tasks, replies not sent."""
    return {
        "intake": query(
            "SELECT count(*) FROM channels_pendinginbound"
            " WHERE processed_at IS NULL AND handled_at IS NULL"
        )[0][0],
        "outbox": query("SELECT count(*) FROM core_outboxevent WHERE processed_at IS NULL")[0][0],
        "tasks": query(
            "SELECT count(*) FROM django_tasks_database_dbtaskresult"
            " WHERE status IN ('READY', 'RUNNING')"
        )[0][0],
        "replies": query(
            "SELECT count(*) FROM channels_message WHERE direction = 'outbound'"
            " AND status = 'queued' AND text LIKE %s",
            ["%[lt-r-%"],
        )[0][0],
    }


def wait_for_drain(timeout: float) -> tuple[float, dict[str, int]]:
    """Until nothing waits (or `timeout`): the seconds it took, and what is left."""
    started = time.monotonic()
    while True:
        try:
            left = backlog()
        except psycopg.Error:
            left = {"database": 1}
        if not any(left.values()) or time.monotonic() - started > timeout:
            return time.monotonic() - started, left
        time.sleep(1)


def markers(pattern: str, direction: str, since: float) -> Counter[str]:
    """How many messages carry each of the load's markers, among those stored since `since`
    (epoch seconds: a reused database holds the earlier runs' too)."""
    rows = query(
        "SELECT substring(text from %s), count(*) FROM channels_message"
        " WHERE direction = %s AND text LIKE %s AND created_at >= to_timestamp(%s) GROUP BY 1",
        [pattern, direction, "%[lt-%", since],
    )
    return Counter({str(m): int(n) for m, n in rows if m})


def prepare(env: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    """The static files, the fresh database, the demo city, the load's accounts."""
    served.manage(env, "collectstatic", "--noinput", "-v0")  # production serves STATIC_ROOT
    if args.reuse_database:
        say(f"reusing {DATABASE} as the last run left it")
    else:
        say(f"preparing {DATABASE}: migrate, seed_demo, generate_city --scale {args.scale} …")
        served.fresh_database(env, DATABASE)
        served.manage(env, "seed_demo", capture=True)  # its demo passwords stay unprinted
        served.manage(env, "generate_city", "--scale", str(args.scale), "--seed", "42")
    staff_env = {
        **env,
        "LOADTEST_OPERATORS": str(args.operators),
        "LOADTEST_SUPERVISORS": str(args.supervisors),
    }
    out = served.manage(
        staff_env, "shell", "-c", f"exec(open({str(HERE / 'staff.py')!r}).read())", capture=True
    )
    return dict(json.loads(out.strip().splitlines()[-1]))


STARTED = time.monotonic()


def say(message: str) -> None:
    print(f"loadtest [+{time.monotonic() - STARTED:.0f} s]: {message}", flush=True)


# --- Faults -----------------------------------------------------------------------------------


@dataclass
class Drill:
    """The faults, each injected and recovered; what was done is kept for the report."""

    processes: Processes
    media: Path
    redis_port: int
    pg_restart: list[str]
    hold: float
    done: list[dict[str, Any]] = field(default_factory=list)
    mounted: bool = False

    def run(self, name: str) -> None:
        start = time.time()
        detail = getattr(self, f"fault_{name}")()
        self.done.append({"name": name, "start": start, "end": time.time(), "detail": detail})
        say(f"fault {name}: {detail}")

    def fault_db(self) -> str:
        done = subprocess.run(self.pg_restart, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode:
            return f"restart failed: {done.stderr.strip()[:200]}"
        return f"PostgreSQL restarted ({' '.join(self.pg_restart)})"

    def fault_worker(self) -> str:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not backlog()["intake"]:
            time.sleep(0.05)  # wait until requests wait in the queue: the drain is at work
        waiting = backlog()["intake"]
        self.processes.signal("db_worker", signal.SIGKILL)
        self.processes.signal("drain_inbound", signal.SIGKILL)
        time.sleep(self.hold)
        piled = backlog()["intake"]
        self.processes.restart("db_worker")
        self.processes.restart("drain_inbound")
        return (
            f"db_worker and drain_inbound killed (SIGKILL) with {waiting} request(s) in the "
            f"queue; {piled} waiting after {self.hold:.0f} s; both started again"
        )

    def fault_redis(self) -> str:
        self.processes.signal("redis", signal.SIGTERM)
        time.sleep(self.hold)
        self.restore_redis()
        return f"Redis stopped for {self.hold:.0f} s, started again on port {self.redis_port}"

    def restore_redis(self) -> None:
        if not self.processes.alive("redis"):
            self.processes.restart("redis")
            wait_for_redis(self.redis_port)

    def fault_disk(self) -> str:
        self.media.mkdir(parents=True, exist_ok=True)
        folder = str(self.media)
        subprocess.run(["mount", "--bind", folder, folder], check=True)  # noqa: S603, S607
        self.mounted = True
        subprocess.run(["mount", "-o", "remount,bind,ro", folder], check=True)  # noqa: S603, S607
        time.sleep(self.hold)
        self.restore_disk()
        return f"{self.media} read-only for {self.hold:.0f} s, then writable again"

    def restore_disk(self) -> None:
        if self.mounted:
            subprocess.run(["umount", str(self.media)], check=False)  # noqa: S603, S607
            self.mounted = False

    def restore(self) -> None:
        """Whatever happened: the attachments' folder writable, Redis and PostgreSQL up."""
        self.restore_disk()
        self.restore_redis()
        if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"], check=False).returncode:  # noqa: S603, S607
            start = [*self.pg_restart[:-1], "start"] if self.pg_restart[-1] == "restart" else []
            if start:
                subprocess.run(start, check=False)  # noqa: S603


def wait_for_redis(port: int) -> None:
    for _ in range(100):
        ping = subprocess.run(  # noqa: S603
            ["redis-cli", "-p", str(port), "ping"],  # noqa: S607
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if ping.stdout.strip() == "PONG":
            return
        time.sleep(0.1)
    raise SystemExit("Redis did not start")


def schedule(drill: Drill, faults: list[str], at: float, gap: float, begin: float) -> None:
    """Inject each fault in turn: the first `at` seconds into the load, the next `gap` seconds
    after the previous one was recovered."""
    next_at = begin + at
    for name in faults:
        time.sleep(max(0.0, next_at - time.monotonic()))
        drill.run(name)
        next_at = time.monotonic() + gap


# --- The report -------------------------------------------------------------------------------


def report(
    args: argparse.Namespace,
    conditions: dict[str, Any],
    records: list[dict[str, Any]],
    seconds: dict[str, float],
    drill: Drill | None,
    drained: tuple[float, dict[str, int]],
    mailbox: Mailbox,
    codes: list[str],
) -> bool:
    """Print the figures and the counts; whether the run passed."""
    print()
    print("== conditions")
    for name, value in conditions.items():
        print(f"  {name}: {value}")
    print()
    print("== requests (latency in ms)")
    print(
        f"  {'phase':<7} {'kind':<24} {'count':>6} {'req/s':>6} {'p50':>7} {'p95':>7} {'p99':>7}"
        f" {'refused':>7} {'errors':>6}  statuses"
    )
    rows = tally.latencies(records, seconds)
    for row in rows:
        statuses = " ".join(f"{s or 'none'}:{n}" for s, n in row.statuses.items())
        print(
            f"  {row.phase:<7} {row.kind:<24} {row.count:>6} {row.per_second:>6.2f} "
            f"{row.p50:>7.0f} {row.p95:>7.0f} {row.p99:>7.0f} {row.refused:>7} {row.errors:>6}"
            f"  {statuses}"
        )
    ok = True
    every = [{**r, "kind": "all"} for r in records if "status" in r]
    for row in tally.latencies(every, seconds):
        print(
            f"  {row.phase:<7} {'all':<24} {row.count:>6} {row.per_second:>6.2f} {row.p50:>7.0f}"
            f" {row.p95:>7.0f} {row.p99:>7.0f} {row.refused:>7} {row.errors:>6}"
        )
        if args.fault:
            continue
        if row.errors:
            ok = False
            print(f"  FAILED: {row.errors} error(s) in the {row.phase} phase")
        if row.phase == "steady" and (row.p95 > P95_BUDGET_MS or row.refused):
            ok = False
            print(
                f"  FAILED: steady p95 {row.p95:.0f} ms (budget {P95_BUDGET_MS:.0f} ms), "
                f"{row.refused} refused"
            )
    if drill is not None:
        print()
        print("== faults: what people saw from the fault's start to 10 s after its recovery")
        for window in tally.windows(records, drill.done, grace=10.0):
            detail = next(f["detail"] for f in drill.done if f["name"] == window.fault)
            print(f"  {window.fault} ({window.seconds:.0f} s): {detail}")
            for who, statuses in window.statuses.items():
                seen = ", ".join(f"{s or 'no answer'}×{n}" for s, n in statuses.items())
                notes = "; ".join(window.notes.get(who, []))
                print(f"    {who:<10} {seen}" + (f"  — {notes}" if notes else ""))
    print()
    took, left = drained
    print(f"== after the load: the queue and the outbox drained in {took:.0f} s; left: {left}")
    since = min((float(r["t"]) for r in records), default=0.0) - 60
    inbound = markers(SUBMISSION, "inbound", since)
    subs = tally.submissions(records, cases_counts(codes), inbound)
    outbound = markers(REPLY, "outbound", since)
    reps = tally.replies(records, outbound, mailbox.count(re.compile(REPLY)))
    print(
        f"  submissions acknowledged (303 with a tracking code): {subs.cases.accepted}; "
        f"cases with their code exactly once: {subs.cases.once}; missing: "
        f"{len(subs.cases.missing)}; twice or more: {len(subs.cases.duplicated)}"
    )
    print(
        f"  their texts as messages on the Scrivi channel exactly once: {subs.messages.once}; "
        f"missing: {len(subs.messages.missing)}; twice or more: {len(subs.messages.duplicated)}; "
        f"stored without the citizen getting the code (answer lost): {subs.unacknowledged}"
    )
    print(
        f"  replies accepted by the console: {reps.stored.accepted}; stored once: "
        f"{reps.stored.once}; delivered to the SMTP server exactly once: {reps.delivered.once}; "
        f"not delivered: {len(reps.delivered.missing)}; delivered twice or more: "
        f"{len(reps.delivered.duplicated)}"
    )
    counted = {
        "cases": subs.cases,
        "messages": subs.messages,
        "replies stored": reps.stored,
        "replies delivered": reps.delivered,
    }
    for what, once in counted.items():
        if not once.holds:
            twice = dict(list(once.duplicated.items())[:5])
            print(f"  {what}: missing {once.missing[:5]}, twice or more {twice}")
    if not subs.holds or not reps.holds or any(left.values()):
        ok = False
        print("  FAILED: an accepted request or reply is missing, doubled, or still waiting")
    print()
    print(f"loadtest: {'passed' if ok else 'FAILED'}")
    return ok


def cases_counts(codes: list[str]) -> Counter[str]:
    rows = query(
        "SELECT code, count(*) FROM tickets_ticket WHERE code = ANY(%s) GROUP BY code", [codes]
    )
    return Counter({str(c): int(n) for c, n in rows})


def describe(args: argparse.Namespace, load: tuple[float, float, float]) -> dict[str, str]:
    """The run's conditions, printed with its figures."""
    phases = f"steady {args.duration} s at {args.rate:g} req/s"
    if args.burst_seconds:
        phases += f"; burst {args.burst_seconds} s at {args.burst_rate:g} req/s"
    return {
        "machine load average at start (1, 5, 15 min)": " ".join(f"{x:.2f}" for x in load),
        "machine": f"{os.cpu_count()} cores",
        "database": f"PostgreSQL, fresh `{DATABASE}`, demo city at scale {args.scale}",
        "served by": "gunicorn 2 workers x 4 threads (gthread), db_worker, drain_inbound --loop",
        "settings": "ASCOLTO_ENV=production (docs/deploy.md), its TLS proxy played by the client",
        "users": (
            f"{args.citizens} citizens, {args.operators} operators, "
            f"{args.supervisors} supervisor(s)"
        ),
        "phases": phases,
    }


# --- The run ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=600, help="steady phase, seconds")
    parser.add_argument("--rate", type=float, default=10.0, help="steady requests/s")
    parser.add_argument("--burst-rate", type=float, default=50.0, help="burst requests/s")
    parser.add_argument("--burst-seconds", type=int, default=None, help="60; 0 with --fault")
    parser.add_argument("--citizens", type=int, default=50, help="simulated citizens at once")
    parser.add_argument("--operators", type=int, default=10)
    parser.add_argument("--supervisors", type=int, default=1)
    parser.add_argument("--scale", type=float, default=0.005, help="generate_city --scale")
    parser.add_argument(
        "--fault", action="append", choices=[*FAULTS, "all"], default=[],
        help="inject this fault during the steady phase (repeatable; all: each in turn)",
    )  # fmt: skip
    parser.add_argument("--fault-at", type=float, default=30.0, help="first fault, seconds in")
    parser.add_argument("--fault-gap", type=float, default=40.0, help="seconds between faults")
    parser.add_argument("--fault-hold", type=float, default=10.0, help="seconds a fault lasts")
    parser.add_argument(
        "--pg-restart", default="pg_ctlcluster 15 main restart",
        help="the command that restarts the PostgreSQL server the run uses",
    )  # fmt: skip
    parser.add_argument(
        "--reuse-database", action="store_true",
        help="keep the last run's database (faster: the counts look at this run's requests only)",
    )  # fmt: skip
    parser.add_argument("--drain-timeout", type=float, default=300.0)
    parser.add_argument("--keep", action="store_true", help="keep the logs' folder")
    args = parser.parse_args()
    faults = list(FAULTS) if "all" in args.fault else list(dict.fromkeys(args.fault))
    if args.burst_seconds is None:
        args.burst_seconds = 0 if faults else 60
    if faults:
        needed = args.fault_at + len(faults) * (args.fault_hold + args.fault_gap) + 10
        args.duration = max(args.duration if "--duration" in sys.argv else 0, int(needed))
    for tool in ("redis-server", "redis-cli", "psql"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is not installed")

    load_at_start = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="ascolto-loadtest-"))
    media = work / "media"
    redis_port, smtp_port, port = served.free_port(), served.free_port(), served.free_port()
    # docs/deploy.md's production settings, as scripts/deploy-check sets them: the site is
    # https://127.0.0.1:<port> behind its TLS proxy, whose part the load's client plays
    # (X-Forwarded-Proto and X-Forwarded-For on every request; see the locustfile).
    secret_key = work / "secret_key"
    secret_key.write_text(secrets.token_urlsafe(64), encoding="utf-8")
    secret_key.chmod(0o600)
    origin = f"https://127.0.0.1:{port}"
    env = served.app_env(
        DATABASE,
        ASCOLTO_ENV="production",
        ASCOLTO_SECRET_KEY_FILE=str(secret_key),
        ASCOLTO_CSRF_TRUSTED_ORIGINS=origin,
        ASCOLTO_CACHE_URL=f"redis://127.0.0.1:{redis_port}/0",
        ASCOLTO_EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        ASCOLTO_VAR_DIR=str(work / "var"),
        ASCOLTO_MEDIA_ROOT=str(media),
        ASCOLTO_PUBLIC_URL=origin,
    )
    processes = Processes(work, env)
    drill = Drill(processes, media, redis_port, args.pg_restart.split(), args.fault_hold)
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    ok = False
    try:
        processes.start("redis", ["redis-server", "--bind", "127.0.0.1", "--port", str(redis_port),
                                  "--save", "", "--appendonly", "no"])  # fmt: skip
        wait_for_redis(redis_port)
        smtp.start()
        accounts = prepare(env, args)
        log = open(work / "gunicorn.log", "ab")  # noqa: SIM115
        processes.adopt(
            "gunicorn",
            served.gunicorn(
                env, port, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            ),
        )
        processes.manage("db_worker", "db_worker")
        processes.manage("drain_inbound", "drain_inbound", "--loop")
        served.wait_until_served(port, "/scrivi/", timeout=120, headers=served.PROXIED)
        say(f"serving on 127.0.0.1:{port}; db_worker, drain_inbound --loop; logs in {work}")

        users = {
            "citizen": args.citizens,
            "operator": args.operators,
            "supervisor": args.supervisors,
        }
        record_path = work / "records.jsonl"
        config = {
            "rate": args.rate,
            "burst_rate": args.burst_rate,
            "steady_seconds": args.duration,
            "burst_seconds": args.burst_seconds,
            "users": users,
            "record": str(record_path),
            "operators": accounts["operators"],
            "supervisors": accounts["supervisors"],
            "known_codes": accounts["known_codes"],
            "origin": origin,
        }
        (work / "config.json").write_text(json.dumps(config), encoding="utf-8")
        total = sum(users.values())
        run_time = args.duration + args.burst_seconds
        say(
            f"load: {args.rate:g} req/s for {args.duration} s"
            + (
                f", then {args.burst_rate:g} req/s for {args.burst_seconds} s"
                if args.burst_seconds
                else ""
            )
            + f"; {total} users"
            + (f"; faults: {', '.join(faults)}" if faults else "")
        )
        begin = time.monotonic()
        locust = subprocess.Popen(  # noqa: S603
            [
                sys.executable, "-m", "locust", "-f", str(HERE / "locustfile.py"), "--headless",
                "--users", str(total), "--spawn-rate", str(total), "--run-time", f"{run_time}s",
                "--host", f"http://127.0.0.1:{port}", "--only-summary", "--loglevel", "WARNING",
                "--stop-timeout", "30",
            ],
            env={**os.environ, "LOADTEST_CONFIG": str(work / "config.json")},
            stdout=open(work / "locust.log", "ab"), stderr=subprocess.STDOUT,  # noqa: SIM115
        )  # fmt: skip
        injector = threading.Thread(
            target=schedule, args=(drill, faults, args.fault_at, args.fault_gap, begin), daemon=True
        )
        injector.start()
        locust.wait()
        injector.join()
        say("load over; waiting for the queue and the outbox to drain")
        drained = wait_for_drain(args.drain_timeout)
        time.sleep(2)  # the last mails on their way to the SMTP server
        records = tally.read_records(record_path)
        codes = [r["code"] for r in records if r.get("kind") == "accepted"]
        conditions = describe(args, load_at_start)
        seconds = {"steady": float(args.duration), "burst": float(args.burst_seconds)}
        ok = report(
            args, conditions, records, seconds, drill if faults else None, drained, mailbox, codes
        )
        for name in ("gunicorn", "db_worker", "drain_inbound"):
            if not processes.alive(name):
                ok = False
                print(f"loadtest: {name} stopped during the run (see {work}/{name}.log)")
    finally:
        drill.restore()
        processes.stop_all()
        smtp.stop()
        if ok and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"loadtest: logs and records kept in {work}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
