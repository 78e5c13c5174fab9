"""The forecast → staffing → schedule chain, from call records to callback slots, end to end."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone
from openpyxl import load_workbook

from ascolto.contactcenter.actions import callback_slots
from ascolto.contactcenter.forecasting import OperatingCalendar
from ascolto.contactcenter.models import CallRecord, ForecastRun
from tests import personas

# A weekday profile of a small contact center: calls per quarter hour from 08:30 to 18:00.
OPEN, CLOSE = 34, 72  # quarter hours
PROFILE = np.concatenate([np.linspace(4, 14, 8), np.full(12, 14.0), np.linspace(12, 6, 18)])


def _history(weeks: int) -> date:
    """Calls on weekdays but Milan's holidays for `weeks` weeks ending yesterday, bulk-written
    as the telephony export would deliver them; returns the first day."""
    rng = np.random.default_rng(7)
    zone = timezone.get_current_timezone()
    today = timezone.localdate()
    first = today - timedelta(weeks=weeks)
    holidays = OperatingCalendar().holidays_between(first, today)
    rows = []
    for offset in range(weeks * 7):
        day = first + timedelta(days=offset)
        if day.weekday() >= 5 or day in holidays:
            continue
        for q, mean in enumerate(PROFILE):
            for n in range(int(rng.poisson(mean))):
                at = datetime.combine(day, time(), tzinfo=zone) + timedelta(
                    minutes=(OPEN + q) * 15 + int(rng.integers(15))
                )
                abandoned = bool(rng.random() < 0.06)
                wait = int(rng.exponential(60))
                rows.append(
                    CallRecord(
                        external_id=f"{day:%Y%m%d}-{q}-{n}",
                        queue="generale",
                        arrived_at=at,
                        wait_seconds=wait,
                        talk_seconds=0 if abandoned else 277,
                        abandoned=abandoned,
                        ended_at=at + timedelta(seconds=wait + 277),
                    )
                )
    CallRecord.objects.bulk_create(rows)
    return first


def _pinned(day: date) -> time_machine.travel:
    """The clock at 07:00 on `day` in the city's time zone."""
    return time_machine.travel(
        datetime.combine(day, time(7), tzinfo=timezone.get_current_timezone()), tick=False
    )


# A Thursday (a 3-day horizon was refused on Wednesdays and Thursdays), and a Tuesday between
# New Year and Epiphany (the history's last days closed, the horizon starting on a holiday eve).
@pytest.mark.parametrize("today", [date(2026, 12, 3), date(2027, 1, 5)], ids=str)
@pytest.mark.django_db
def test_forecast_staffing_and_shift_plan_open_callback_slots(
    cast: personas.Cast, tmp_path: Path, today: date
) -> None:
    with _pinned(today):
        _check_forecast_staffing_and_shift_plan(tmp_path)


def _check_forecast_staffing_and_shift_plan(tmp_path: Path) -> None:
    _history(weeks=10)
    out = StringIO()

    call_command(
        "forecast", "--horizon", "14", "--origins", "1", "--weekdays", "0,1,2,3,4", stdout=out
    )

    run = ForecastRun.objects.get()
    names = {c["model"] for c in run.candidates}
    assert run.model_name in names
    assert {"SeasonalNaive(day)", "SeasonalNaive(week)", "VolumeProfile"} <= names
    assert all(c["error"] == "" and c["mase"] is not None for c in run.candidates)
    today = timezone.localdate()
    assert timezone.localtime(run.horizon_start).date() == today
    assert timezone.localtime(run.horizon_end).date() == today + timedelta(days=13)
    days = run.totals["D"]
    holidays = {date(2026, 12, 7), date(2026, 12, 8), date(2026, 12, 25), date(2027, 1, 6)}
    open_days = [
        today + timedelta(days=k)
        for k in range(14)
        if (today + timedelta(days=k)).weekday() < 5 and today + timedelta(days=k) not in holidays
    ]
    forecast = [date.fromisoformat(d["start"]) for d in days if d["yhat"] > 0]
    assert forecast == open_days  # every open day of the horizon, and only those
    for d in days:  # about 400 calls a weekday, inside its own intervals
        if d["yhat"] > 0:
            assert 300 < d["yhat"] < 500
        assert d["lo95"] <= d["lo80"] <= d["yhat"] <= d["hi80"] <= d["hi95"]
    assert "MASE" in out.getvalue()
    assert f"Horizon {today.isoformat()} to " in out.getvalue()

    call_command("staffing", "--run", str(run.pk), stdout=StringIO())
    busy = run.points.order_by("-calls").first()
    assert busy is not None and busy.agents is not None and busy.rostered is not None
    # 14 calls a quarter hour of 277 s is 4.3 Erlangs: 80/20 needs 7 or so, with shrinkage more.
    assert 5 <= busy.agents <= 9 and busy.rostered > busy.agents
    assert run.points.filter(agents__isnull=True).count() == 0

    monday = timezone.localdate() + timedelta(days=(7 - timezone.localdate().weekday()) % 7 or 7)
    sheet = tmp_path / "copertura.xlsx"
    plan_out = StringIO()
    call_command(
        "schedule",
        "--run",
        str(run.pk),
        "--week",
        monday.isoformat(),
        "--time-limit",
        "20",
        "--output",
        str(sheet),
        stdout=plan_out,
    )

    assert "OPTIMAL" in plan_out.getvalue() or "FEASIBLE" in plan_out.getvalue()
    rows = list(load_workbook(sheet).active.iter_rows(values_only=True))
    assert rows[0] == ("giorno", "ora", "richiesti", "in turno", "mancanti", "in eccesso")
    assert all(r[3] >= 0 and r[4] == max(0, r[2] - r[3]) for r in rows[1:])
    # Shifts come in whole hours and quarters, so some intervals are over-covered: that spare
    # capacity is what callback slots offer.
    # (On the week's open days: the Monday may be a holiday, 7 December.)
    slots = [s for k in range(5) for s in callback_slots(monday + timedelta(days=k))]
    assert slots and sum(s.capacity for s in slots) > 0


def test_staffing_without_a_forecast_says_what_to_do(cast: personas.Cast) -> None:
    with pytest.raises(CommandError, match="run `forecast` first"):
        call_command("staffing", stdout=StringIO())


def test_a_forecast_with_too_little_history_is_refused(cast: personas.Cast) -> None:
    with _pinned(date(2026, 6, 10)):
        _history(weeks=2)
        with pytest.raises(CommandError, match="servono almeno tre settimane"):
            call_command("forecast", "--horizon", "14", stdout=StringIO())


def test_a_calendar_option_that_cannot_be_is_refused(cast: personas.Cast) -> None:
    with pytest.raises(CommandError, match="--patron-day: MM-DD"):
        call_command("forecast", "--patron-day", "29 June", stdout=StringIO())
    with pytest.raises(CommandError, match="no public holidays known for country 'XX'"):
        call_command("forecast", "--country", "XX", stdout=StringIO())
    with pytest.raises(CommandError, match="--closed-dates: dates are YYYY-MM-DD"):
        call_command("forecast", "--closed-dates", "2026-13-01", stdout=StringIO())
