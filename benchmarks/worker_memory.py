"""A web worker's memory: a fresh gunicorn worker's resident memory when it has started, then
after serving a mix of the console's, the citizens' and the API's pages (issue 19: under
120 MiB). No load: one request at a time, so it runs beside other work.

    python benchmarks/worker_memory.py [--rounds 3] [--passes 5] [--scale 0.001]
                                       [--fiscal-code] [--no-bytecode] [--reuse-database]

What runs, all on this machine (loopback only):
- a fresh PostgreSQL database `ascolto_bench_worker_memory` (dropped and re-created) at
  $BENCH_POSTGRES_URL or postgres://postgres@127.0.0.1:5432, migrated, seeded with the demo city
  (`seed_demo`, `generate_city --scale`), the load test's console accounts
  (loadtest/staff.py: one operator, one supervisor with the authenticator app) and an API
  token;
- bytecode compiled once before the rounds (an import of the WSGI module, as a deployment's
  first start leaves it), so no round pays the compiler's memory; with `--no-bytecode`, none is
  read or written (an empty PYTHONPYCACHEPREFIX and PYTHONDONTWRITEBYTECODE, as an environment
  installed without it and not writable by the service leaves it): each worker compiles every
  module it imports;
- each round: gunicorn as deployed (benchmarks/served.py: DEBUG off, the shared Redis cache, the
  database task backend, behind a proxy) with ONE worker (gthread, 4 threads), started afresh.
  The worker's VmRSS is read once it answers `/healthz`, then `--passes` times the mix: the
  operator's inbox and three of its cases, the Scrivi form shown and sent, a case's status page,
  the API's list of cases, the supervisor's reports; the sign-ins (password, and the
  supervisor's code) come first; with `--fiscal-code`, the operator also looks a citizen up by
  fiscal code (whose check loads the `codicefiscale` package's table of municipalities). Then
  VmRSS and VmHWM (the peak) again.

It prints each round, then the median and the spread (min-max) of each figure, and whether the
peak met the budget (under 120 MiB). Exits 1 when a page did not answer as it should.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from typing import Any

import figures
import served

PG_NAME = "ascolto_bench_worker_memory"
BUDGET_MIB = 120
STAFF = served.ROOT / "loadtest" / "staff.py"
FISCAL_CODE = "RSSMRA80C52F205L"  # valid (Milan, 12/03/1980), of no one in the demo city


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 302/303 is an answer here, not followed


class Browser:
    """One person's browser: its cookies, the CSRF token of the last form, its answers."""

    def __init__(self, port: int, headers: dict[str, str] | None = None) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )
        self.headers = headers or {}

    def call(
        self, path: str, data: dict[str, str] | None = None, expect: tuple[int, ...] = (200,)
    ) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, headers=self.headers)  # noqa: S310
        if body is not None:
            request.add_header("Referer", self.base + path)
        try:
            with self.opener.open(request, timeout=60) as answer:
                status, text, location = answer.status, answer.read().decode(), ""
        except urllib.error.HTTPError as answer:
            status, text = answer.code, answer.read().decode(errors="replace")
            location = answer.headers.get("Location", "")
        if status not in expect:
            raise SystemExit(f"{'POST' if body else 'GET'} {path}: HTTP {status}, not {expect}")
        return status, text, location

    def form(self, path: str) -> str:
        """The CSRF token of the form at `path`."""
        _, text, _ = self.call(path)
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text)
        if not match:
            raise SystemExit(f"no CSRF token on {path}")
        return match.group(1)

    def sign_in(self, username: str, password: str, totp_key: str = "") -> None:
        token = self.form("/console/accedi/")
        fields = {"csrfmiddlewaretoken": token, "username": username, "password": password}
        _, _, location = self.call("/console/accedi/", fields, expect=(302, 303))
        if "/accedi/codice/" in location:
            if not totp_key:
                raise SystemExit(f"{username} is asked a second factor")
            from django_otp.oath import totp

            path = urllib.parse.urlsplit(location).path
            code = f"{totp(bytes.fromhex(totp_key)):06d}"
            fields = {"csrfmiddlewaretoken": self.form(path), "code": code}
            self.call(path, fields, expect=(302, 303))


def prepare(env: dict[str, str], scale: float) -> None:
    """The database and the demo city."""
    print(f"preparing {PG_NAME}: migrate, seed_demo, generate_city --scale {scale} …")
    served.fresh_database(env, PG_NAME)
    served.manage(env, "seed_demo", capture=True)  # its demo passwords stay unprinted
    served.manage(env, "generate_city", "--scale", str(scale), "--seed", "42")


def accounts(env: dict[str, str]) -> dict[str, Any]:
    """The accounts (made again each round: the supervisor's authenticator app is new, so its
    code is not one the last round used) and an API token."""
    staff_env = {**env, "LOADTEST_OPERATORS": "1", "LOADTEST_SUPERVISORS": "1"}
    out = served.manage(
        staff_env, "shell", "-c", f"exec(open({str(STAFF)!r}).read())", capture=True
    )
    given = dict(json.loads(out.strip().splitlines()[-1]))
    out = served.manage(
        env,
        "shell",
        "-c",
        "from ascolto.api.tokens import SCOPES, issue_token\n"
        "print(issue_token('worker-memory', SCOPES)[1])",
        capture=True,
    )
    given["token"] = out.strip().splitlines()[-1]
    return given


