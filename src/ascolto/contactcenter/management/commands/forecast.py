"""Forecast calls to the contact center, from the call records or a CSV."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from tqdm import tqdm

from ascolto.contactcenter import actions, history
from ascolto.contactcenter.export import write_table
from ascolto.contactcenter.forecasting import OperatingCalendar
from ascolto.contactcenter.models import ForecastRun
from ascolto.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Forecast call arrivals: pick the best model by rolling-origin cross-validation, store "
        "the run, print (or write) the daily totals with 80 % and 95 % intervals."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--csv", type=Path, help="long-format CSV (series_id, ds, y)")
        parser.add_argument("--interval", type=int, default=15, help="minutes (5, 15, 30, 60)")
        parser.add_argument("--history-days", type=int, default=365)
        parser.add_argument("--horizon", type=int, default=28, help="days ahead (1-186)")
        parser.add_argument("--by-queue", action="store_true", help="one series per queue")
        parser.add_argument("--origins", type=int, default=3, help="cross-validation origins")
        parser.add_argument(
            "--weekdays", help="open days, 0 = Monday (e.g. 0,1,2,3,4,5); default: learnt"
        )
        parser.add_argument("--output", type=Path, help="write the points to .csv or .xlsx")

    def handle(self, *args: Any, **options: Any) -> None:
        interval = options["interval"]
        try:
            if options["csv"]:
                data = history.read_csv(options["csv"])
                source, events = ForecastRun.Source.CSV, None
            else:
                today = timezone.localdate()
                start = today - timedelta(days=options["history_days"])
                data = history.call_arrivals(
                    start,
                    today - timedelta(days=1),
                    interval_minutes=interval,
                    by_queue=options["by_queue"],
                )
                events = history.campaign_events(start, today + timedelta(days=options["horizon"]))
                source = ForecastRun.Source.CALL_RECORDS
            weekdays = (
                tuple(int(d) for d in options["weekdays"].split(","))
                if options["weekdays"]
                else None
            )
            with tqdm(total=5, desc="modelli", unit="modello", disable=None) as bar:

                def advance(name: str) -> None:
                    bar.set_postfix_str(name)
                    bar.update(1)

                run = actions.run_forecast(
                    data,
                    horizon_days=options["horizon"],
                    interval_minutes=interval,
                    source=source,
                    events=events,
                    calendar=OperatingCalendar(weekdays=weekdays),
                    origins=options["origins"],
                    progress=advance,
                )
        except (DomainError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Forecast {run.pk}: model {run.model_name}, MASE {_num(run.mase, 3)}, "
            f"RMSE {_num(run.rmse, 1)}"
        )
        for candidate in run.candidates:
            name, mase, rmse = candidate["model"], candidate["mase"], candidate["rmse"]
            self.stdout.write(f"  {name:<20} MASE {_num(mase, 3)}  RMSE {_num(rmse, 1)}")
        points = run.points.order_by("series", "start")
        if options["output"]:
            rows = [
                (p.series, timezone.localtime(p.start), p.calls, p.lo80, p.hi80, p.lo95, p.hi95)
                for p in points
            ]
            write_table(
                ("serie", "inizio", "chiamate", "min 80%", "max 80%", "min 95%", "max 95%"),
                rows,
                path=options["output"],
                out=self.stdout,
                title="previsione",
            )
            return
        write_table(
            ("serie", "giorno", "chiamate", "min 80%", "max 80%", "min 95%", "max 95%"),
            [
                (t["series"], t["start"], t["yhat"], t["lo80"], t["hi80"], t["lo95"], t["hi95"])
                for t in run.totals.get("D", [])
            ],
            path=None,
            out=self.stdout,
        )


def _num(value: float | None, digits: int) -> str:
    return "failed" if value is None else f"{value:.{digits}f}"
