"""The contact center's answered calls and their cost, per month and budget line."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from ascolto.contactcenter.costs import allocate_call_costs
from ascolto.core.errors import DomainError
from ascolto.core.tables import write_table


class Command(BaseCommand):
    help = (
        "Allocate the cost of answered calls to the budget lines of the departments owning their "
        "themes, per month, for a year (--year, default the current one) or two dates "
        "(--start/--end); --output writes the lines to .csv or .xlsx for the finance office."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int)
        parser.add_argument("--start", type=date.fromisoformat, help="YYYY-MM-DD")
        parser.add_argument("--end", type=date.fromisoformat, help="YYYY-MM-DD (included)")
        parser.add_argument(
            "--cost-per-call", help="EUR (default: ASCOLTO_COST_PER_CALL, 2 EUR unless set)"
        )
        parser.add_argument("--output", type=Path, help="write the lines to .csv or .xlsx")

    def handle(self, *args: Any, **options: Any) -> None:
        start, end = self._period(options)
        price = None
        if options["cost_per_call"] is not None:
            try:
                price = Decimal(options["cost_per_call"])
            except InvalidOperation as exc:
                raise CommandError("--cost-per-call is an amount in EUR, e.g. 2.35") from exc
        try:
            lines = allocate_call_costs(start, end, cost_per_call=price)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        rows = [
            (f"{line.month:%Y-%m}", line.budget_line, line.office, line.calls, line.cost)
            for line in lines
        ]
        write_table(
            ("mese", "capitolo", "ufficio", "chiamate", "costo (EUR)"),
            rows,
            path=options["output"],
            out=self.stdout,
            title="costi",
        )
        total = sum((line.cost for line in lines), Decimal("0.00"))
        calls = sum(line.calls for line in lines)
        self.stdout.write(f"{start:%d/%m/%Y}–{end:%d/%m/%Y}: {calls} calls, {total} EUR")

    def _period(self, options: dict[str, Any]) -> tuple[date, date]:
        if options["start"] or options["end"]:
            if not (options["start"] and options["end"]):
                raise CommandError("--start and --end go together.")
            return options["start"], options["end"]
        year = options["year"] or timezone.localdate().year
        return date(year, 1, 1), date(year, 12, 31)
