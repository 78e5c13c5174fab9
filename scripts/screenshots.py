"""Take the screenshots in docs/screenshots/ from a fresh demo city, in real Chromium.

    ./scripts/uv run python scripts/screenshots.py [--scale 0.01] [--out docs/screenshots]

It builds a demo city in a temporary directory, serves it on a free local port, signs in as the
demo users (sessions made directly, no passwords) and saves one PNG per page. Re-run it when a
page changes; the images are committed so the docs show the product without running it.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ascolto.core.testing import CHROMIUM, CHROMIUM_FLAGS

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 (local URL)
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the server at {url} did not answer")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=0.01)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--only", nargs="*", default=[], help="names of the shots to take")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    var = tempfile.mkdtemp(prefix="ascolto-shots-")
    env = {
        **os.environ,
        "ASCOLTO_VAR_DIR": var,
        "DJANGO_SETTINGS_MODULE": "ascolto.config.settings",
    }
    env.pop("DATABASE_URL", None)
    os.environ.update({k: v for k, v in env.items() if k != "DATABASE_URL"})
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    subprocess.run(  # noqa: S603
        [sys.executable, "-m", "ascolto", "demo", "--no-serve", "--scale", str(args.scale)],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    port = free_port()
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "ascolto", "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/scrivi/")
        take(base, args.out, set(args.only))
    finally:
        server.terminate()
        server.wait(10)


def session_cookie(username: str) -> str:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from ascolto.organisation import twofactor

    user = get_user_model().objects.get(username=username)
    client = Client()
    client.force_login(user)
    if twofactor.required_for(user):
        # As the code page would: the demo user gets a confirmed authenticator app (in the
        # throwaway demo database) and the session its verified second factor.
        device, _ = TOTPDevice.objects.get_or_create(
            user=user, name=twofactor.APP_DEVICE, defaults={"confirmed": True}
        )
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    from django.conf import settings

    return str(client.cookies[settings.SESSION_COOKIE_NAME].value)


def open_resolve(tab: Page) -> None:
    """The case page's resolve form, opened with its key, and the `#` search of templates and
    articles open in it (the whole window is shot)."""
    tab.keyboard.press("s")
    tab.keyboard.type("#")
    tab.locator("#snippet-list [role=option]").first.wait_for()
    tab.wait_for_timeout(300)


def open_confirm(tab: Page) -> None:
    """The case page's internal note written and sent: the console's confirmation dialog (a
    Bootstrap Italia modal, the same on every page that asks before acting)."""
    tab.keyboard.press("n")
    tab.keyboard.type("Richiamare il cittadino lunedì mattina.")
    tab.get_by_role("button", name="Aggiungi la nota").click()
    tab.locator("#confirm-dialog-ok").wait_for()
    tab.wait_for_timeout(500)  # the dialog fades in


def open_menu(tab: Page) -> None:
    """The console's menu on a phone, opened with its button."""
    tab.get_by_role("button", name="Apri il menu").click()
    tab.wait_for_timeout(500)  # the panel slides in


def open_draft(tab: Page) -> None:
    """A published survey's page, its questions opened for a new version: the builder with a
    form per question (in the throwaway demo database)."""
    tab.get_by_role("button", name="Modifica le domande (nuova versione)").click()
    tab.wait_for_load_state("networkidle")


# Pages shot at another height than 1366×900: the smallest common laptop screen, or a taller
# window for the reports whose charts begin below the first screen.
HEIGHTS = {
    "console-case": 768,
    "console-case-resolve": 768,
    "console-confirm": 768,
    "console-inbox": 768,
    "console-survey-results": 1400,
    "public-questionnaire": 1400,
}


