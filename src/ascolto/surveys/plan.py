"""The yearly survey plan (cronoprogramma delle indagini) of each department: its reads and its
writes, in one module so they do not mix with the survey engine's actions (`surveys.actions`).

Writes: `save_entry` (create or change one survey of the plan, checked: a department, dates in
order, a school year like 2026/2027). Reads: `plan_years`, `entries`, `timeline` (the year by
department, each survey with the months it spans, for the page's bars) and `as_table` (the
export, `core.tables`).

An entry's span is its start and end dates; without them, a school year runs from 1 September
to 30 June; without either it has no bar (only its row)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils.translation import gettext as _

from ascolto.analytics.period import Period
from ascolto.core.errors import InvalidInput
from ascolto.core.tables import Table
from ascolto.organisation.models import Office
from ascolto.surveys.models import Survey, SurveyPlanEntry

SCHOOL_YEAR = re.compile(r"^(\d{4})/(\d{4})$")


@dataclass
class EntryData:
    year: int
    department: Office
    title: str
    subject: str = ""
    audience: str = ""
    starts_on: date | None = None
    ends_on: date | None = None
    school_year: str = ""
    state: str = SurveyPlanEntry.State.PLANNING
    owner: str = ""
    survey: Survey | None = None
    results_url: str = ""
    notes: str = ""


def departments() -> QuerySet[Office]:
    """The offices a plan is kept by: the departments (Direzioni)."""
    return Office.objects.filter(kind=Office.Kind.DEPARTMENT, is_active=True).order_by("name")


def check_entry(data: EntryData) -> EntryData:
    if not data.title.strip():
        raise InvalidInput(_("Il titolo dell'indagine è obbligatorio."), field="title")
    if not 2000 <= data.year <= 2100:
        raise InvalidInput(_("L'anno del piano va dal 2000 al 2100."), field="year")
    if data.department.kind != Office.Kind.DEPARTMENT:
        raise InvalidInput(
            _("Il piano delle indagini è di una direzione: «%(name)s» non lo è.")
            % {"name": data.department.name},
            field="department",
        )
    if data.starts_on and data.ends_on and data.ends_on < data.starts_on:
        raise InvalidInput(_("La fine precede l'inizio."), field="ends_on")
    if data.school_year:
        found = SCHOOL_YEAR.match(data.school_year.strip())
        if not found or int(found.group(2)) != int(found.group(1)) + 1:
            raise InvalidInput(_("Scrivi l'anno scolastico come 2026/2027."), field="school_year")
        data.school_year = data.school_year.strip()
    if data.state not in SurveyPlanEntry.State.values:
        raise InvalidInput(_("Scegli uno stato tra quelli proposti."), field="state")
    return data


@transaction.atomic
def save_entry(data: EntryData, entry: SurveyPlanEntry | None = None) -> SurveyPlanEntry:
    """Add a survey to a department's plan, or change `entry`, with `data` (checked)."""
    data = check_entry(data)
    entry = entry or SurveyPlanEntry()
    for name, value in vars(data).items():
        setattr(entry, name, value.strip() if isinstance(value, str) else value)
    entry.save()
    return entry


# --- Reads ------------------------------------------------------------------------------------


def plan_years() -> list[int]:
    return sorted(set(SurveyPlanEntry.objects.values_list("year", flat=True)), reverse=True)


def entries(year: int) -> QuerySet[SurveyPlanEntry]:
    return (
        SurveyPlanEntry.objects.filter(year=year)
        .select_related("department", "survey")
        # Dated surveys first in both databases (PostgreSQL sorts NULL last, SQLite first).
        .order_by("department__name", F("starts_on").asc(nulls_last=True), "title", "pk")
    )


def span(entry: SurveyPlanEntry) -> tuple[date, date] | None:
    """The days the survey runs: its dates, else its school year (1 September–30 June)."""
    if entry.starts_on or entry.ends_on:
        start = entry.starts_on or entry.ends_on
        end = entry.ends_on or entry.starts_on
        assert start is not None and end is not None  # noqa: S101
        return start, end
    found = SCHOOL_YEAR.match(entry.school_year or "")
    if found:
        return date(int(found.group(1)), 9, 1), date(int(found.group(2)), 6, 30)
    return None


@dataclass
class Bar:
    """Where an entry's bar sits on the year's axis, in percent of the year (0–100)."""

    x: float
    width: float


def bar(entry: SurveyPlanEntry, year: int) -> Bar | None:
    found = span(entry)
    if found is None:
        return None
    whole = Period.year(year)
    start, end = max(found[0], whole.start), min(found[1], whole.end)
    if end < start:
        return None
    x = 100.0 * (start - whole.start).days / whole.days
    width = 100.0 * ((end - start).days + 1) / whole.days
    return Bar(round(x, 2), round(max(width, 0.8), 2))


@dataclass
class Department:
    office: Office
    rows: list[tuple[SurveyPlanEntry, Bar | None]]


def timeline(year: int) -> list[Department]:
    """The year's plan by department, in the order of `entries`."""
    out: list[Department] = []
    for entry in entries(year):
        if not out or out[-1].office.pk != entry.department_id:
            out.append(Department(entry.department, []))
        out[-1].rows.append((entry, bar(entry, year)))
    return out


def period_text(entry: SurveyPlanEntry) -> str:
    if entry.starts_on or entry.ends_on:
        parts = [d.strftime("%d/%m/%Y") for d in (entry.starts_on, entry.ends_on) if d]
        text = "–".join(parts)
        return f"{text} ({_('a.s.')} {entry.school_year})" if entry.school_year else text
    return f"{_('a.s.')} {entry.school_year}" if entry.school_year else "–"


def as_table(year: int) -> Table:
    rows: list[list[Any]] = [
        [
            entry.department.name,
            entry.title,
            entry.subject,
            entry.audience,
            entry.starts_on,
            entry.ends_on,
            entry.school_year,
            entry.get_state_display(),
            entry.owner,
            entry.survey.title if entry.survey else "",
            entry.results_url,
        ]
        for entry in entries(year)
    ]
    return Table(
        "survey-plan",
        _("Piano delle indagini %(year)s") % {"year": year},
        [
            _("Direzione"),
            _("Indagine"),
            _("Oggetto"),
            _("Destinatari"),
            _("Inizio"),
            _("Fine"),
            _("Anno scolastico"),
            _("Stato"),
            _("Referente"),
            _("Questionario"),
            _("Risultati"),
        ],
        rows,
    )
