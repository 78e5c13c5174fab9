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
from pathlib import Path

from ascolto.core.testing import CHROMIUM, CHROMIUM_FLAGS

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
        take(base, args.out)
    finally:
        server.terminate()
        server.wait(10)


def session_cookie(username: str) -> str:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    from django.conf import settings

    return str(client.cookies[settings.SESSION_COOKIE_NAME].value)


def take(base: str, out: Path) -> None:
    import django
    from django.conf import settings
    from playwright.sync_api import sync_playwright

    django.setup()
    from ascolto.tickets.models import Ticket

    office_case = (
        Ticket.objects.filter(status=Ticket.Status.OFFICE, office__isnull=False)
        .order_by("-created_at")
        .values_list("code", flat=True)
        .first()
    )
    any_case = Ticket.objects.order_by("-created_at").values_list("code", flat=True).first()
    pages: list[tuple[str, str, str | None]] = [
        ("scrivi-form", "/scrivi/", None),
        ("scrivi-status", f"/scrivi/pratica/{any_case}/", None),
        ("console-inbox", "/console/inbox/", "operatore"),
        ("console-case", f"/console/cases/{office_case or any_case}/", "supervisore"),
        ("console-call", "/console/calls/new/", "operatore"),
        ("console-overview", "/console/overview/", "supervisore"),
        ("console-contact-center", "/console/contactcenter/", "supervisore"),
        ("console-reports", "/console/reports/", "analista"),
    ]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        for name, path, user in pages:
            context = browser.new_context(
                base_url=base, locale="it-IT", viewport={"width": 1366, "height": 900}
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
            tab.screenshot(path=str(out / f"{name}.png"), full_page=False)
            print(f"{name}: {path} -> {out / (name + '.png')}")
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
