"""The HTTP half of scripts/deploy-check: a visitor, an administrator and an analyst use the
running product as a browser behind the reverse proxy would, and a Scrivi request is followed
until the task worker has made it a case.

Run by scripts/deploy-check with the production environment exported (DATABASE_URL among it) and
DEPLOY_CHECK_URL (gunicorn's address), DEPLOY_CHECK_ADMIN and DEPLOY_CHECK_PASSWORD (the
superuser createsuperuser made). Standard library and psycopg only. Exits non-zero with a message
naming the step that failed.

Every request carries what the TLS-terminating proxy of docs/deploy.md adds (X-Forwarded-Proto:
https, X-Forwarded-For), since production redirects plain HTTP and marks cookies Secure; the
cookies are kept here by hand for the same reason (a cookie jar would not send a Secure cookie
over http://).
"""

from __future__ import annotations

import html
import http.client
import os
import re
import secrets
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import NoReturn
from urllib.parse import urlencode, urlsplit

import psycopg

BASE = os.environ["DEPLOY_CHECK_URL"].rstrip("/")
ADDRESS = urlsplit(BASE)
HOST = ADDRESS.netloc
ORIGIN = f"https://{HOST}"  # what the browser sees, in front of the proxy
TIMEOUT = float(os.environ.get("DEPLOY_CHECK_TIMEOUT", "60"))  # for the case to be made
BOOT = float(os.environ.get("DEPLOY_CHECK_BOOT_SECONDS", "120"))  # for gunicorn to answer


class CheckFailed(Exception):
    pass


def fail(message: str) -> NoReturn:
    raise CheckFailed(message)


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass
class Browser:
    """One visitor: its cookies, and requests shaped as the reverse proxy forwards them."""

    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        host: str = HOST,
        timeout: float = 60,
    ) -> Response:
        connection = http.client.HTTPConnection(ADDRESS.hostname, ADDRESS.port, timeout=timeout)
        sent = {
            "Host": host,
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": "127.0.0.1",
            "Accept-Language": "it",
            **(headers or {}),
        }
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            connection.request(method, path, body=body, headers=sent)
            raw = connection.getresponse()
            data = raw.read()
        except OSError as exc:
            fail(f"{method} {path}: no answer from gunicorn ({exc})")
        for name, value in raw.getheaders():
            if name.lower() == "set-cookie":
                cookie_name, _, rest = value.partition("=")
                cookie_value = rest.split(";", 1)[0]
                if cookie_value in ('""', ""):
                    self.cookies.pop(cookie_name, None)
                else:
                    self.cookies[cookie_name] = cookie_value
        headers_out = {k.lower(): v for k, v in raw.getheaders()}
        connection.close()
        return Response(raw.status, headers_out, data)

    def get(self, path: str, expect: int = 200, **kwargs: str) -> Response:
        response = self.request("GET", path, **kwargs)
        if response.status != expect:
            fail(f"GET {path} answered {response.status}, not {expect}")
        return response

    def post(
        self,
        path: str,
        fields: list[tuple[str, str]],
        expect: int,
        multipart: bool = False,
    ) -> Response:
        headers = {"Referer": f"{ORIGIN}{path}", "Origin": ORIGIN}
        if multipart:
            boundary = uuid.uuid4().hex
            parts = [
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
                for name, value in fields
            ]
            body = ("".join(parts) + f"--{boundary}--\r\n").encode()
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        else:
            body = urlencode(fields).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        response = self.request("POST", path, body=body, headers=headers)
        if response.status != expect:
            errors = re.findall(
                r'class="[^"]*(?:invalid-feedback|errorlist|alert)[^"]*"[^>]*>(.*?)<',
                response.text,
                re.S,
            )
            detail = "; ".join(html.unescape(e.strip()) for e in errors if e.strip())[:500]
            fail(f"POST {path} answered {response.status}, not {expect}. {detail}")
        return response


def csrf_token(page: Response) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    if match is None:
        fail("no CSRF token in the form")
    return match.group(1)


STARTED = time.monotonic()


def step(message: str) -> None:
    print(f"deploy-check [+{time.monotonic() - STARTED:.1f} s]: {message}", flush=True)


