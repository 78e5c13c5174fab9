"""`manage.py generate_city`: a realistic, deterministic year of contacts and cases."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ascolto.core.errors import DomainError
from ascolto.demo.generator import default_end, ensure_migrated, generate


class Command(BaseCommand):
    help = (
        "Generate the demo city's year of calls, web requests, emails, social messages and "
        "WhatsApp sessions, with their cases (see docs/demo-city.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
        parser.add_argument(
            "--scale",
            type=float,
            default=0.02,
            help="share of the reference city's 2021 volumes (1.0 = 1 M calls; default 0.02)",
        )
        parser.add_argument(
            "--end",
            type=date.fromisoformat,
            default=None,
            help="last day of the generated year, YYYY-MM-DD (default: yesterday)",
        )
        parser.add_argument(
            "--wipe",
            action="store_true",
            help="first delete every case, event, message, conversation, call, identity and "
            "citizen in the database",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        end = options["end"] or default_end()
        if end > default_end():
            raise CommandError(
                "--end must be a past day: the generated year ends yesterday at most."
            )
        self.stdout.write(
            f"Generating the demo city: seed {options['seed']}, scale {options['scale']}, "
            f"year ending {end:%d/%m/%Y}."
        )
        try:
            ensure_migrated()
            generate(
                seed=options["seed"],
                scale=options["scale"],
                end=end,
                wipe_first=options["wipe"],
                say=self.stdout.write,
            )
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
