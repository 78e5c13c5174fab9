"""Operators required per interval for a stored forecast (Erlang C, or Erlang A with patience)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from ascolto.contactcenter import actions
from ascolto.contactcenter.models import ForecastRun
from ascolto.core.errors import DomainError
from ascolto.core.tables import write_table


class Command(BaseCommand):
    help = (
        "Compute the operators each interval of a forecast requires to meet the service level, "
        "store them on the forecast, and print the daily peaks (or write every interval)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--run", type=int, help="forecast id (default: the latest)")
        parser.add_argument("--service-level", type=float, default=0.8)
        parser.add_argument("--target", type=float, default=20.0, help="seconds to answer")
        parser.add_argument("--max-occupancy", type=float, default=0.85)
        parser.add_argument("--shrinkage", type=float, default=0.30)
        parser.add_argument("--aht", type=float, help="seconds (default: measured on calls)")
        parser.add_argument(
            "--patience",
            default="measured",
            help="seconds, 'measured' from abandoned calls, or 'none' for Erlang C",
        )
        parser.add_argument("--output", type=Path, help="write every interval to .csv or .xlsx")

    def handle(self, *args: Any, **options: Any) -> None:
        run = (
            ForecastRun.objects.filter(pk=options["run"]).first()
            if options["run"]
            else ForecastRun.objects.first()
        )
        if run is None:
            raise CommandError("No forecast to staff: run `forecast` first.")
        since = timezone.now() - timedelta(days=90)
        targets = actions.measured_targets(
            since,
            aht_seconds=options["aht"],
            service_level=options["service_level"],
            target_seconds=options["target"],
            max_occupancy=options["max_occupancy"],
            shrinkage=options["shrinkage"],
        )
        if options["patience"] == "none":
            targets = dataclasses.replace(targets, patience_seconds=None)
        elif options["patience"] != "measured":
            try:
                targets = dataclasses.replace(targets, patience_seconds=float(options["patience"]))
            except ValueError as exc:
                raise CommandError("--patience is seconds, 'measured' or 'none'.") from exc
        try:
            actions.compute_staffing(run, targets)
        except (DomainError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        model = "Erlang A" if targets.patience_seconds else "Erlang C"
        self.stdout.write(
            f"Forecast {run.pk}: {model}, {targets.service_level:.0%} answered within "
            f"{targets.target_seconds:.0f} s, AHT {targets.aht_seconds:.0f} s, shrinkage "
            f"{targets.shrinkage:.0%}"
            + (f", patience {targets.patience_seconds:.0f} s" if targets.patience_seconds else "")
        )
        points = run.points.order_by("start", "series")
        if options["output"]:
            write_table(
                ("serie", "inizio", "chiamate", "operatori", "da pianificare"),
                [
                    (p.series, timezone.localtime(p.start), p.calls, p.agents, p.rostered)
                    for p in points
                ],
                path=options["output"],
                out=self.stdout,
                title="fabbisogno",
            )
            return
        days: dict[Any, list[float]] = {}
        for p in points:
            day = days.setdefault(timezone.localtime(p.start).date(), [0.0, 0, 0, 0.0])
            day[0] += p.calls
            day[1] = max(day[1], p.agents or 0)
            day[2] = max(day[2], p.rostered or 0)
            day[3] += (p.rostered or 0) * run.interval_minutes / 60
        write_table(
            ("giorno", "chiamate", "picco operatori", "picco da pianificare", "ore-operatore"),
            [(d, v[0], int(v[1]), int(v[2]), v[3]) for d, v in sorted(days.items())],
            path=None,
            out=self.stdout,
        )
