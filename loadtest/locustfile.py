"""A city's day over HTTP, for `loadtest/run.py` (locust, headless): citizens writing to the
municipality through the Scrivi form and checking their request's status, operators opening the
inbox, reading cases and answering them, a supervisor on the monthly report.

Run by the runner, never alone: it reads its settings from the JSON file named by
`LOADTEST_CONFIG` (the rate of each phase, the staff's credentials, where to record) and writes
one JSON line per request to the record file, which the runner reads back
(`loadtest/tally.py`): every tracking code the form acknowledged, every reply the console
accepted, each request's status and latency.

The mix, from the reference city's volumes (1 M calls and 114,000 Scrivi tickets a year: about
3,000 calls and 340 web requests on a working day):
- citizens, per web request: the form (GET), its submission (POST), and two looks at the status
  page over the request's life: 4 requests x 340 = 1,360 a day;
- operators, per contact (3,000 calls + 340 web requests): the inbox, then the case, 2 x 3,340
  = 6,680 a day; a written answer for every web request and one call in ten (answered by email):
  about 640 replies;
- the supervisor: the monthly report through the day, about 50 views.
Of the 8,730 requests: citizens 15.6 %, operators 83.8 %, the supervisor 0.6 %. The rate asked
(10 requests/s) is far above a day's average (0.3/s at these volumes): the mix is the day's, the
pace is a stress.

The burst phase adds citizens only (a deadline: the TARI's last day), to the burst's rate.
Requests are paced per user with a constant throughput (not a random think time), so the
rate is what the runner asks.
"""

from __future__ import annotations

import html
import json
import os
import random
import re
import threading
import time
import uuid
from base64 import urlsafe_b64decode
from typing import Any

import gevent
from locust import HttpUser, events, task
from locust.env import Environment

CONFIG: dict[str, Any] = json.loads(
    open(os.environ["LOADTEST_CONFIG"], encoding="utf-8").read()  # noqa: SIM115
)

# Shares of the day's requests (see the module's docstring).
SHARE = {"citizen": 0.156, "operator": 0.838, "supervisor": 0.006}
# Requests per task, on average, of each kind of user: a citizen's submission is two requests
# (the form, then its POST), a status look one; one submission to two looks.
REQUESTS_PER_TASK = {"citizen": (2 * 1 + 1 * 2) / 3, "operator": 1.0, "supervisor": 1.0}
# The answer a submission is accepted with (the confirmation's redirect), and the refusals that
# say clearly what happened (too many requests; the service unavailable for now).
ACCEPTED = 303
REFUSED = (429, 503)

STARTED = time.time()  # set again when the load starts
_lock = threading.Lock()
_record = open(CONFIG["record"], "a", encoding="utf-8")  # noqa: SIM115 (open for the whole run)
# Tracking codes the form acknowledged: citizens look some up again, operators answer them.
ACKNOWLEDGED: list[tuple[float, str]] = []  # (when, code)
# A case is answered once it has had time to be taken in (the drain takes about a second).
ANSWER_AFTER = 5.0
# A small PDF: one submission in five carries one, so a read-only disk is felt.
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def phase(at: float | None = None) -> str:
    """The phase at `at` (now): "steady", then "burst" for its seconds at the end of the run."""
    elapsed = (at or time.time()) - STARTED
    burst = CONFIG["burst_seconds"] and elapsed >= CONFIG["steady_seconds"]
    return "burst" if burst else "steady"


def record(**fields: Any) -> None:
    line = json.dumps({"t": round(time.time(), 3), **fields}, ensure_ascii=False)
    with _lock:
        _record.write(line + "\n")
        _record.flush()


def page_title(body: str) -> str:
    """The <title> of an answer that was not a success: what the person read (never a name:
    the site's titles carry none)."""
    match = re.search(r"<title>(.*?)</title>", body, re.S)
    return " ".join(html.unescape(match.group(1)).split())[:120] if match else body[:120]


