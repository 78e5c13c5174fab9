"""Print the monthly report for a period, and write it as XLSX, CSV or PDF."""

from __future__ import annotations

import calendar
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from ascolto.analytics import exports
from ascolto.analytics.period import Period
from ascolto.analytics.report import as_dashboard, monthly_report
from ascolto.core import tables
from ascolto.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Print the monthly report (020202, Scrivi and every channel) for a month (--month "
        "YYYY-MM, default the last complete one), a year (--year) or two dates (--start/--end); "
        "--xlsx/--csv/--pdf write it to files."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", help="YYYY-MM")
        parser.add_argument("--year", type=int)
        parser.add_argument("--start", type=date.fromisoformat, help="YYYY-MM-DD")
        parser.add_argument("--end", type=date.fromisoformat, help="YYYY-MM-DD (included)")
        parser.add_argument(
            "--compare", type=int, help="year to compare with (default: the year before)"
        )
        parser.add_argument("--xlsx", type=Path)
        parser.add_argument("--csv", type=Path)
        parser.add_argument("--pdf", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            period = self._period(options)
            board = as_dashboard(monthly_report(period, compare_year=options["compare"]))
        except (ValueError, DomainError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{board.title} · {board.subtitle}")
        for figure in board.figures:
            self.stdout.write(f"  {figure.label:<48} {figure.text()}")
        for table in board.tables:
            self.stdout.write(f"\n{table.title}")
            self.stdout.write("  " + " | ".join(table.columns))
            for row in table.rows:
                self.stdout.write("  " + " | ".join("–" if v is None else str(v) for v in row))
        if options["xlsx"]:
            options["xlsx"].write_bytes(tables.dashboard_xlsx(board))
        if options["csv"]:
            options["csv"].write_text(tables.dashboard_csv(board), encoding="utf-8")
        if options["pdf"]:
            try:
                pdf = exports.dashboard_pdf(board, municipality=settings.ASCOLTO_MUNICIPALITY)
            except exports.PdfUnavailable as exc:
                raise CommandError(str(exc)) from exc
            options["pdf"].write_bytes(pdf)
        for key in ("xlsx", "csv", "pdf"):
            if options[key]:
                self.stdout.write(f"written: {options[key]}")

    def _period(self, options: dict[str, Any]) -> Period:
        if options["start"] or options["end"]:
            if not (options["start"] and options["end"]):
                raise CommandError("--start and --end go together.")
            return Period(options["start"], options["end"])
        if options["year"]:
            return Period.year(options["year"])
        if options["month"]:
            year, month = (int(x) for x in options["month"].split("-"))
            return Period.month(year, month)
        today = timezone.localdate()
        last = date(today.year, today.month, 1).toordinal() - 1
        previous = date.fromordinal(last)
        return Period(
            previous.replace(day=1),
            previous.replace(day=calendar.monthrange(previous.year, previous.month)[1]),
        )
