"""A week's shift plan covering the operators a staffed forecast requires (OR-Tools CP-SAT)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from ascolto.contactcenter import actions
from ascolto.contactcenter.models import ForecastRun
from ascolto.contactcenter.numerics import scheduling
from ascolto.core.errors import DomainError
from ascolto.core.tables import write_table

DAYS = ("lun", "mar", "mer", "gio", "ven", "sab", "dom")


class Command(BaseCommand):
    help = (
        "Plan a week of shifts (6 h and 8 h, starting on the quarter hour, with breaks) that "
        "minimises under-staffing first and cost second; print coverage against requirement."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--run", type=int, help="forecast id (default: the latest)")
        parser.add_argument("--week", help="Monday of the week (default: the first in the run)")
        parser.add_argument("--on-site", type=int, help="operators on site (default: enough)")
        parser.add_argument("--remote", type=int, default=0, help="operators working remotely")
        parser.add_argument("--time-limit", type=float, default=30.0, help="seconds")
        parser.add_argument("--output", type=Path, help="write coverage to .csv or .xlsx")

    def handle(self, *args: Any, **options: Any) -> None:
        run = (
            ForecastRun.objects.filter(pk=options["run"]).first()
            if options["run"]
            else ForecastRun.objects.first()
        )
        if run is None:
            raise CommandError("No forecast to plan for: run `forecast` and `staffing` first.")
        if options["week"]:
            try:
                week = date.fromisoformat(options["week"])
            except ValueError as exc:
                raise CommandError("--week is a date, YYYY-MM-DD.") from exc
        else:
            first = timezone.localtime(run.horizon_start).date()
            week = first + timedelta(days=(7 - first.weekday()) % 7)
        pools = None
        if options["on_site"] is not None or options["remote"]:
            pools = [
                scheduling.OperatorPool("on_site", options["on_site"] or 0, on_site=True),
                scheduling.OperatorPool("remote", options["remote"]),
            ]
            pools = [p for p in pools if p.size > 0]
        try:
            plan = actions.make_shift_plan(
                run, week, pools=pools, time_limit_seconds=options["time_limit"]
            )
        except (DomainError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Week of {week:%d/%m/%Y}: {plan.status} in {plan.solve_seconds:.1f} s; "
            f"{sum(a.count for a in plan.assignments)} shifts, cost {plan.cost:.0f}, "
            f"under-staffing {plan.under_staffing} and over-staffing {plan.over_staffing} "
            "operator-quarter-hours"
        )
        for note in plan.notes:
            self.stdout.write(f"  {note}")
        rows = []
        for day in range(7):
            for slot in range(plan.requirement.shape[1]):
                need, have = int(plan.requirement[day, slot]), int(plan.coverage[day, slot])
                if need or have:
                    minutes = slot * plan.interval_minutes
                    rows.append(
                        (
                            DAYS[day],
                            f"{minutes // 60:02d}:{minutes % 60:02d}",
                            need,
                            have,
                            max(0, need - have),
                            max(0, have - need),
                        )
                    )
        write_table(
            ("giorno", "ora", "richiesti", "in turno", "mancanti", "in eccesso"),
            rows,
            path=options["output"],
            out=self.stdout,
            title="copertura",
        )
