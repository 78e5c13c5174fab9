"""Delete the rows of the tables that would grow forever, once their work is done (nightly)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ascolto.core import maintenance


class Command(BaseCommand):
    help = (
        "Delete processed intake-queue rows, processed outbox events, finished background tasks "
        "and expired sessions older than their retention (docs/deploy.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="count, delete nothing")
        parser.add_argument(
            "--only",
            action="append",
            default=[],
            metavar="NAME",
            help="run only this pruner (repeatable): "
            + ", ".join(p.name for p in maintenance.pruners()),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            counts = maintenance.prune_tables(dry_run=options["dry_run"], only=options["only"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        verb = "would delete" if options["dry_run"] else "deleted"
        by_name = {p.name: p for p in maintenance.pruners()}
        for name, count in counts.items():
            pruner = by_name[name]
            older = f" older than {pruner.days()} days" if pruner.days() else ""
            self.stdout.write(f"{name}: {verb} {count:,} row(s) ({pruner.what}{older})")
