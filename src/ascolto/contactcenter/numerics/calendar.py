"""Operating calendar of a contact center and the day × interval layout of a call series.

Timestamps (`ds`) are naive local wall-clock times (Europe/Rome for Milan): the interval a call
arrived in as the operators' clock shows it. Callers convert aware UTC datetimes before.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from ascolto.core import calendar as municipal

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

DAY_MINUTES = 24 * 60


@dataclass(frozen=True)
class OperatingCalendar:
    """When the contact center answers, and which days are special.

    - `weekdays`: the days of the week it opens (0 = Monday); None learns them from the data
      (a weekday is open if it has data in most of the last eight weeks);
    - `country`/`subdiv`: public holidays from the `holidays` package (through
      `ascolto.core.calendar`, the project's one holiday calendar); the default is the
      municipality's, Italy with the Milan subdivision, which adds 7 December (Sant'Ambrogio);
      country None for no public holidays (`subdiv` is then ignored);
    - `patron_day`: the city's patron saint as (month, day), a holiday every year (for a city
      whose patron the package does not know, or with `subdiv` None);
    - `closed_on_holidays`: holidays are closed days (zero forecast, left out of fitting);
      when False they are open days whose lower volume is an estimated effect;
    - `closed_dates`: further closed dates (e.g. a strike, a system migration);
    - `open_dates`: dates open whatever the weekday, holidays and closures say (e.g. an
      extraordinary Saturday before a deadline); an opening on a weekday the line never opens
      is forecast like the nearest earlier operating weekday;
    - `extra_holidays`: further holidays (e.g. a one-off municipal holiday).

    A series whose history has calls on days this calendar calls closed is treated as open on
    them: see `series_matrix`.
    """

    weekdays: tuple[int, ...] | None = None
    country: str | None = municipal.COUNTRY
    subdiv: str | None = municipal.SUBDIVISION
    closed_on_holidays: bool = True
    closed_dates: tuple[dt.date, ...] = ()
    extra_holidays: tuple[dt.date, ...] = ()
    patron_day: tuple[int, int] | None = None
    open_dates: tuple[dt.date, ...] = ()

    def __post_init__(self) -> None:
        if self.weekdays is not None:
            if not self.weekdays or any(not 0 <= int(d) <= 6 for d in self.weekdays):
                raise ValueError("weekdays must be numbers from 0 (Monday) to 6 (Sunday)")
        if self.patron_day is not None:
            month, day = self.patron_day
            try:
                dt.date(2024, int(month), int(day))  # a leap year admits 29 February
            except ValueError as exc:
                raise ValueError(f"the patron day {month}-{day} is not a date") from exc
        if self.country:
            try:
                municipal.public_holidays(self.country, self.subdiv, 2024)
            except NotImplementedError as exc:
                raise ValueError(
                    f"no public holidays known for country {self.country!r}"
                    + (f" and subdivision {self.subdiv!r}" if self.subdiv else "")
                ) from exc

    def holidays_between(self, first: dt.date, last: dt.date) -> set[dt.date]:
        """Public holidays from `first` to `last` inclusive."""
        out = {d for d in self.extra_holidays if first <= d <= last}
        years = range(first.year, last.year + 1)
        if self.country:
            for year in years:
                out |= {
                    d
                    for d in municipal.public_holidays(self.country, self.subdiv, year)
                    if first <= d <= last
                }
        if self.patron_day is not None:
            month, day = self.patron_day
            for year in years:
                try:
                    patron = dt.date(year, month, day)
                except ValueError:  # 29 February in a common year
                    continue
                if first <= patron <= last:
                    out.add(patron)
        return out


def model_weekday(weekday: int, weekdays: Sequence[int]) -> int:
    """The operating weekday a day is modelled as: itself, or for an opening on a weekday the
    line does not usually open (a Sunday before a deadline), the nearest earlier one."""
    if not weekdays or weekday in weekdays:
        return weekday
    for back in range(1, 7):
        if (weekday - back) % 7 in weekdays:
            return (weekday - back) % 7
    return weekday


@dataclass
class DayFlags:
    """Per-date calendar facts used by the models (arrays aligned with `dates`)."""

    dates: pd.DatetimeIndex
    weekday: npt.NDArray[np.int64]
    open: BoolArray
    holiday: BoolArray  # a public holiday (open or closed)
    after_closure: BoolArray  # first open day after a closed weekday (a holiday, a closure)
    before_closure: BoolArray  # last open day before a closed weekday
    bridge: BoolArray  # open day squeezed between two closed days ("ponte")
    august: BoolArray
    christmas: BoolArray  # 24 December to 6 January
    month_start: BoolArray  # first open day of the month (payments, statements, deadlines)
    month_second: BoolArray  # second open day of the month
    month_end: BoolArray  # last open day of the month
    events: dict[str, BoolArray] = field(default_factory=dict)

    def effects(self) -> dict[str, BoolArray]:
        """The special-day indicators that a daily-volume model may estimate an effect for."""
        out = {
            "holiday": self.holiday & self.open,
            "after_closure": self.after_closure,
            "before_closure": self.before_closure,
            "bridge": self.bridge,
            "august": self.august,
            "christmas": self.christmas,
            "month_start": self.month_start,
            "month_second": self.month_second,
            "month_end": self.month_end,
        }
        out.update({f"event:{k}": v for k, v in self.events.items()})
        return out


def day_flags(
    dates: Iterable[dt.date] | pd.DatetimeIndex,
    calendar: OperatingCalendar,
    weekdays: Sequence[int],
    events: pd.DataFrame | None = None,
    closed: Iterable[dt.date] = (),
    opened: Iterable[dt.date] = (),
) -> DayFlags:
    """Calendar facts for consecutive calendar `dates` (every day from first to last).

    `weekdays` are the operating weekdays; `closed` are extra closed dates (e.g. learnt from
    gaps in the data) and `opened` extra open ones (e.g. learnt from calls on a holiday), on
    top of the calendar's own. Events are rows (name, start, end) with inclusive dates.
    `DayFlags.weekday` is the weekday each day is modelled as (`model_weekday`).
    """
    idx = pd.DatetimeIndex(pd.to_datetime(list(dates))).normalize()
    first, last = idx[0].date(), idx[-1].date()
    # Look beyond both ends, a week and to whole months, so that bridges, closures and the
    # rank of a day within its month are right at the edges too.
    pad = dt.timedelta(days=7)
    lo = (first - pad).replace(day=1)
    hi = (pd.Timestamp(last + pad) + pd.offsets.MonthEnd(0)).date()
    hol = calendar.holidays_between(lo, hi)
    closed_set = set(calendar.closed_dates) | set(closed)
    opened_set = set(calendar.open_dates) | set(opened)
    full = pd.date_range(lo, hi, freq="D")
    is_hol = _among(full, hol)
    wd_open = np.isin(full.day_of_week, list(weekdays))
    is_open = wd_open & ~_among(full, closed_set)
    if calendar.closed_on_holidays:
        is_open &= ~is_hol
    is_open |= _among(full, opened_set)
    # A weekday the center would normally open but does not: a holiday or a closure.
    unusual_closed = wd_open & ~is_open
    prev_unusual = np.r_[False, unusual_closed[:-1]]
    next_unusual = np.r_[unusual_closed[1:], False]
    prev_closed = np.r_[False, ~is_open[:-1]]
    next_closed = np.r_[~is_open[1:], False]
    after = is_open & _after_run(unusual_closed, is_open)
    before = is_open & _before_run(unusual_closed, is_open)
    bridge = is_open & prev_closed & next_closed & (prev_unusual | next_unusual)
    month = full.month.to_numpy()
    day = full.day.to_numpy()
    august = month == 8
    christmas = ((month == 12) & (day >= 24)) | ((month == 1) & (day <= 6))
    # Rank of each open day within its month, from the start and from the end.
    ym = full.year.to_numpy() * 12 + month
    open_rank = pd.Series(is_open.astype(int)).groupby(ym).cumsum().to_numpy()
    open_left = pd.Series(is_open[::-1].astype(int)).groupby(ym[::-1]).cumsum().to_numpy()[::-1]
    ev: dict[str, BoolArray] = {}
    if events is not None and len(events):
        for name, rows in events.groupby("name", sort=True):
            mask = np.zeros(len(full), dtype=bool)
            for start, end in zip(
                pd.to_datetime(rows["start"]), pd.to_datetime(rows["end"]), strict=True
            ):
                mask |= (full >= start.normalize()) & (full <= end.normalize())
            ev[str(name)] = mask
    offset = (first - lo).days
    sl = slice(offset, offset + (last - first).days + 1)
    return DayFlags(
        dates=full[sl],
        weekday=np.array([model_weekday(d, weekdays) for d in range(7)], dtype=np.int64)[
            full.day_of_week.to_numpy()[sl]
        ],
        open=is_open[sl],
        holiday=is_hol[sl],
        after_closure=after[sl],
        before_closure=before[sl],
        bridge=bridge[sl],
        august=august[sl],
        christmas=christmas[sl],
        month_start=(is_open & (open_rank == 1))[sl],
        month_second=(is_open & (open_rank == 2))[sl],
        month_end=(is_open & (open_left == 1))[sl],
        events={k: v[sl] for k, v in ev.items()},
    )


def _among(days: pd.DatetimeIndex, dates: set[dt.date]) -> BoolArray:
    """Which of `days` are in `dates`, vectorised."""
    if not dates:
        return np.zeros(len(days), dtype=bool)
    return np.asarray(days.isin(pd.DatetimeIndex(sorted(dates))), dtype=bool)


def _after_run(unusual: BoolArray, is_open: BoolArray) -> BoolArray:
    """True on the first open day after a run of closed days containing an unusual closure."""
    out = np.zeros(len(unusual), dtype=bool)
    seen = False
    for i in range(len(unusual)):
        if is_open[i]:
            out[i] = seen
            seen = False
        elif unusual[i]:
            seen = True
    return out


def _before_run(unusual: BoolArray, is_open: BoolArray) -> BoolArray:
    return _after_run(unusual[::-1], is_open[::-1])[::-1].copy()


@dataclass(frozen=True)
class Layout:
    """How one series is laid out: the opening intervals of a day and the operating weekdays.

    `slots` are interval starts in minutes after midnight; `step` the interval length in minutes
    (1440 for a daily series, whose single slot is midnight).
    """

    slots: tuple[int, ...]
    step: int
    weekdays: tuple[int, ...]

    @property
    def daily(self) -> bool:
        return self.step >= DAY_MINUTES

    @property
    def season(self) -> int:
        """Intervals per day, or operating days per week for a daily series: the MASE season."""
        return len(self.weekdays) if self.daily else len(self.slots)


@dataclass
class SeriesData:
    """One series as a matrix: rows are the open days with data, columns the day's intervals.

    `opened` are days the calendar calls closed on which the series had calls enough to be an
    opening: they are fitted as open days. `ignored` are closed days with only a few stray
    calls (under a tenth of a median open day), left out. `open_on_holidays` says the series
    answered on most holidays of its history, so its future holidays are open too.
    """

    series_id: object
    layout: Layout
    dates: pd.DatetimeIndex  # open days present in the data, ascending
    values: FloatArray  # (days, slots)
    closed: tuple[dt.date, ...]  # operating weekdays without data: treated as closed
    counts: bool  # whole numbers: call counts (Poisson-type noise) rather than a measure
    flags: DayFlags  # for every calendar day from the first to the last date
    opened: tuple[dt.date, ...] = ()
    ignored: tuple[dt.date, ...] = ()
    open_on_holidays: bool = False

    @property
    def weekday(self) -> npt.NDArray[np.int64]:
        """The weekday each row is modelled as (see `model_weekday`)."""
        rows = self.flags.dates.get_indexer(self.dates)
        return np.asarray(self.flags.weekday[rows], dtype=np.int64)

    def future_calendar(self, calendar: OperatingCalendar) -> OperatingCalendar:
        """The calendar this series' forecast follows: holidays open if it answered on them."""
        if self.open_on_holidays and calendar.closed_on_holidays:
            return dataclasses.replace(calendar, closed_on_holidays=False)
        return calendar


