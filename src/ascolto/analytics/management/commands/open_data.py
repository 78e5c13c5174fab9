"""Write the year's open data (CSV, JSON and the data dictionary) for publication."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ascolto.analytics import opendata


class Command(BaseCommand):
    help = (
        "Write the aggregated monthly figures of a year as CSV and JSON with a data dictionary "
        "into --out: no personal data, counts from 1 to 4 suppressed (and secondary suppression)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--out", type=Path, required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        for path in opendata.write(options["year"], options["out"]):
            self.stdout.write(f"written: {path}")
