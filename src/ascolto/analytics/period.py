"""The period a report covers: whole days in the municipality's time zone, both ends included."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ascolto.core.errors import InvalidInput


@dataclass(frozen=True)
class Period:
    """From the midnight starting `start` to the midnight ending `end` (local time)."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidInput(_("La data di fine precede la data di inizio."))

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        return cls(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        """The `quarter`-th (1 to 4) three months of `year`."""
        if not 1 <= quarter <= 4:
            raise InvalidInput(_("Il trimestre va da 1 a 4."))
        first = 3 * (quarter - 1) + 1
        return cls(date(year, first, 1), cls.month(year, first + 2).end)

    @classmethod
    def last_complete_month(cls, today: date | None = None) -> Period:
        """The month before the one `today` (by default the local date) falls in."""
        today = today or timezone.localdate()
        last = today.replace(day=1) - timedelta(days=1)
        return cls.month(last.year, last.month)

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year, 12, 31))

    @property
    def since(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def until(self) -> datetime:
        """The first instant after the period."""
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def year_to_date(self) -> Period:
        """From 1 January of the end's year to the end."""
        return Period(date(self.end.year, 1, 1), self.end)

    def shifted_to(self, year: int) -> Period:
        """The same days in another year (29 February becomes the 28th)."""

        def move(day: date) -> date:
            try:
                return day.replace(year=year + (day.year - self.start.year))
            except ValueError:
                return day.replace(year=year + (day.year - self.start.year), day=28)

        return Period(move(self.start), move(self.end))

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def label(self) -> str:
        start = date_format(self.start, "SHORT_DATE_FORMAT")
        return f"{start}–{date_format(self.end, 'SHORT_DATE_FORMAT')}"

    def slug(self) -> str:
        return f"{self.start:%Y%m%d}-{self.end:%Y%m%d}"
