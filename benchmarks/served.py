"""What the benchmarks that load the app over HTTP share: a fresh PostgreSQL database, the
app's commands run against it, and gunicorn serving it on a free loopback port.

Not a benchmark itself; `scrivi.py`, `screenpop.py` and `webhooks.py` import it (they run as
`python benchmarks/<name>.py`, so this folder is on their path).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_BASE = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
CACHE_URL = os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/1")


def app_env(database: str, **extra: str) -> dict[str, str]:
    """The environment of the app as deployed (DEBUG off, the shared Redis cache, the database
    task backend, behind a proxy) on the PostgreSQL database `database`."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"{PG_BASE}/{database}",
        ASCOLTO_CACHE_URL=CACHE_URL,
        ASCOLTO_DEBUG="false",
        ASCOLTO_TASK_BACKEND="database",
        ASCOLTO_BEHIND_PROXY="true",
        ASCOLTO_LOG_LEVEL="WARNING",
        ASCOLTO_ALLOWED_HOSTS="127.0.0.1,localhost",
        PYTHONPATH=str(ROOT / "src"),
    )
    env.update(extra)
    return env


def psql(sql: str) -> None:
    subprocess.run(  # noqa: S603
        ["psql", f"{PG_BASE}/postgres", "-v", "ON_ERROR_STOP=1", "-q", "-c", sql],  # noqa: S607
        check=True,
        stdout=subprocess.DEVNULL,
    )


def fresh_database(env: dict[str, str], name: str) -> None:
    """Drop and re-create the database `name`, and migrate it."""
    psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    psql(f"CREATE DATABASE {name}")
    manage(env, "migrate", "-v0")


def manage(env: dict[str, str], *args: str, capture: bool = False) -> str:
    """Run `python -m ascolto <args>`; its output when `capture`."""
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "ascolto", *args],
        env=env,
        check=True,
        cwd=ROOT,
        capture_output=capture,
        text=True,
    )
    return done.stdout if capture else ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def gunicorn(
    env: dict[str, str], port: int, *, workers: int = 2, worker_class: str = "gthread",
    threads: int = 4, **popen: Any,
) -> subprocess.Popen[bytes]:  # fmt: skip
    """gunicorn serving the app on 127.0.0.1:`port` (the caller terminates it); `popen`: more
    of Popen's arguments (where its output goes, a session of its own)."""
    return subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "ascolto.config.wsgi",
            "--workers",
            str(workers),
            "--worker-class",
            worker_class,
            "--threads",
            str(threads),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--backlog",
            "2048",
        ],  # fmt: skip
        env=env,
        cwd=ROOT,
        **popen,
    )


# What a TLS-terminating proxy adds to each request it forwards (docs/deploy.md): with
# ASCOLTO_ENV=production, a plain-HTTP request without it is redirected to https.
PROXIED = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "127.0.0.1"}


def wait_until_served(
    port: int,
    path: str = "/api/v1/health",
    timeout: float = 30.0,
    headers: dict[str, str] | None = None,
) -> None:
    deadline = time.monotonic() + timeout
    asked = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers or {})  # noqa: S310
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(asked, timeout=2):  # noqa: S310
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not answer in time")


def children_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of the process `pid`'s children now alive (gunicorn's
    workers), read from /proc."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


# The start of a wrk script whose requests are numbered per thread: `id` (the thread's number),
# `base` (wrk's first argument: the round, so rounds never repeat a request), `counter`, and the
# counts LUA_COUNT reads. `accepted_status` is the answer that counts as accepted.
LUA_THREADS = r"""
local accepted_status = %d
local counter = 0
local threads = {}
local base = 0

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  base = tonumber(args[1]) or 0
  accepted = 0
  other = 0
end
"""


def lua_threads(accepted_status: int) -> str:
    """LUA_THREADS with the status that counts as accepted."""
    return LUA_THREADS % accepted_status


# The end of every wrk script here: count the answers with `accepted_status` as accepted, and
# print one JSON line with the counts and the latency percentiles (read back by `wrk`).
LUA_COUNT = r"""
function response(status, headers, body)
  if status == accepted_status then accepted = accepted + 1 else other = other + 1 end
end

function done(summary, latency, requests)
  local ok, bad = 0, 0
  for _, t in ipairs(threads) do
    ok = ok + t:get("accepted")
    bad = bad + t:get("other")
  end
  io.write(string.format(
    '{"accepted": %d, "other": %d, "seconds": %.3f, "p50_us": %d, "p95_us": %d, "p99_us": %d, '
    .. '"errors": %d}\n',
    ok, bad, summary.duration / 1e6, latency:percentile(50), latency:percentile(95),
    latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def wrk(
    script: Path, port: int, *, threads: int, connections: int, seconds: int, args: list[str]
) -> dict[str, Any]:
    """Run wrk with `script` (which ends with LUA_COUNT) against the app on `port`; return the
    JSON line its `done` printed."""
    run = subprocess.run(  # noqa: S603
        [  # noqa: S607
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "5s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
            "--",
            *args,
        ],  # fmt: skip
        check=True,
        capture_output=True,
        text=True,
    )
    line = next(x for x in run.stdout.splitlines() if x.startswith("{"))
    return dict(json.loads(line))


def worker_pids(server: subprocess.Popen[Any]) -> list[int]:
    """The process ids of gunicorn's workers (the children of its master `server`)."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    return [int(pid) for pid in children.read_text().split()]


def memory_mib(pid: int) -> dict[str, float]:
    """The resident memory of process `pid` now (VmRSS) and at its peak (VmHWM), in MiB, read
    from /proc."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0]) / 1024
    return found


def workers_peak_mib(server: subprocess.Popen[Any]) -> list[float]:
    """The peak resident memory (VmHWM, MiB) of each of gunicorn's worker processes, read from
    /proc before the server stops."""
    return sorted(memory_mib(pid)["VmHWM"] for pid in worker_pids(server))
