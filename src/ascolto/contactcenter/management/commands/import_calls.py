"""Import the telephony system's call records from a CSV or XLSX file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from ascolto.contactcenter.actions import file_records, import_call_records
from ascolto.core.errors import DomainError

SHOWN = 50  # bad rows printed; the rest are counted


class Command(BaseCommand):
    help = (
        "Import call records (ACD/CDR) from a CSV or XLSX file: every row is checked first, and "
        "a file with a bad row imports nothing. Calls already stored are left as they are. "
        "Columns: docs/contact-center.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="a .csv or .xlsx file")
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and count, store nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        bars: dict[str, tqdm[Any]] = {}

        def progress(phase: str, done: int, total: int | None) -> None:
            bar = bars.get(phase)
            if bar is None:
                label = "controllo" if phase == "check" else "importazione"
                # The rows are counted as they are read: a streamed file has no total up front.
                bar = bars[phase] = tqdm(
                    total=total, desc=label, unit=" righe", unit_scale=True, disable=None
                )
            if total is not None:
                bar.total = total
            bar.update(done - bar.n)

        try:
            report = import_call_records(
                file_records(path), dry_run=options["dry_run"], progress=progress
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        finally:
            for bar in bars.values():
                bar.close()
        if not report.ok:
            for error in report.errors[:SHOWN]:
                self.stderr.write(f"line {error.line}, {error.column}: {error.message}")
            more = report.error_count - min(len(report.errors), SHOWN)
            if more:
                self.stderr.write(f"… and {more} more bad rows")
            raise CommandError(
                f"{report.error_count} bad rows out of {report.rows}: nothing imported."
            )
        verb = "would import" if report.dry_run else "imported"
        self.stdout.write(
            f"{report.rows} rows: {verb} {report.created} calls, {report.existing} already stored."
        )