def check_static(browser: Browser, page: Response) -> None:
    """The page's stylesheet comes from the manifest (hashed name, cached for good), and so do
    the fonts it names."""
    match = re.search(r'href="(/static/web/fonts\.[0-9a-f]{12}\.css)"', page.text)
    if match is None:
        fail("the Scrivi page does not link the hashed web/fonts.css: is the manifest in use?")
    css = browser.get(match.group(1))
    if "immutable" not in css.headers.get("cache-control", ""):
        fail(f"{match.group(1)} is not served as immutable: {css.headers.get('cache-control')}")
    font = re.search(r'url\("\.\./(vendor/[^"]+\.[0-9a-f]{12}\.woff2)"\)', css.text)
    if font is None:
        fail("web/fonts.css names no hashed font")
    browser.get(f"/static/{font.group(1)}")
    for script in re.findall(r'<script src="(/static/[^"]+)"', page.text):
        browser.get(script)


def check_error_pages(browser: Browser) -> None:
    missing = browser.get("/pagina-che-non-esiste/", expect=404)
    if "Pagina non trovata" not in missing.text or "bootstrap-italia" not in missing.text:
        fail("the 404 page is not the site's own")


def sign_in_with_app(browser: Browser, username: str, password: str, next_path: str) -> None:
    """A first sign-in of a role that needs two factors, as its person does it: the password on
    the console's sign-in page, then the authenticator app set up (the secret read off the page,
    as an app reads the QR code; a code from it confirms), the recovery codes shown once."""
    from base64 import b32decode

    from django_otp.oath import totp

    query = urlencode({"next": next_path})
    form = browser.get(f"/console/accedi/?{query}")
    fields = [
        ("csrfmiddlewaretoken", csrf_token(form)),
        ("username", username),
        ("password", password),
        ("next", next_path),
    ]
    response = browser.post(f"/console/accedi/?{query}", fields, expect=302)
    location = response.headers.get("location", "")
    if not location.startswith("/console/accedi/attiva/"):
        fail(f"{username}'s first sign-in did not ask to set up the app (went to {location})")
    enrol = browser.get(location)
    secret = re.search(r'<code id="otp-secret"[^>]*>([^<]+)</code>', enrol.text)
    if secret is None:
        fail("the set-up page shows no secret to type into the app")
    code = f"{totp(b32decode(html.unescape(secret.group(1)).replace(' ', ''))):06d}"
    fields = [("csrfmiddlewaretoken", csrf_token(enrol)), ("next", next_path), ("code", code)]
    response = browser.post(location, fields, expect=302)
    codes = browser.get(response.headers.get("location", ""))
    if "Codici di recupero" not in codes.text:
        fail("the recovery codes were not shown after the app was set up")


def sign_in_admin(browser: Browser, username: str, password: str) -> None:
    """The admin has no sign-in of its own: it sends to the console's, with two factors."""
    own = browser.get("/admin/login/?next=/admin/", expect=302)
    if not own.headers.get("location", "").startswith("/console/accedi/"):
        fail(f"the admin's sign-in does not send to the console's: {own.headers.get('location')}")
    sign_in_with_app(browser, username, password, "/admin/")
    browser.get("/admin/")


def admin_add(browser: Browser, model: str, values: list[tuple[str, str]]) -> None:
    """Add a row through the admin's own form, as the deployer does after installing."""
    path = f"/admin/{model}/add/"
    form = browser.get(path)
    fields = [("csrfmiddlewaretoken", csrf_token(form)), *values, ("_save", "Salva")]
    browser.post(path, fields, expect=302, multipart=True)


def submit_scrivi(browser: Browser) -> str:
    """Fill the Scrivi form with its real fields (the honeypot left empty) and return the
    tracking code of the confirmation page."""
    form = browser.get("/scrivi/")
    area = re.search(r'<select name="area".*?<option value="([^"]+)"', form.text, re.S)
    if area is None:
        fail("the Scrivi form offers no category: is the taxonomy loaded by the migrations?")
    fields = [
        ("csrfmiddlewaretoken", csrf_token(form)),
        ("kind", "information"),
        ("area", area.group(1)),
        ("service", ""),
        ("description", "Verifica di installazione: a che ora apre lo sportello anagrafe?"),
        ("place", ""),
        ("first_name", "Verifica"),
        ("last_name", "Installazione"),
        ("email", "deploy-check@example.invalid"),
        ("phone", ""),
        ("privacy", "on"),
        ("website", ""),  # the honeypot: a person leaves it empty
    ]
    answer = browser.post("/scrivi/", fields, expect=303, multipart=True)
    confirmation = browser.get(answer.headers.get("location", "/scrivi/inviata/"))
    code = re.search(r'id="tracking-code">([^<]+)<', confirmation.text)
    if code is None:
        fail("the confirmation page shows no tracking code")
    return html.unescape(code.group(1)).strip()


