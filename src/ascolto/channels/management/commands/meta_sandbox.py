"""Serve the local Graph API sandbox (the demo's stand-in for Meta): `meta_sandbox --port N`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ascolto.channels.adapters.meta.sandbox import DEFAULT_TOKEN, VERSION, GraphSandbox, Reports
from ascolto.channels.config import secret


class Command(BaseCommand):
    help = (
        "Serve a local imitation of Meta's Graph API (WhatsApp, Messenger, Instagram, comments) "
        "for the demo; point ASCOLTO_META_GRAPH_URL at the URL it prints."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--token", default=DEFAULT_TOKEN, help="the bearer token it accepts")
        parser.add_argument("--api-version", dest="api_version", default=VERSION)
        parser.add_argument(
            "--webhook",
            default="",
            help="post signed status webhooks (delivered, then read) for each message accepted "
            "to this URL, as Meta does (e.g. http://127.0.0.1:8000/webhooks/meta/whatsapp/)",
        )
        parser.add_argument(
            "--app-secret-env",
            dest="app_secret_env",
            default="ASCOLTO_META_APP_SECRET",
            help="the variable holding the app secret that signs them",
        )
        parser.add_argument(
            "--instagram-account",
            dest="instagram_accounts",
            action="append",
            default=[],
            help="an Instagram account id whose messages are reported as Instagram's",
        )
        parser.add_argument("--report-delay", dest="report_delay", type=float, default=1.0)

    def handle(self, *args: Any, **options: Any) -> None:
        reports = None
        if options["webhook"]:
            app_secret = secret(options["app_secret_env"])
            if not app_secret:
                raise CommandError(f"{options['app_secret_env']} is not set: reports unsigned")
            reports = Reports(
                url=options["webhook"],
                app_secret=app_secret,
                instagram_accounts=frozenset(options["instagram_accounts"]),
                delay=options["report_delay"],
            )
        sandbox = GraphSandbox(
            token=options["token"],
            host=options["host"],
            port=options["port"],
            version=options["api_version"],
            reports=reports,
        )
        sandbox.start()
        self.stdout.write(f"Graph API sandbox on {sandbox.url} (token: {sandbox.token})")
        if reports is not None:
            self.stdout.write(f"Status webhooks posted to {reports.url}")
        try:
            sandbox.wait()
        except KeyboardInterrupt:
            sandbox.stop()