def infer_layout(frame: pd.DataFrame, calendar: OperatingCalendar) -> Layout:
    """Interval length, opening intervals (as in the last eight weeks) and operating weekdays."""
    ds = pd.DatetimeIndex(frame["ds"])
    minutes = (ds.hour * 60 + ds.minute).to_numpy()
    days = ds.normalize()
    recent = days >= days.max() - pd.Timedelta(days=56)
    per_day = pd.Series(minutes).groupby(days).nunique()
    if (minutes == 0).all() and per_day.max() == 1:
        step = DAY_MINUTES
        slots: tuple[int, ...] = (0,)
    else:
        uniq = np.unique(minutes[recent])
        gaps = np.diff(uniq)
        step = int(gaps[gaps > 0].min()) if len(uniq) > 1 else 60
        slots = tuple(range(int(uniq.min()), int(uniq.max()) + 1, step))
    if calendar.weekdays is not None:
        weekdays = tuple(sorted(calendar.weekdays))
    else:
        recent_days = pd.DatetimeIndex(np.unique(days[recent]))
        weeks = max(1, int(np.ceil((recent_days.max() - recent_days.min()).days / 7)))
        counts = np.bincount(recent_days.day_of_week, minlength=7)
        weekdays = tuple(int(d) for d in range(7) if counts[d] >= 0.5 * weeks)
    return Layout(slots=slots, step=step, weekdays=weekdays)


