"""`manage.py demo`: the one command of the quick start. Migrates, seeds, generates the demo
city when the database has no cases yet, and serves the app with a task worker and a local
Graph API server (Meta's stand-in, `meta_sandbox`) beside it."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ascolto.channels.adapters.meta.sandbox import VERSION
from ascolto.core.errors import DomainError
from ascolto.demo.generator import default_end, generate
from ascolto.demo.meta import GRAPH_PORT, SECRET_ENV, environment
from ascolto.demo.reference import INSTAGRAM_ID
from ascolto.demo.seed import credentials_box, seed_reference
from ascolto.tickets.models import Ticket


class Command(BaseCommand):
    help = "Run the demo: database, demo city, users, and the server at http://127.0.0.1:8000."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", type=float, default=0.02, help="city size (default 0.02)")
        parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
        parser.add_argument(
            "--addrport", default="127.0.0.1:8000", help="where to serve (default 127.0.0.1:8000)"
        )
        parser.add_argument(
            "--no-serve", action="store_true", help="prepare everything but do not serve"
        )
        parser.add_argument(
            "--graph-port",
            type=int,
            default=GRAPH_PORT,
            help=f"port of the local Graph API server (default {GRAPH_PORT})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = options["verbosity"]
        call_command("migrate", interactive=False, verbosity=max(verbosity - 1, 0))
        end = default_end()
        result = seed_reference(end)
        if Ticket.objects.exists():
            self.stdout.write("Cases found in the database: the existing data is kept.")
        else:
            try:
                generate(
                    seed=options["seed"],
                    scale=options["scale"],
                    end=end,
                    wipe_first=False,
                    say=self.stdout.write,
                )
            except DomainError as exc:
                raise CommandError(str(exc)) from exc
            # The supervisor's contact-center page shows the latest forecast and staffing.
            self.stdout.write("Forecasting the contact center's calls (about 20 s) …")
            quiet = io.StringIO()
            call_command("forecast", horizon=28, stdout=quiet, stderr=quiet)
            call_command("staffing", stdout=quiet, stderr=quiet)
        host = (
            options["addrport"]
            if ":" in options["addrport"]
            else f"127.0.0.1:{options['addrport']}"
        )
        url = f"http://{host}/console/"
        self.stdout.write("")
        self.stdout.write(credentials_box(result.credentials, url))
        self.stdout.write(f"Operator console: {url} (sign in with one of the users above)")
        self.stdout.write(f"Citizen pages:    http://{host}/scrivi/")
        self.stdout.write(f"Administration:   http://{host}/admin/")
        if not options["no_serve"]:
            self._serve(options["addrport"], options["graph_port"])

    def _serve(self, addrport: str, graph_port: int) -> None:
        """Serve the app beside a local Graph server (Meta's stand-in: the WhatsApp, Messenger
        and Instagram replies an operator sends reach it and show "Inviato"), with the demo
        channels' placeholder secrets set; with the default inline tasks, serve it as
        production does: tasks (a forecast started from the supervisor's page, the intake
        drain, replies, outgoing mail) queued in the database and run by a worker beside the
        server, so no page waits for them."""
        graph_url = f"http://127.0.0.1:{graph_port}/{VERSION}"
        meta = environment(graph_url)
        python = [sys.executable, "-m", "ascolto"]
        children: list[subprocess.Popen[bytes]] = []
        self.stdout.write(f"Meta's Graph API: the local server at {graph_url} (meta_sandbox).")
        children.append(
            subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [
                    *python,
                    "meta_sandbox",
                    "--port",
                    str(graph_port),
                    # Meta's status webhooks on the replies it accepted: delivered, then read.
                    "--webhook",
                    f"http://{_local(addrport)}/webhooks/meta/whatsapp/",
                    "--app-secret-env",
                    SECRET_ENV,
                    "--instagram-account",
                    INSTAGRAM_ID,
                ],
                env={**os.environ, **meta},
            )
        )
        try:
            if settings.TASK_BACKEND != "immediate":
                os.environ.update(meta)
                settings.ASCOLTO_META_GRAPH_URL = graph_url
                call_command("runserver", addrport, use_reloader=False)
                return
            env = {**os.environ, **meta, "ASCOLTO_TASK_BACKEND": "database"}
            self.stdout.write("Background tasks: a worker runs beside the server (db_worker).")
            children.append(
                subprocess.Popen(  # noqa: S603
                    [*python, "db_worker", "--no-reload", "--interval", "1"], env=env
                )
            )
            subprocess.run(  # noqa: S603
                [*python, "runserver", addrport, "--noreload"], env=env, check=False
            )
        except KeyboardInterrupt:
            pass
        finally:
            for child in children:
                child.terminate()
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()


def _local(addrport: str) -> str:
    """Where this machine reaches the server `runserver addrport` serves."""
    host, _sep, port = addrport.rpartition(":")
    if not host or host in ("0.0.0.0", "::", "[::]"):  # noqa: S104 (read, not bound)
        host = "127.0.0.1"
    return f"{host}:{port or addrport}"