def serve_mix(port: int, given: dict[str, Any], passes: int, fiscal_code: bool) -> int:
    """The mix, `passes` times; returns how many requests were answered."""
    operator = Browser(port)
    account = given["operators"][0]
    operator.sign_in(account["username"], account["password"])
    supervisor = Browser(port)
    boss = given["supervisors"][0]
    supervisor.sign_in(boss["username"], boss["password"], boss["totp_key"])
    first = random.randrange(1 << 20)  # noqa: S311 - addresses no earlier round used
    api = Browser(port, {"Authorization": f"Bearer {given['token']}"})
    known = given["known_codes"]
    requests = 0
    for n in range(passes):
        _, inbox, _ = operator.call("/console/inbox/")
        cases = re.findall(r'href="/console/cases/([^/"]+)/"', inbox)[:3] or known[:3]
        for code in cases:
            operator.call(f"/console/cases/{code}/")
        # A citizen of their own each pass (their browser and address), so the rate limits of
        # one browser and one address, as deployed, are never reached.
        n_address = first + n
        address = f"10.{n_address >> 16 & 255}.{n_address >> 8 & 255}.{n_address & 255}"
        citizen = Browser(port, {"X-Forwarded-For": address})
        token = citizen.form("/scrivi/")
        citizen.call(
            "/scrivi/",
            {
                "csrfmiddlewaretoken": token,
                "kind": "information",
                "area": "tributi",
                "service": "tari",
                "description": f"Vorrei sapere come pagare la TARI di quest'anno ({n}).",
                "first_name": "Maria",
                "last_name": "Rossi",
                "email": f"memoria{n}@example.org",
                "privacy": "on",
            },
            expect=(303,),
        )
        citizen.call(f"/scrivi/pratica/{known[n % len(known)]}/")
        api.call("/api/v1/cases")
        supervisor.call("/console/reports/")
        requests += 8 + len(cases)
        if fiscal_code:
            token = operator.form("/console/citizens/search/")
            search = {"csrfmiddlewaretoken": token, "q": FISCAL_CODE}
            operator.call("/console/citizens/search/", search)
            requests += 2
    return requests


def one_round(
    env: dict[str, str], given: dict[str, Any], passes: int, fiscal_code: bool
) -> dict[str, float]:
    port = served.free_port()
    server = served.gunicorn(env, port, workers=1)
    try:
        served.wait_until_served(port, "/healthz", timeout=120)
        (pid,) = served.worker_pids(server)
        started = served.memory_mib(pid)
        began = time.perf_counter()
        requests = serve_mix(port, given, passes, fiscal_code)
        took = time.perf_counter() - began
        after = served.memory_mib(pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "start_rss": started["VmRSS"],
        "after_rss": after["VmRSS"],
        "peak": after["VmHWM"],
        "requests": requests,
        "seconds": took,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    figures.rounds_option(parser)
    parser.add_argument("--passes", type=int, default=5, help="times the mix is served a round")
    parser.add_argument("--scale", type=float, default=0.001, help="generate_city's scale")
    parser.add_argument("--fiscal-code", action="store_true", help="a search by fiscal code too")
    parser.add_argument("--no-bytecode", action="store_true", help="no .pyc read or written")
    parser.add_argument("--reuse-database", action="store_true")
    args = parser.parse_args()

    env = served.app_env(PG_NAME)
    if not args.reuse_database:
        prepare(env, args.scale)
    if args.no_bytecode:
        cache = tempfile.mkdtemp(prefix="worker-memory-pycache-")  # empty: nothing cached
        env.update(PYTHONPYCACHEPREFIX=cache, PYTHONDONTWRITEBYTECODE="1")
    else:
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # a deployment caches its bytecode
        subprocess.run(  # noqa: S603 - the bytecode of what a worker imports at start, once
            [sys.executable, "-c", "import ascolto.config.wsgi"],
            env=env,
            cwd=served.ROOT,
            check=True,
        )
    print(
        f"conditions: PostgreSQL {PG_NAME} (demo city, generate_city --scale {args.scale}), "
        f"Redis cache, DEBUG off, database task backend; gunicorn 1 gthread worker (4 threads); "
        f"Python {sys.version.split()[0]}; "
        f"bytecode {'compiled by each worker' if args.no_bytecode else 'cached'}; "
        f"{args.passes} passes of the mix "
        f"({'with' if args.fiscal_code else 'without'} a search by fiscal code) a round, one "
        f"request at a time; {figures.machine()}",
        flush=True,
    )
    rounds = []
    for n in range(1, args.rounds + 1):
        result = one_round(env, accounts(env), args.passes, args.fiscal_code)
        rounds.append(result)
        print(
            f"round {n}: started {result['start_rss']:.1f} MiB; after {result['requests']} "
            f"requests ({result['seconds']:.1f} s) {result['after_rss']:.1f} MiB, "
            f"peak {result['peak']:.1f} MiB",
            flush=True,
        )
    for key, label in (
        ("start_rss", "started (VmRSS)"),
        ("after_rss", "after the mix (VmRSS)"),
        ("peak", "peak (VmHWM)"),
    ):
        values = [r[key] for r in rounds]
        print(f"{label}: {figures.spread(values, 'MiB', 1)} over {len(values)} rounds")
    print(figures.at_end())
    peak = max(r["peak"] for r in rounds)
    print(f"budget (peak under {BUDGET_MIB} MiB): {'met' if peak < BUDGET_MIB else 'MISSED'}")


if __name__ == "__main__":
    main()
