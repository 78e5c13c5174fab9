"""Operating calendar of a contact center and the day × interval layout of a call series.

Timestamps (`ds`) are naive local wall-clock times (Europe/Rome for Milan): the interval a call
arrived in as the operators' clock shows it. Callers convert aware UTC datetimes before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import holidays
import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

DAY_MINUTES = 24 * 60


@dataclass(frozen=True)
class OperatingCalendar:
    """When the contact center answers, and which days are special.

    - `weekdays`: the days of the week it opens (0 = Monday); None learns them from the data
      (a weekday is open if it has data in most of the last eight weeks);
    - `country`/`subdiv`: public holidays from the `holidays` package; the default is Italy
      with the Milan subdivision, which adds 7 December (Sant'Ambrogio); None for no holidays;
    - `closed_on_holidays`: holidays are closed days (zero forecast, left out of fitting);
      when False they are open days whose lower volume is an estimated effect;
    - `closed_dates`: further closed dates (e.g. a strike, a system migration);
    - `extra_holidays`: further holidays (e.g. a patron saint not in the package).
    """

    weekdays: tuple[int, ...] | None = None
    country: str | None = "IT"
    subdiv: str | None = "MI"
    closed_on_holidays: bool = True
    closed_dates: tuple[dt.date, ...] = ()
    extra_holidays: tuple[dt.date, ...] = ()

    def holidays_between(self, first: dt.date, last: dt.date) -> set[dt.date]:
        """Public holidays from `first` to `last` inclusive."""
        out = {d for d in self.extra_holidays if first <= d <= last}
        if self.country:
            years = range(first.year, last.year + 1)
            table = holidays.country_holidays(self.country, subdiv=self.subdiv, years=years)
            out |= {d for d in table if first <= d <= last}
        return out


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
) -> DayFlags:
    """Calendar facts for consecutive calendar `dates` (every day from first to last).

    `weekdays` are the operating weekdays; `closed` are extra closed dates (e.g. learnt from
    gaps in the data). Events are rows (name, start, end) with inclusive dates.
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
    full = pd.date_range(lo, hi, freq="D")
    fdates = [d.date() for d in full]
    is_hol = np.array([d in hol for d in fdates])
    wd_open = np.isin(full.day_of_week, list(weekdays))
    is_open = wd_open & ~np.array([d in closed_set for d in fdates])
    if calendar.closed_on_holidays:
        is_open &= ~is_hol
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
        weekday=full.day_of_week.to_numpy()[sl].astype(np.int64),
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
    """One series as a matrix: rows are the open days with data, columns the day's intervals."""

    series_id: object
    layout: Layout
    dates: pd.DatetimeIndex  # open days present in the data, ascending
    values: FloatArray  # (days, slots)
    closed: tuple[dt.date, ...]  # operating weekdays without data: treated as closed
    counts: bool  # whole numbers: call counts (Poisson-type noise) rather than a measure
    flags: DayFlags  # for every calendar day from the first to the last date


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
    closed (a holiday of another country, an outage) rather than as days with no calls.
    """
    ds = pd.DatetimeIndex(frame["ds"])
    y = frame["y"].to_numpy(dtype=np.float64)
    days = ds.normalize()
    minute = (ds.hour * 60 + ds.minute).to_numpy()
    first, last = days.min(), days.max()
    present = set(pd.DatetimeIndex(np.unique(days)).date)
    all_days = pd.date_range(first, last, freq="D")
    gaps = tuple(
        d.date() for d in all_days if d.weekday() in layout.weekdays and d.date() not in present
    )
    flags = day_flags(all_days, calendar, layout.weekdays, events, closed=gaps)
    open_days = flags.dates[flags.open]
    open_days = open_days[np.isin(open_days.date, list(present))]
    slot_index = {m: i for i, m in enumerate(layout.slots)}
    col = np.array([slot_index.get(int(m), -1) for m in minute])
    row = open_days.get_indexer(days)
    keep = (col >= 0) & (row >= 0) & np.isfinite(y)
    values = np.zeros((len(open_days), len(layout.slots)))
    np.add.at(values, (row[keep], col[keep]), y[keep])
    counts = bool(np.all(np.equal(np.mod(y[np.isfinite(y)], 1.0), 0.0)) and np.all(y >= 0))
    return SeriesData(
        series_id=frame["series_id"].iloc[0],
        layout=layout,
        dates=open_days,
        values=values,
        closed=gaps,
        counts=counts,
        flags=flags,
    )


def future_flags(
    data: SeriesData, calendar: OperatingCalendar, h: int, events: pd.DataFrame | None
) -> DayFlags:
    """Calendar facts for the `h` calendar days after the last day of data (and a week before
    it, so that the closure-related flags of the first future day are right)."""
    last = data.dates.max()
    days = pd.date_range(last - pd.Timedelta(days=7), last + pd.Timedelta(days=h), freq="D")
    flags = day_flags(days, calendar, data.layout.weekdays, events)
    keep = slice(8, None)
    return DayFlags(
        dates=flags.dates[keep],
        weekday=flags.weekday[keep],
        open=flags.open[keep],
        holiday=flags.holiday[keep],
        after_closure=flags.after_closure[keep],
        before_closure=flags.before_closure[keep],
        bridge=flags.bridge[keep],
        august=flags.august[keep],
        christmas=flags.christmas[keep],
        month_start=flags.month_start[keep],
        month_second=flags.month_second[keep],
        month_end=flags.month_end[keep],
        events={k: v[keep] for k, v in flags.events.items()},
    )