def series_matrix(
    frame: pd.DataFrame,
    layout: Layout,
    calendar: OperatingCalendar,
    events: pd.DataFrame | None,
) -> SeriesData:
    """Pivot one series to days × intervals, dropping closed days and out-of-hours rows.

    Intervals missing inside an open day with data count as zero calls: telephony exports
    usually leave out empty intervals. Operating weekdays with no data at all are treated as
    closed (a holiday of another country, an outage) rather than as days with no calls. Days the
    calendar calls closed but on which the series had calls are treated as open for this series
    when their volume is that of an opening (see `SeriesData`): the data knows better than the
    calendar what happened.
    """
    ds = pd.DatetimeIndex(frame["ds"])
    y = frame["y"].to_numpy(dtype=np.float64)
    days = ds.normalize()
    minute = (ds.hour * 60 + ds.minute).to_numpy()
    first, last = days.min(), days.max()
    finite = np.isfinite(y)
    per_day = pd.Series(np.where(finite, y, 0.0)).groupby(days).sum()
    present = set(pd.DatetimeIndex(per_day.index).date)
    all_days = pd.date_range(first, last, freq="D")
    gaps = tuple(
        d.date() for d in all_days if d.weekday() in layout.weekdays and d.date() not in present
    )
    base = day_flags(all_days, calendar, layout.weekdays, events, closed=gaps)
    open_dates = set(base.dates[base.open].date)
    closed_with_calls = sorted(present - open_dates)
    opened: list[dt.date] = []
    ignored: list[dt.date] = []
    if closed_with_calls:
        totals = {d.date(): float(v) for d, v in per_day.items()}
        usual = [totals[d] for d in present & open_dates]
        threshold = 0.1 * float(np.median(usual)) if usual else 0.0
        for d in closed_with_calls:
            (opened if totals[d] > threshold else ignored).append(d)
    holidays_seen = [
        d
        for d, hol, wd in zip(base.dates.date, base.holiday, base.dates.day_of_week, strict=True)
        if hol and wd in layout.weekdays and d not in calendar.closed_dates
    ]
    open_on_holidays = bool(
        calendar.closed_on_holidays
        and holidays_seen
        and sum(d in opened for d in holidays_seen) * 2 > len(holidays_seen)
    )
    flags = (
        day_flags(all_days, calendar, layout.weekdays, events, closed=gaps, opened=opened)
        if opened
        else base
    )
    open_days = flags.dates[flags.open]
    open_days = open_days[np.isin(open_days.date, list(present))]
    slot_index = {m: i for i, m in enumerate(layout.slots)}
    col = np.array([slot_index.get(int(m), -1) for m in minute])
    row = open_days.get_indexer(days)
    keep = (col >= 0) & (row >= 0) & finite
    values = np.zeros((len(open_days), len(layout.slots)))
    np.add.at(values, (row[keep], col[keep]), y[keep])
    counts = bool(np.all(np.equal(np.mod(y[finite], 1.0), 0.0)) and np.all(y[finite] >= 0))
    return SeriesData(
        series_id=frame["series_id"].iloc[0],
        layout=layout,
        dates=open_days,
        values=values,
        closed=gaps,
        counts=counts,
        flags=flags,
        opened=tuple(opened),
        ignored=tuple(ignored),
        open_on_holidays=open_on_holidays,
    )


def future_flags(
    data: SeriesData,
    calendar: OperatingCalendar,
    first: dt.date,
    last: dt.date,
    events: pd.DataFrame | None,
) -> DayFlags:
    """Calendar facts for the days `first` to `last` inclusive, as this series' future
    (`SeriesData.future_calendar`); the flags that look at neighbouring days (closures,
    bridges, a month's first and last open days) see past both ends."""
    return day_flags(
        pd.date_range(first, last, freq="D"),
        data.future_calendar(calendar),
        data.layout.weekdays,
        events,
    )
