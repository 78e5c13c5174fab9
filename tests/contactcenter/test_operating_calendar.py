"""The operating calendar is the user's: holidays of any country and region, a patron day,
extra closed and open days; and the data wins where it shows the line open on a closed day."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from ascolto.contactcenter.forecasting import OperatingCalendar, VolumeProfile
from tests.contactcenter.series import synthetic_calls

WEEKDAYS = (0, 1, 2, 3, 4)


def _daily(forecast_frame: pd.DataFrame) -> pd.Series:
    frame = forecast_frame.assign(day=forecast_frame["ds"].dt.date)
    return frame.groupby("day")["yhat"].sum()


def _calls(calendar: OperatingCalendar, start: str, end: str, **kwargs: object) -> pd.DataFrame:
    """Calls on the calendar's open days only (a line closed on its holidays)."""
    first, last = pd.Timestamp(start).date(), pd.Timestamp(end).date()
    closed = {pd.Timestamp(d) for d in calendar.holidays_between(first, last)}
    return synthetic_calls(start, end, closed=closed, **kwargs)  # type: ignore[arg-type]


def test_a_patron_day_closes_the_line_every_year() -> None:
    rome = OperatingCalendar(weekdays=WEEKDAYS, subdiv=None, patron_day=(6, 29))
    assert dt.date(2026, 6, 29) in rome.holidays_between(dt.date(2026, 6, 1), dt.date(2026, 7, 1))
    assert dt.date(2026, 12, 7) not in rome.holidays_between(
        dt.date(2026, 12, 1), dt.date(2026, 12, 31)
    )  # without Milan's subdivision, Sant'Ambrogio is an ordinary day
    model = VolumeProfile(rome, paths=50).fit(_calls(rome, "2026-03-02", "2026-06-19"))
    daily = _daily(model.predict(14).frame)
    assert daily[dt.date(2026, 6, 29)] == 0  # Monday, Santi Pietro e Paolo
    assert daily[dt.date(2026, 6, 30)] > 0


def test_extra_closed_and_open_days() -> None:
    calendar = OperatingCalendar(
        weekdays=WEEKDAYS,
        closed_dates=(dt.date(2026, 3, 25),),  # a strike, Wednesday
        open_dates=(dt.date(2026, 3, 28),),  # an extraordinary Saturday before a deadline
    )
    model = VolumeProfile(calendar, paths=50).fit(_calls(calendar, "2025-11-03", "2026-03-20"))
    daily = _daily(model.predict(14).frame)
    assert daily[dt.date(2026, 3, 25)] == 0
    # The Saturday is forecast like the nearest earlier operating weekday, a Friday.
    assert daily[dt.date(2026, 3, 28)] == pytest.approx(daily[dt.date(2026, 3, 27)], rel=0.25)
    assert daily[dt.date(2026, 3, 29)] == 0


def test_calls_on_a_closed_day_make_it_open_for_that_series_and_are_reported() -> None:
    calendar = OperatingCalendar(weekdays=WEEKDAYS)
    # A line that answered on every holiday of its history, at half its usual volume.
    holidays = calendar.holidays_between(dt.date(2025, 1, 1), dt.date(2026, 12, 31))
    factors = {pd.Timestamp(d): 0.5 for d in holidays}
    calls = synthetic_calls("2025-03-03", "2026-11-27", factors=factors, seed=2)
    model = VolumeProfile(calendar, paths=50).fit(calls)
    data = model.series_["milano"].data
    weekday_holidays = sorted(d for d in holidays if d.weekday() < 5 and d <= dt.date(2026, 11, 27))
    weekday_holidays = [d for d in weekday_holidays if d >= dt.date(2025, 3, 3)]
    assert list(data.opened) == weekday_holidays
    assert data.open_on_holidays
    daily = _daily(model.predict(14).frame)
    immacolata, monday = daily[dt.date(2026, 12, 8)], daily[dt.date(2026, 11, 30)]
    assert 0.3 * monday < immacolata < 0.75 * monday  # open, at about half the volume


def test_a_calendar_that_cannot_be_is_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match="country 'XX'"):
        OperatingCalendar(country="XX")
    with pytest.raises(ValueError, match="subdivision 'ZZ'"):
        OperatingCalendar(country="IT", subdiv="ZZ")
    with pytest.raises(ValueError, match="patron day 2-30"):
        OperatingCalendar(patron_day=(2, 30))
    with pytest.raises(ValueError, match="weekdays"):
        OperatingCalendar(weekdays=(0, 7))
    # Another country's holidays, and none at all, are fine.
    assert dt.date(2026, 7, 4) in OperatingCalendar(country="US", subdiv=None).holidays_between(
        dt.date(2026, 7, 1), dt.date(2026, 7, 31)
    )
    assert not OperatingCalendar(country=None).holidays_between(
        dt.date(2026, 1, 1), dt.date(2026, 12, 31)
    )
