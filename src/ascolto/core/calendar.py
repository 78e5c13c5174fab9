"""The municipality's calendar: which days are public holidays and which are working days.

The one holiday calendar of the project, with no Django in it: the SLA's working days
(`tickets.sla`), the contact center's operating calendar (`contactcenter.numerics.calendar`) and
the demo city's year all read it. Holidays come from the `holidays` package: Italy's national
holidays with the Milan subdivision, plus the city's patron saint (Sant'Ambrogio, 7 December;
the package knows it for Milan, and the patron day is added anyway so a city whose patron the
package does not know needs one constant changed, not three modules).
"""

from __future__ import annotations

import datetime as dt
import functools

COUNTRY = "IT"
SUBDIVISION = "MI"
PATRON_DAY = (12, 7)  # (month, day): Sant'Ambrogio


@functools.lru_cache(maxsize=256)
def public_holidays(country: str, subdiv: str | None, year: int) -> frozenset[dt.date]:
    """One year of a country's (and subdivision's) public holidays. Cached: the package builds
    its tables in milliseconds, and a forecast's model selection or a batch of due dates asks
    for the same years again and again."""
    import holidays  # 3-5 MiB: loaded by the first deadline computed, not by every web worker

    return frozenset(holidays.country_holidays(country, subdiv=subdiv, years=year))


@functools.lru_cache(maxsize=64)
def municipal_holidays(year: int) -> frozenset[dt.date]:
    """The municipality's holidays in `year`: national, regional and the patron saint's day."""
    return public_holidays(COUNTRY, SUBDIVISION, year) | {dt.date(year, *PATRON_DAY)}


def is_holiday(day: dt.date) -> bool:
    return day in municipal_holidays(day.year)


def is_working_day(day: dt.date) -> bool:
    """Monday to Friday, and not one of the municipality's holidays."""
    return day.weekday() < 5 and not is_holiday(day)
