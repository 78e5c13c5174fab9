"""Serve the local Graph API sandbox (the demo's stand-in for Meta): `meta_sandbox --port N`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ascolto.channels.adapters.meta.sandbox import DEFAULT_TOKEN, VERSION, GraphSandbox


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

    def handle(self, *args: Any, **options: Any) -> None:
        sandbox = GraphSandbox(
            token=options["token"],
            host=options["host"],
            port=options["port"],
            version=options["api_version"],
        )
        sandbox.start()
        self.stdout.write(f"Graph API sandbox on {sandbox.url} (token: {sandbox.token})")
        try:
            sandbox.wait()
        except KeyboardInterrupt:
            sandbox.stop()