def tracking_code(location: str) -> str:
    """The tracking code in the confirmation's address (`?c=` is Django's signed value: its
    first part is the code in JSON, base64url; the signature is the server's business)."""
    token = location.split("c=", 1)[1].split("&", 1)[0]
    payload = token.split(":", 1)[0]
    return str(json.loads(urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def csrf(body: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    return match.group(1) if match else ""


_taken: dict[str, int] = {}


def take(accounts: str) -> dict[str, str]:
    """The next of the console accounts the runner made (each user signs in with its own)."""
    with _lock:
        n = _taken.get(accounts, 0)
        _taken[accounts] = n + 1
    listed: list[dict[str, str]] = CONFIG[accounts]
    return listed[n % len(listed)]


# The site is https://127.0.0.1:<port> behind its TLS proxy (production settings); the client
# plays the proxy's part, as scripts/deploy-check does: every request carries what the proxy adds,
# and a form is sent from the site's own https pages (Django checks the Origin of a POST).
ORIGIN: str = CONFIG["origin"]
PROXIED = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "127.0.0.1"}


class Paced(HttpUser):
    """A user whose tasks start at a constant rate: its kind's share of the phase's rate,
    divided among the users of its kind."""

    abstract = True
    kind = ""

    def rate(self, at: float | None = None) -> float:
        """Tasks per second of this user in the phase at `at` (now)."""
        share = SHARE[self.kind] * CONFIG["rate"]
        if phase(at) == "burst" and self.kind == "citizen":
            share += CONFIG["burst_rate"] - CONFIG["rate"]
        return share / REQUESTS_PER_TASK[self.kind] / CONFIG["users"][self.kind]

    def stagger(self) -> None:
        """Start at a random point of the first interval, so the users do not all start at
        once (a first wave of every citizen at the same second would be a burst of its own)."""
        delay = random.uniform(0, 1 / self.rate())  # noqa: S311
        self._due = time.time() + delay
        self.starting = False
        gevent.sleep(delay)

    def wait_time(self) -> float:
        now = time.time()
        due = max(getattr(self, "_due", now) + 1 / self.rate(now), now)
        burst_at = STARTED + CONFIG["steady_seconds"]
        if now < burst_at <= due:
            # The burst begins before this user's next turn: its pace changes then, each user
            # at a random point of the burst's first interval.
            due = burst_at + random.uniform(0, 1 / self.rate(burst_at))  # noqa: S311
        self._due = due
        return due - now

    def call(
        self, name: str, method: str, path: str, expect: tuple[int, ...] = (), **kwargs: Any
    ) -> Any:
        """One request, recorded with its phase, status and latency; never raises. `expect`:
        statuses that are the right answer here though not a success (recorded as such)."""
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("timeout", 30)
        headers = {**PROXIED, **kwargs.get("headers", {})}
        if method == "POST":
            headers.update(Origin=ORIGIN, Referer=ORIGIN + path)
        # Production marks its cookies Secure: the session's jar keeps them but sends them over
        # https only (the browser's side of the TLS the proxy ends), so they go back by hand.
        if self.client.cookies:
            headers["Cookie"] = "; ".join(f"{c.name}={c.value}" for c in self.client.cookies)
        kwargs["headers"] = headers
        started = time.perf_counter()
        with self.client.request(method, path, name=name, catch_response=True, **kwargs) as r:
            ms = (time.perf_counter() - started) * 1000
            status = r.status_code or 0
            extra: dict[str, Any] = {}
            if status in expect:
                extra["expected"] = True
                r.success()
            elif status >= 400 or status == 0:
                extra["note"] = page_title(r.text or "") if status else str(r.error)[:120]
                r.failure(f"{status}")
            else:
                r.success()
            # The sign-ins before the load: a phase of their own, outside the day's figures.
            when = "start" if getattr(self, "starting", True) else phase()
            record(phase=when, who=self.kind, kind=name, status=status, ms=round(ms, 1), **extra)
            return r


class Citizen(Paced):
    kind = "citizen"
    weight = 100

    def on_start(self) -> None:
        self.mine: list[str] = []
        self.become_another()
        self.stagger()

    def become_another(self) -> None:
        """After a submission the next one is another citizen's: another browser (no cookies),
        from another address (the header the proxy appends: only a string for the rate limits,
        no packet goes there; RFC 2544's benchmarking range). A person writes a few times a
        year: one browser sending a request every few minutes for an hour would be a robot,
        and the per-browser limit (10 an hour) would rightly refuse it."""
        n = random.randrange(1, 2**17)  # noqa: S311
        self.address = f"198.{18 + n // 65536}.{n // 256 % 256}.{n % 256}"
        self.client.cookies.clear()

    def headers(self) -> dict[str, str]:
        return {"X-Forwarded-For": self.address, "Accept-Language": "it"}

    @task(1)
    def write(self) -> None:
        form = self.call("scrivi: form", "GET", "/scrivi/", headers=self.headers())
        if form.status_code != 200:
            return
        body = form.text
        submission = re.search(r'name="submission" value="([^"]+)"', body)
        marker = f"[lt-s-{uuid.uuid4().hex[:12]}]"
        fields = {
            "csrfmiddlewaretoken": csrf(body),
            "submission": submission.group(1) if submission else "",
            "kind": "information",
            "area": "tributi",
            "service": "tari",
            "description": f"Vorrei sapere come pagare la TARI di quest'anno, grazie. {marker}",
            "first_name": "Maria",
            "last_name": "Rossi",
            "email": f"cittadina-{uuid.uuid4().hex[:10]}@example.org",
            "phone": "",
            "place": "",
            "privacy": "on",
            "website": "",
        }
        files = None
        if random.random() < 0.2:  # noqa: S311
            files = {"attachments": ("bolletta.pdf", PDF, "application/pdf")}
        answer = self.call(
            "scrivi: submit", "POST", "/scrivi/", data=fields, files=files, headers=self.headers()
        )
        if answer.status_code == ACCEPTED:
            code = tracking_code(answer.headers.get("Location", ""))
            record(phase=phase(), who="citizen", kind="accepted", code=code, marker=marker)
            self.mine = [code]
            with _lock:
                ACKNOWLEDGED.append((time.monotonic(), code))
        self.become_another()

    @task(2)
    def look(self) -> None:
        """The status page of the request just sent (the same person, back later), or of one of
        the last others (another person), or of a case of the generated city."""
        with _lock:
            recent = [code for _when, code in ACKNOWLEDGED[-100:]]
        pool = self.mine or recent or CONFIG["known_codes"]
        code = random.choice(pool)  # noqa: S311
        self.call("scrivi: status", "GET", f"/scrivi/pratica/{code}/", headers=self.headers())


class Staff(Paced):
    abstract = True

    def sign_in(self, username: str, password: str, totp_key: str = "") -> None:
        """The console's sign-in, as a person does it; with the authenticator app's code when the
        role needs a second factor (`totp_key`: the app's secret, set up by the runner)."""
        page = self.call("console: sign-in", "GET", "/console/accedi/")
        fields = {"csrfmiddlewaretoken": csrf(page.text), "username": username}
        fields["password"] = password
        answer = self.call("console: sign-in", "POST", "/console/accedi/", data=fields)
        location = answer.headers.get("Location", "")
        if totp_key and "/accedi/codice/" in location:
            from django_otp.oath import totp

            step = self.call("console: second factor", "GET", location)
            code = f"{totp(bytes.fromhex(totp_key)):06d}"
            fields = {"csrfmiddlewaretoken": csrf(step.text), "code": code}
            self.call("console: second factor", "POST", location, data=fields)


class Operator(Staff):
    kind = "operator"
    fixed_count = 1  # the runner sets it from its --operators

    def on_start(self) -> None:
        account = take("operators")
        self.sign_in(account["username"], account["password"])
        self.seen: list[str] = []
        self.stagger()

    @task(10)
    def inbox(self) -> None:
        page = self.call("console: inbox", "GET", "/console/inbox/")
        if page.status_code == 200:
            self.seen = re.findall(r'href="/console/cases/([^/"]+)/"', page.text)[:50]

    @task(10)
    def read(self) -> None:
        code = random.choice(self.seen) if self.seen else ""  # noqa: S311
        if code:
            self.call("console: case", "GET", f"/console/cases/{code}/")
        else:
            self.inbox()

    @task(1)
    def answer(self) -> None:
        """Answer a citizen's request of this run that is a case by now (written a few seconds
        ago at least), the oldest not answered yet: one answer a request."""
        with _lock:
            due = bool(ACKNOWLEDGED) and ACKNOWLEDGED[0][0] < time.monotonic() - ANSWER_AFTER
            code = ACKNOWLEDGED.pop(0)[1] if due else ""
        if not code:
            self.inbox()
            return
        case = self.call("console: case", "GET", f"/console/cases/{code}/", expect=(404,))
        if case.status_code == 404:
            # Not taken in yet (the drain is behind, or down): not in the inbox either. Later.
            with _lock:
                ACKNOWLEDGED.append((time.monotonic(), code))
            return
        if case.status_code != 200:
            return
        marker = f"[lt-r-{uuid.uuid4().hex[:12]}]"
        fields = {
            "csrfmiddlewaretoken": csrf(case.text),
            "text": f"Gentile cittadina, la TARI si paga con il modello F24. {marker}",
            "confirmed": "on",
        }
        answer = self.call("console: reply", "POST", f"/console/cases/{code}/reply/", data=fields)
        if answer.status_code == 302:
            record(phase=phase(), who="operator", kind="replied", code=code, marker=marker)


class Supervisor(Staff):
    kind = "supervisor"
    fixed_count = 1

    def on_start(self) -> None:
        account = take("supervisors")
        self.sign_in(account["username"], account["password"], account["totp_key"])
        self.stagger()

    @task
    def report(self) -> None:
        self.call("console: report", "GET", "/console/reports/")


@events.init.add_listener
def _counts(environment: Environment, **_kwargs: Any) -> None:
    Operator.fixed_count = CONFIG["users"]["operator"]
    Supervisor.fixed_count = CONFIG["users"]["supervisor"]


@events.test_start.add_listener
def _start(environment: Environment, **_kwargs: Any) -> None:
    global STARTED
    STARTED = time.time()


@events.quitting.add_listener
def _close(environment: Environment, **_kwargs: Any) -> None:
    _record.close()
