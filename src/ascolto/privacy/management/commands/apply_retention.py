"""Apply the retention policy (docs/privacy.md), nightly: `python -m ascolto apply_retention`.

`--dry-run` lists what it would do and changes nothing; `-v 2` lists the ids of each kind too.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ascolto.privacy.actions import apply_retention

KINDS = {
    "cases": "closed cases anonymised",
    "citizens": "citizens with no contact in the period, erased",
    "assistant_sessions": "assistant sessions deleted",
    "raw_messages": "raw payloads of messages cleared",
    "queued_requests": "processed intake-queue payloads cleared",
    "webhook_deliveries": "webhook deliveries deleted",
    "access_archives": "expired access archives deleted",
}


class Command(BaseCommand):
    help = "Apply the retention policy: anonymise, delete or clear what is past its period."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="list what would be done; change nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = bool(options["dry_run"])
        run, plan = apply_retention(dry_run=dry_run)
        verb = "would be" if dry_run else "done"
        self.stdout.write(f"retention run {run.pk} ({'dry run' if dry_run else 'applied'}):")
        for kind, ids in plan.ids.items():
            self.stdout.write(f"  {kind}: {len(ids)} {verb} — {KINDS.get(kind, kind)}")
            if options["verbosity"] >= 2 and ids:
                self.stdout.write("    ids: " + " ".join(str(i) for i in ids))