def wait_for_case(code: str) -> None:
    """Until the case exists, the drain's task and the acknowledgement's have run in the worker,
    and no task failed."""
    deadline = time.monotonic() + TIMEOUT
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as db:
        while True:
            ticket = db.execute("SELECT id FROM tickets_ticket WHERE code = %s", [code]).fetchone()
            pending = db.execute(
                "SELECT count(*) FROM core_outboxevent WHERE processed_at IS NULL"
            ).fetchone()
            tasks = dict(
                db.execute(
                    "SELECT status, count(*) FROM django_tasks_database_dbtaskresult"
                    " GROUP BY status"
                ).fetchall()
            )
            if tasks.get("FAILED"):
                fail(f"{tasks['FAILED']} background task(s) failed: see db_worker.log")
            if ticket and pending == (0,) and tasks.get("SUCCESSFUL"):
                step(f"case {code} exists; tasks run by the worker: {tasks}")
                return
            if time.monotonic() > deadline:
                fail(
                    f"after {TIMEOUT:.0f} s: case {'exists' if ticket else 'missing'}, "
                    f"{pending[0] if pending else '?'} outbox event(s) pending, tasks {tasks}"
                )
            time.sleep(0.5)


def wait_until_up(browser: Browser) -> None:
    """Until the health endpoint answers (the workers load the app after gunicorn binds)."""
    deadline = time.monotonic() + BOOT
    while True:
        try:
            health = browser.request("GET", "/api/v1/health", timeout=10)
        except CheckFailed:
            health = None
        if health is not None and health.status == 200 and '"ok"' in health.text:
            return
        if time.monotonic() > deadline:
            answer = f"{health.status} {health.text[:200]}" if health else "no answer"
            fail(f"gunicorn did not answer /api/v1/health within {BOOT:.0f} s: {answer}")
        time.sleep(0.5)


def main() -> None:
    visitor = Browser()
    wait_until_up(visitor)
    step("gunicorn answers: /api/v1/health 200")
    visitor.get("/healthz")
    ready = visitor.get("/readyz")
    if '"ready"' not in ready.text:
        fail(f"/readyz did not say ready: {ready.text[:300]}")
    step("/healthz 200, /readyz 200 (database, migrations, intake queue, outbox, task worker)")
    scrivi = visitor.get("/scrivi/")
    step("Scrivi form: 200")
    check_static(visitor, scrivi)
    step("static files from the manifest (hashed, immutable), fonts included: 200")
    visitor.get("/console/accedi/")
    step("console sign-in page: 200")
    check_error_pages(visitor)
    step("the 404 page is the site's own")

    admin = Browser()
    sign_in_admin(admin, os.environ["DEPLOY_CHECK_ADMIN"], os.environ["DEPLOY_CHECK_PASSWORD"])
    admin_add(
        admin,
        "channels/channel",
        [
            ("kind", "web"),
            ("code", "scrivi"),
            ("name", "Scrivi al Comune"),
            ("config", "{}"),
            ("is_active", "on"),
        ],
    )
    analyst_password = secrets.token_urlsafe(18)
    admin_add(
        admin,
        "organisation/user",
        [
            ("username", "deploy-check-analyst"),
            ("usable_password", "true"),
            ("password1", analyst_password),
            ("password2", analyst_password),
            ("role", "analyst"),
            ("office", ""),
        ],
    )
    step("admin: signed in, Scrivi channel and an analyst added")

    analyst = Browser()
    sign_in_with_app(analyst, "deploy-check-analyst", analyst_password, "/console/reports/")
    report = analyst.get("/console/reports/")
    if not re.search(r"chart\.umd\.min\.[0-9a-f]{12}\.js", report.text):
        fail("the report page does not load the hashed Chart.js")
    step("analyst signed in with the authenticator app set up; report page: 200")
    pdf = analyst.get("/console/reports/?formato=pdf")
    if pdf.headers.get("content-type") != "application/pdf" or not pdf.body.startswith(b"%PDF-"):
        fail("the report's PDF is not a PDF (is Pango installed? scripts/pango)")
    step(f"the report's PDF: {len(pdf.body) // 1024} KiB")

    code = submit_scrivi(Browser())
    step(f"Scrivi request sent: tracking code {code}")
    status = visitor.get(f"/scrivi/pratica/{code}/")
    if code not in status.text:
        fail(f"the status page of {code} does not show it")
    step("status page: 200")
    wait_for_case(code)
    status = visitor.get(f"/scrivi/pratica/{code}/")
    if code not in status.text:
        fail(f"the status page of case {code} does not show it")
    step("status page of the case: 200")


if __name__ == "__main__":
    try:
        main()
    except CheckFailed as exc:
        print(f"deploy-check: FAILED: {exc}", file=sys.stderr)
        sys.exit(1)