def take(base: str, out: Path, only: set[str]) -> None:
    import django
    from django.conf import settings
    from playwright.sync_api import sync_playwright

    django.setup()
    from django.db.models import Count

    from ascolto.citizens.models import Citizen
    from ascolto.tickets.models import Ticket

    # The citizen with the most identities and cases: the citizen page with every section full.
    citizen = (
        Citizen.objects.filter(merged_into__isnull=True)
        .annotate(ids=Count("identities", distinct=True), cases=Count("tickets", distinct=True))
        .order_by("-ids", "-cases", "pk")
        .values_list("pk", flat=True)
        .first()
    )
    office_case = (
        Ticket.objects.filter(status=Ticket.Status.OFFICE, office__isnull=False)
        .order_by("-created_at")
        .values_list("code", flat=True)
        .first()
    )
    any_case = Ticket.objects.order_by("-created_at").values_list("code", flat=True).first()
    # A Scrivi case still open, so its resolve form offers to send the text by email.
    web_case = (
        Ticket.objects.filter(channel__kind="web", status__in=Ticket.ACTIVE)
        .order_by("-created_at")
        .values_list("code", flat=True)
        .first()
    )
    from ascolto.assistant.models import MenuVersion
    from ascolto.knowledge.models import Article

    # The article most read by operators: an internal one if the city has any.
    article = Article.objects.order_by("-audience", "title").values_list("slug", flat=True).first()
    menu = (
        MenuVersion.objects.filter(status=MenuVersion.Status.PUBLISHED)
        .values_list("pk", flat=True)
        .first()
    )
    from ascolto.charters.models import ServiceCharter
    from ascolto.surveys.models import ExecutiveSummary, PopulationMargins, Survey

    # Listening: the survey after a resolved case (a year of answers), the published summary of
    # the demo's questionnaire "Milano Ti Ascolta", its population, and a charter whose theme
    # has cases enough to measure every commitment.
    case_survey = Survey.objects.filter(code="dopo-pratica").values_list("pk", flat=True).first()
    summary = (
        ExecutiveSummary.objects.filter(status=ExecutiveSummary.Status.PUBLISHED)
        .values_list("pk", "slug")
        .first()
    ) or (0, "")
    margins = PopulationMargins.objects.order_by("pk").values_list("pk", flat=True).first()
    charters = ServiceCharter.objects.values_list("pk", "slug")
    charter = (
        charters.filter(slug="igiene-ambientale").first() or charters.order_by("pk").first()
    ) or (0, "")
    # name, path, user, viewport width, what to do before the shot (and the element to shoot)
    pages: list[tuple[str, str, str | None, int, Callable[[Page], Locator | None] | None]] = [
        ("scrivi-form", "/scrivi/", None, 1366, None),
        ("scrivi-status", f"/scrivi/pratica/{any_case}/", None, 1366, None),
        ("public-transparency", "/trasparenza/", None, 1366, None),
        ("console-inbox", "/console/inbox/", "operatore", 1366, None),
        ("console-case", f"/console/cases/{office_case or any_case}/", "supervisore", 1366, None),
        (
            "console-case-resolve",
            f"/console/cases/{web_case or any_case}/",
            "supervisore",
            1366,
            open_resolve,
        ),
        ("console-menu-phone", "/console/inbox/", "supervisore", 375, open_menu),
        ("console-call", "/console/calls/new/", "operatore", 1366, None),
        ("console-overview", "/console/overview/", "supervisore", 1366, None),
        ("console-contact-center", "/console/contactcenter/", "supervisore", 1366, None),
        ("console-reports", "/console/reports/", "analista", 1366, None),
        ("console-citizen", f"/console/citizens/{citizen}/", "operatore", 1366, None),
        ("console-wall", "/console/overview/wall/", "supervisore", 1366, None),
        (
            "console-confirm",
            f"/console/cases/{web_case or any_case}/",
            "supervisore",
            1366,
            open_confirm,
        ),
        ("console-knowledge", "/console/conoscenza/", "operatore", 1366, None),
        ("console-knowledge-article", f"/console/conoscenza/{article}/", "operatore", 1366, None),
        ("console-assistant", "/console/assistente/", "supervisore", 1366, None),
        ("console-access-log", "/console/registro-accessi/", "admin", 1366, None),
        ("console-citizen-privacy", f"/console/citizens/{citizen}/privacy/", "admin", 1366, None),
        (
            "console-assistant-menu",
            f"/console/assistente/versioni/{menu}/",
            "supervisore",
            1366,
            None,
        ),
        ("console-surveys", "/console/questionari/", "analista", 1366, None),
        (
            "console-survey-builder",
            f"/console/questionari/{case_survey}/",
            "analista",
            1366,
            open_draft,
        ),
        (
            "console-survey-results",
            "/console/questionari/dopo-pratica/risultati/",
            "analista",
            1366,
            None,
        ),
        # The portal's link after an online service: it makes an invitation and redirects to
        # the answering page, as a citizen would see it.
        ("scrivi-survey", "/scrivi/questionario/servizio/appuntamenti-online/", None, 1366, None),
        ("console-questionnaires", "/console/indagini/", "analista", 1366, None),
        (
            "console-questionnaire-summary",
            f"/console/indagini/sintesi/{summary[0]}/",
            "analista",
            1366,
            None,
        ),
        ("public-questionnaire", f"/trasparenza/indagini/{summary[1]}/", None, 1366, None),
        (
            "console-population",
            f"/console/indagini/popolazioni/{margins}/",
            "analista",
            1366,
            None,
        ),
        ("console-charters", "/console/carte-dei-servizi/", "analista", 1366, None),
        ("console-charter", f"/console/carte-dei-servizi/{charter[0]}/", "analista", 1366, None),
        ("public-charter", f"/trasparenza/carte-dei-servizi/{charter[1]}/", None, 1366, None),
        ("console-survey-plan", "/console/piano-indagini/", "analista", 1366, None),
    ]
    if only:
        pages = [p for p in pages if p[0] in only]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        for name, path, user, width, prepare in pages:
            if only and name not in only:
                continue
            height = HEIGHTS.get(name, 900 if width > 800 else 740)
            context = browser.new_context(
                base_url=base, locale="it-IT", viewport={"width": width, "height": height}
            )
            if user:
                context.add_cookies(
                    [
                        {
                            "name": settings.SESSION_COOKIE_NAME,
                            "value": session_cookie(user),
                            "url": base,
                        }
                    ]
                )
            tab = context.new_page()
            tab.goto(path)
            tab.wait_for_load_state("networkidle")
            element = prepare(tab) if prepare else None
            target = str(out / f"{name}.png")
            if element is not None:
                element.screenshot(path=target)
            else:
                tab.screenshot(path=target, full_page=False)
            print(f"{name}: {path} -> {out / (name + '.png')}")
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
