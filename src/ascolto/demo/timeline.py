"""The demo year's calendar: which days the city is open, how busy each day and each quarter of
an hour is, when the campaigns run and how their key dates move demand.

Everything returns numpy arrays indexed by day of the window (0 = first day) so the generator can
draw a million arrival times without a Python loop per call. Times are seconds since the Unix
epoch (UTC); local Milan time is used only to decide opening hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from ascolto.core.calendar import is_holiday, is_working_day
from ascolto.demo.reference import CampaignSpec

ROME = ZoneInfo("Europe/Rome")
DAYS = 365
SLOT = 15 * 60  # a quarter of an hour, the contact center's planning interval

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Window:
    """The 365 days ending on `end` (included). `horizon` is the first instant after the window:
    the 'now' of the generated city; nothing happens after it."""

    start: date
    end: date

    @classmethod
    def ending(cls, end: date) -> Window:
        return cls(end - timedelta(days=DAYS - 1), end)

    @property
    def horizon(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), datetime.min.time(), ROME)

    @property
    def horizon_epoch(self) -> int:
        return int(self.horizon.timestamp())

    def day(self, index: int) -> date:
        return self.start + timedelta(days=index)

    def index(self, day: date) -> int:
        return (day - self.start).days


@dataclass(frozen=True)
class Calendar:
    """Per-day facts of the window."""

    window: Window
    weekday: IntArray  # 0 = Monday
    working: BoolArray  # Monday to Friday, not a holiday
    saturday: BoolArray  # a Saturday that is not a holiday
    midnight: IntArray  # epoch of local midnight of each day
    month: IntArray

    @classmethod
    def of(cls, window: Window) -> Calendar:
        days = [window.day(i) for i in range(DAYS)]
        weekday = np.array([d.weekday() for d in days], dtype=np.int64)
        working = np.array([is_working_day(d) for d in days], dtype=np.bool_)
        # A Saturday holiday (25 April, 15 August...) closes the contact center too.
        saturday = np.array([d.weekday() == 5 and not is_holiday(d) for d in days], dtype=np.bool_)
        midnight = np.array(
            [int(datetime.combine(d, datetime.min.time(), ROME).timestamp()) for d in days],
            dtype=np.int64,
        )
        month = np.array([d.month for d in days], dtype=np.int64)
        return cls(window, weekday, working, saturday, midnight, month)


def season(calendar: Calendar) -> FloatArray:
    """How busy each day is compared with an ordinary day: low in August and over Christmas,
    high in January and September, when offices reopen and deadlines return."""
    factor = np.ones(DAYS)
    for i in range(DAYS):
        d = calendar.window.day(i)
        if d.month == 8:
            factor[i] = 0.45 if 8 <= d.day <= 22 else 0.65
        elif d.month == 7:
            factor[i] = 0.9
        elif d.month in (1, 9):
            factor[i] = 1.08
        if (d.month == 12 and d.day >= 24) or (d.month == 1 and d.day <= 6):
            factor[i] = 0.7
    return factor


def phone_days(calendar: Calendar) -> FloatArray:
    """Relative call volume per day: weekdays by a Monday-heavy profile, Saturday mornings low,
    closed on Sundays and holidays."""
    by_weekday = np.array([1.18, 1.05, 1.0, 0.97, 0.88, 0.32, 0.0])
    weights = by_weekday[calendar.weekday] * season(calendar)
    open_day = calendar.working | calendar.saturday
    return np.where(open_day, weights, 0.0)


def online_days(calendar: Calendar) -> FloatArray:
    """Relative volume of web, email and social contacts per day: every day, weekends lower."""
    by_weekday = np.array([1.15, 1.05, 1.0, 1.0, 0.92, 0.6, 0.55])
    weights = by_weekday[calendar.weekday] * season(calendar)
    holiday = ~calendar.working & (calendar.weekday < 5)
    return np.where(holiday, weights * 0.6, weights)


def phone_slots(saturday: bool) -> tuple[IntArray, FloatArray]:
    """Opening quarter-hours (seconds after local midnight) and their relative call volume.

    Weekdays 8:30-18:00 with a mid-morning peak, a lunchtime dip and a smaller early-afternoon
    peak; Saturdays 8:30-13:30 with one morning peak.
    """
    close = 13.5 if saturday else 18.0
    starts = np.arange(8.5, close, 0.25)
    centre = starts + 0.125
    if saturday:
        weights = 0.3 + np.exp(-0.5 * ((centre - 10.5) / 1.1) ** 2)
    else:
        weights = (
            0.22
            + np.exp(-0.5 * ((centre - 10.6) / 1.0) ** 2)
            + 0.72 * np.exp(-0.5 * ((centre - 14.8) / 0.9) ** 2)
        )
        weights = np.where((centre > 12.75) & (centre < 13.75), weights * 0.75, weights)
    return (starts * 3600).astype(np.int64), weights / weights.sum()


# Relative volume per local hour (0-23) of web forms, emails, social posts and chats.
_ONLINE_HOURS = (
    "0.8 0.4 0.2 0.15 0.15 0.25 0.7 1.8 3.6 5.6 6.4 6.2 "  # 0-11
    "5.3 4.6 5.0 5.6 5.5 5.0 4.6 4.4 4.5 4.1 3.0 1.7"  # 12-23
)


def online_hours() -> FloatArray:
    """Relative volume per local hour of web forms, emails, social posts and chats."""
    weights = np.array([float(w) for w in _ONLINE_HOURS.split()])
    result: FloatArray = weights / weights.sum()
    return result


def office_hours_after(epoch: int, calendar: Calendar) -> int:
    """The first moment at or after `epoch` when a back office works (a working day,
    9:00-17:00 local); past the window, `epoch` itself."""
    day = int(np.searchsorted(calendar.midnight, epoch, side="right")) - 1
    t = epoch
    while 0 <= day < DAYS:
        start = int(calendar.midnight[day]) + 9 * 3600
        stop = int(calendar.midnight[day]) + 17 * 3600
        if calendar.working[day] and t < stop:
            return max(t, start)
        day += 1
        if day < DAYS:
            t = int(calendar.midnight[day])
    return epoch


@dataclass(frozen=True)
class CampaignPeriod:
    spec: CampaignSpec
    year: int
    starts_on: date
    ends_on: date
    key_dates: tuple[tuple[date, str, str, float], ...]  # (date, label, effect, weight)

    @property
    def name(self) -> str:
        return self.spec.name.format(year=self.year)


def campaign_period(spec: CampaignSpec, window: Window) -> CampaignPeriod:
    """Place a campaign in the window: the year whose period overlaps the window most, clipped
    to the window (a period that would straddle its end is cut)."""
    best: tuple[int, int] | None = None
    for year in (window.start.year, window.end.year):
        first = date(year, *spec.start)
        last = first + timedelta(days=spec.days - 1)
        overlap = (min(last, window.end) - max(first, window.start)).days + 1
        if best is None or overlap > best[1]:
            best = (year, overlap)
    assert best is not None  # noqa: S101 (two candidates are always tried)
    year = best[0]
    first = date(year, *spec.start)
    last = first + timedelta(days=spec.days - 1)
    starts_on, ends_on = max(first, window.start), min(last, window.end)
    if ends_on < starts_on:
        starts_on = ends_on = window.end  # no overlap at all: an empty, one-day campaign
    keys = []
    for key in spec.key_dates:
        # A key date in January of a campaign that starts in December belongs to the next year.
        key_year = year + (1 if (key.month, key.day) < spec.start else 0)
        keys.append((date(key_year, key.month, key.day), key.label, key.effect, key.weight))
    return CampaignPeriod(spec, year, starts_on, ends_on, tuple(keys))


def campaign_days(period: CampaignPeriod, calendar: Calendar, open_days: FloatArray) -> FloatArray:
    """Relative demand of a campaign per day of the window, zero outside its period.

    A 'release' peaks on its date and halves every week; a 'deadline' doubles every four
    days in the three weeks before its date and fades in three days after; a 'window' is steady
    from its date to the end of the campaign. `open_days` carries the channel's own weekly rhythm
    (no calls on Sundays).
    """
    window = calendar.window
    demand = np.zeros(DAYS)
    offsets = np.arange(DAYS)
    for key_day, _label, effect, weight in period.key_dates:
        k = window.index(key_day)
        delta = offsets - k
        if effect == "release":
            kernel = np.where(delta >= 0, 0.5 ** (delta / 7.0), 0.0)
        elif effect == "deadline":
            kernel = np.where(
                delta <= 0,
                np.where(delta >= -21, 0.5 ** (-delta / 4.0), 0.0),
                np.where(delta <= 3, 0.5 ** (delta / 1.0), 0.0),
            )
        else:
            kernel = np.where(delta >= 0, 0.35, 0.0)
        demand += weight * kernel
    first, last = window.index(period.starts_on), window.index(period.ends_on)
    inside = (offsets >= first) & (offsets <= last)
    return np.where(inside, demand * open_days, 0.0)


def to_datetime(epoch: int | float) -> datetime:
    """An aware UTC datetime from epoch seconds."""
    return _EPOCH + timedelta(seconds=int(epoch))


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
