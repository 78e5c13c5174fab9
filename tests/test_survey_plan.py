"""The yearly survey plan of the departments: its rules (a department, dates in order, a school
year like 2026/2027), the console page as a timeline by department with each survey's bar over
the year, its CSV and XLSX export, and the form for analysts and administrators only."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from ascolto.core.errors import InvalidInput
from ascolto.surveys import building, plan
from ascolto.surveys.models import SurveyPlanEntry
from tests import personas

pytestmark = pytest.mark.django_db
State = SurveyPlanEntry.State


@pytest.fixture
def entries(cast: personas.Cast) -> list[SurveyPlanEntry]:
    return [
        plan.save_entry(
            plan.EntryData(
                year=2026,
                department=cast.tributi,
                title="Soddisfazione per la dichiarazione TARI online",
                audience="Utenti del servizio online",
                starts_on=date(2026, 4, 1),
                ends_on=date(2026, 6, 30),
                state=State.RUNNING,
                owner="Ufficio TARI",
                results_url="https://www.comune.example.it/indagini/tari-2026",
            )
        ),
        plan.save_entry(
            plan.EntryData(
                year=2026,
                department=cast.anagrafe,
                title="Gradimento degli sportelli",
                school_year="",
                state=State.PLANNING,
            )
        ),
        plan.save_entry(
            plan.EntryData(
                year=2026,
                department=cast.tributi,
                title="=Indagine sulle scuole",
                school_year="2025/2026",
                state=State.DONE,
            )
        ),
    ]


def test_the_bar_covers_the_dates_or_the_school_year_within_the_plan_s_year(
    entries: list[SurveyPlanEntry],
) -> None:
    tari, counters, schools = entries
    bar = plan.bar(tari, 2026)
    assert bar is not None and bar.x == round(100 * 90 / 365, 2)  # 1 April is day 91
    assert bar.width == round(100 * 91 / 365, 2)  # April to June, 91 days
    assert plan.bar(counters, 2026) is None  # no dates, no school year: a row without a bar
    school = plan.bar(schools, 2026)  # 2025/2026: September to June, cut at 1 January
    assert school is not None and school.x == 0 and school.width == round(100 * 181 / 365, 2)
    assert plan.bar(schools, 2027) is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": " "}, "title"),
        ({"starts_on": date(2026, 5, 1), "ends_on": date(2026, 4, 1)}, "ends_on"),
        ({"school_year": "2026/2028"}, "school_year"),
        ({"school_year": "26/27"}, "school_year"),
        ({"state": "forgotten"}, "state"),
        ({"year": 1999}, "year"),
    ],
)
def test_an_entry_is_checked(cast: personas.Cast, change: dict[str, object], field: str) -> None:
    data = plan.EntryData(year=2026, department=cast.tributi, title="Indagine")
    for name, value in change.items():
        setattr(data, name, value)
    with pytest.raises(InvalidInput) as refused:
        plan.save_entry(data)
    assert refused.value.field == field
    assert not SurveyPlanEntry.objects.exists()


def test_only_a_department_keeps_a_plan(cast: personas.Cast) -> None:
    with pytest.raises(InvalidInput) as refused:
        plan.save_entry(plan.EntryData(year=2026, department=cast.tari, title="Indagine"))
    assert refused.value.field == "department"


def test_the_plan_page_is_a_timeline_by_department(
    client: Client, cast: personas.Cast, entries: list[SurveyPlanEntry]
) -> None:
    client.force_login(cast.analyst)
    page = client.get("/console/piano-indagini/?anno=2026")
    text = page.text
    assert page.status_code == 200
    headings = re.findall(r'<h2 class="h4" id="dep-\d+">([^<]+)</h2>', text)
    assert headings == [cast.anagrafe.name, cast.tributi.name]
    assert "a.s. 2025/2026" in text and "In corso" in text and "Conclusa" in text
    assert 'href="https://www.comune.example.it/indagini/tari-2026"' in text
    assert f'x="{100 * 90 / 365:.2f}"' in text  # the TARI survey's bar starts in April
    assert "Nessuna indagine" in client.get("/console/piano-indagini/?anno=2030").text


def test_the_plan_exports_as_csv_and_xlsx(
    client: Client, cast: personas.Cast, entries: list[SurveyPlanEntry]
) -> None:
    client.force_login(cast.supervisor)
    rows = list(
        csv.reader(
            io.StringIO(
                client.get("/console/piano-indagini/?anno=2026&formato=csv").content.decode()
            )
        )
    )
    assert rows[0][:3] == ["Direzione", "Indagine", "Oggetto"]
    assert [r[1] for r in rows[1:]] == [
        "Gradimento degli sportelli",
        "Soddisfazione per la dichiarazione TARI online",
        "'=Indagine sulle scuole",  # a formula typed in a title stays text
    ]
    assert rows[2][4:8] == ["2026-04-01", "2026-06-30", "", "In corso"]
    book = load_workbook(
        io.BytesIO(client.get("/console/piano-indagini/?anno=2026&formato=xlsx").content)
    )
    sheet = book.worksheets[1]
    assert sheet["A1"].value == "Piano delle indagini 2026" and sheet.max_row == 5


def test_analysts_add_and_change_entries_supervisors_only_read(
    client: Client, cast: personas.Cast, entries: list[SurveyPlanEntry]
) -> None:
    client.force_login(cast.supervisor)
    assert "Nuova indagine" not in client.get("/console/piano-indagini/?anno=2026").text
    assert client.get("/console/piano-indagini/nuova/").status_code == 403

    client.force_login(cast.analyst)
    form = {
        "year": "2026",
        "department": cast.anagrafe.pk,
        "title": "Cambio di residenza online",
        "starts_on": "2026-09-01",
        "ends_on": "2026-08-01",
        "state": "planning",
    }
    refused = client.post("/console/piano-indagini/nuova/", form)
    assert refused.status_code == 400 and "La fine precede l&#x27;inizio." in refused.text
    saved = client.post("/console/piano-indagini/nuova/", form | {"ends_on": "2026-10-31"})
    assert saved.status_code == 302 and saved["Location"].endswith("?anno=2026")
    entry = SurveyPlanEntry.objects.get(title="Cambio di residenza online")
    changed = client.post(
        f"/console/piano-indagini/{entry.pk}/",
        form | {"ends_on": "2026-10-31", "state": "suspended"},
    )
    assert changed.status_code == 302
    entry.refresh_from_db()
    assert entry.state == State.SUSPENDED


def test_the_plan_page_costs_the_same_queries_for_more_surveys(
    client: Client,
    cast: personas.Cast,
    entries: list[SurveyPlanEntry],
    django_assert_num_queries: Any,
) -> None:
    client.force_login(cast.analyst)
    client.get("/console/piano-indagini/?anno=2026")  # the session warmed up
    with CaptureQueriesContext(connection) as few:
        client.get("/console/piano-indagini/?anno=2026")
    for n in range(5):
        plan.save_entry(plan.EntryData(year=2026, department=cast.anagrafe, title=f"Indagine {n}"))
    with django_assert_num_queries(len(few)):
        client.get("/console/piano-indagini/?anno=2026")


def test_a_linked_survey_links_to_its_results_in_the_console(
    client: Client, cast: personas.Cast, entries: list[SurveyPlanEntry]
) -> None:
    survey = building.create_survey("tari-online-2026", "TARI online: com'è andata?")
    plan.save_entry(
        plan.EntryData(
            year=2026,
            department=cast.tributi,
            title="Dichiarazione TARI online",
            starts_on=date(2026, 4, 1),
            ends_on=date(2026, 6, 30),
            state=State.RUNNING,
            survey=survey,
        )
    )
    client.force_login(cast.supervisor)
    html = client.get("/console/piano-indagini/?anno=2026").content.decode()
    results = "/console/questionari/tari-online-2026/risultati/"
    assert f'<a href="{results}">TARI online: com&#x27;è andata?' in html
    assert client.get(results).status_code == 200  # a reader of the plan reads the results
    assert 'href="https://www.comune.example.it/indagini/tari-2026"' in html  # the URL stays
