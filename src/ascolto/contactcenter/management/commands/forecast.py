"""Forecast calls to the contact center, from the call records or a CSV."""

from __future__ import annotations

import dataclasses
from argparse import BooleanOptionalAction
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from tqdm import tqdm

from ascolto.contactcenter import actions, arrivals
from ascolto.contactcenter.forecasting import OperatingCalendar, default_candidates
from ascolto.contactcenter.models import ForecastRun
from ascolto.core.errors import DomainError
from ascolto.core.tables import write_table


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
            "--start",
            type=date.fromisoformat,
            help="first day to forecast, YYYY-MM-DD (default: today for the call records, the "
            "day after the data for a CSV)",
        )
        parser.add_argument("--output", type=Path, help="write the points to .csv or .xlsx")
        cal = parser.add_argument_group(
            "operating calendar",
            "Default: the contact center's stored calendar (the supervisor's page). Each "
            "option replaces one part of it for this run.",
        )
        cal.add_argument(
            "--weekdays", help="open days, 0 = Monday (e.g. 0,1,2,3,4,5); 'learn' from the data"
        )
        cal.add_argument("--country", help="public holidays of this country (ISO code, e.g. IT)")
        cal.add_argument("--subdiv", help="and of this subdivision (e.g. MI, RM); 'none' for none")
        cal.add_argument("--no-holidays", action="store_true", help="no public holidays at all")
        cal.add_argument("--patron-day", help="the city's patron day, MM-DD (e.g. 06-29); 'none'")
        cal.add_argument(
            "--open-on-holidays",
            action=BooleanOptionalAction,
            default=None,
            help="holidays are open days (with their own lower volume) or closed",
        )
        cal.add_argument("--closed-dates", help="extra closed days, YYYY-MM-DD,YYYY-MM-DD")
        cal.add_argument("--open-dates", help="extra open days, YYYY-MM-DD,YYYY-MM-DD")

    def handle(self, *args: Any, **options: Any) -> None:
        interval = options["interval"]
        try:
            if options["csv"]:
                data = arrivals.read_csv(options["csv"])
                source, events = ForecastRun.Source.CSV, None
            else:
                today = timezone.localdate()
                start = today - timedelta(days=options["history_days"])
                data = arrivals.call_arrivals(
                    start,
                    today - timedelta(days=1),
                    interval_minutes=interval,
                    by_queue=options["by_queue"],
                )
                events = arrivals.campaign_events(start, today + timedelta(days=options["horizon"]))
                source = ForecastRun.Source.CALL_RECORDS
            calendar = _calendar(actions.operating_calendar(), options)
            first_day = options["start"] or (None if options["csv"] else timezone.localdate())
            candidates = default_candidates(calendar)
            with tqdm(total=len(candidates), desc="modelli", unit="modello", disable=None) as bar:

                def advance(name: str) -> None:
                    bar.set_postfix_str(name)
                    bar.update(1)

                run = actions.run_forecast(
                    data,
                    horizon_days=options["horizon"],
                    interval_minutes=interval,
                    source=source,
                    events=events,
                    calendar=calendar,
                    candidates=candidates,
                    origins=options["origins"],
                    start=first_day,
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
            line = f"  {name:<20} MASE {_num(mase, 3)}  RMSE {_num(rmse, 1)}"
            if candidate.get("error"):
                line += f"  excluded: {candidate['error']}"
            self.stdout.write(line)
        self.stdout.write(
            f"Horizon {timezone.localtime(run.horizon_start):%Y-%m-%d} to "
            f"{timezone.localtime(run.horizon_end):%Y-%m-%d}"
        )
        for note in actions.forecast_notes(run):
            self.stdout.write(f"Note: {note}")
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


def _dates(text: str, option: str) -> tuple[date, ...]:
    try:
        return tuple(date.fromisoformat(part.strip()) for part in text.split(",") if part.strip())
    except ValueError as exc:
        raise CommandError(f"{option}: dates are YYYY-MM-DD, separated by commas ({exc})") from exc


def _calendar(stored: OperatingCalendar, options: dict[str, Any]) -> OperatingCalendar:
    """The stored calendar with the parts the options replace."""
    changes: dict[str, Any] = {}
    if options["weekdays"]:
        if options["weekdays"] == "learn":
            changes["weekdays"] = None
        else:
            try:
                changes["weekdays"] = tuple(int(d) for d in options["weekdays"].split(","))
            except ValueError as exc:
                raise CommandError("--weekdays: numbers 0 (Monday) to 6, e.g. 0,1,2,3,4") from exc
    if options["country"]:
        changes["country"] = options["country"].upper()
        changes["subdiv"] = None
    if options["subdiv"]:
        changes["subdiv"] = None if options["subdiv"].lower() == "none" else options["subdiv"]
    if options["no_holidays"]:
        changes["country"] = None
        changes["subdiv"] = None
    if options["patron_day"]:
        if options["patron_day"].lower() == "none":
            changes["patron_day"] = None
        else:
            try:
                month, day = (int(p) for p in options["patron_day"].split("-"))
            except ValueError as exc:
                raise CommandError("--patron-day: MM-DD, e.g. 06-29") from exc
            changes["patron_day"] = (month, day)
    if options["open_on_holidays"] is not None:
        changes["closed_on_holidays"] = not options["open_on_holidays"]
    if options["closed_dates"]:
        changes["closed_dates"] = _dates(options["closed_dates"], "--closed-dates")
    if options["open_dates"]:
        changes["open_dates"] = _dates(options["open_dates"], "--open-dates")
    try:
        return dataclasses.replace(stored, **changes)
    except ValueError as exc:
        raise CommandError(f"calendar: {exc}") from exc


def _num(value: float | None, digits: int) -> str:
    return "failed" if value is None else f"{value:.{digits}f}"
