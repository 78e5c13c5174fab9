"""`GET /cases` by time: `updated_since` (the cases changed at or after a time, for a system that
follows the changes), `opened_since` and `opened_until` (a window of opening times), with the
cursor's pages, the office scope, and a problem for a time that is not one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from ascolto.tickets import actions
from ascolto.tickets.models import Ticket
from tests import factories, personas
from tests.api.conftest import Api, api_for

pytestmark = pytest.mark.django_db

ROME = timezone.get_current_timezone()
START = datetime(2026, 11, 2, 9, 0, tzinfo=ROME)


def opened(n: int, at: datetime) -> Ticket:
    with time_machine.travel(at, tick=False):
        return factories.open_case(f"Richiesta numero {n}.", email=f"c{n}@example.it")


def walk(api: Api, **params: str) -> list[str]:
    """Every page of the list with these filters, two cases a page."""
    seen: list[str] = []
    cursor = None
    while True:
        query = {**params, "limit": "2", **({"cursor": cursor} if cursor else {})}
        response = api.get("/cases", query)
        assert response.status_code == 200, response.content
        body = response.json()
        seen += [c["code"] for c in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return seen


@pytest.fixture
def day(cast: personas.Cast) -> list[Ticket]:
    """Six cases opened an hour apart from 9:00; the second and the fifth changed at 18:00
    (escalated to the TARI office, and resolved)."""
    cases = [opened(n, START + timedelta(hours=n)) for n in range(6)]
    with time_machine.travel(START.replace(hour=18), tick=False):
        actions.escalate_ticket(cases[1], cast.tari, actor=cast.operator)
        actions.resolve_ticket(cases[4], "Risposto al telefono.", actor=cast.operator)
    return [factories.refresh(c) for c in cases]


def test_updated_since_lists_the_cases_changed_at_or_after_it(day: list[Ticket]) -> None:
    portal = api_for(["cases:read"])
    at_six = START.replace(hour=18)
    # Newest opened first, as every walk of the list; at the instant itself included.
    assert walk(portal, updated_since=at_six.isoformat()) == [day[4].code, day[1].code]
    assert walk(portal, updated_since=(at_six + timedelta(microseconds=1)).isoformat()) == []
    # The same instant written in UTC, or with "Z".
    utc = at_six.astimezone(UTC)
    assert walk(portal, updated_since=utc.isoformat()) == [day[4].code, day[1].code]
    assert walk(portal, updated_since=utc.strftime("%Y-%m-%dT%H:%M:%SZ")) == [
        day[4].code,
        day[1].code,
    ]
    # Before anything happened: every case, over three pages, none twice.
    everything = walk(portal, updated_since=START.isoformat())
    assert everything == [c.code for c in reversed(day)]


def test_the_pages_hold_while_listed_cases_change(cast: personas.Cast, day: list[Ticket]) -> None:
    portal = api_for(["cases:read"])
    since = START.isoformat()
    first = portal.get("/cases", {"updated_since": since, "limit": "2"}).json()
    assert [c["code"] for c in first["items"]] == [day[5].code, day[4].code]
    # A case already listed and one not yet listed change between the pages.
    with time_machine.travel(START.replace(hour=19), tick=False):
        actions.escalate_ticket(day[5], cast.anagrafe, actor=cast.operator)
        actions.escalate_ticket(day[2], cast.anagrafe, actor=cast.operator)
    rest: list[str] = []
    cursor = first["next_cursor"]
    while cursor:
        body = portal.get("/cases", {"updated_since": since, "limit": "2", "cursor": cursor})
        rest += [c["code"] for c in body.json()["items"]]
        cursor = body.json()["next_cursor"]
    assert rest == [day[3].code, day[2].code, day[1].code, day[0].code]


def test_the_opening_window_and_the_other_filters_combine(day: list[Ticket]) -> None:
    portal = api_for(["cases:read"])
    window = {
        "opened_since": (START + timedelta(hours=1)).isoformat(),
        "opened_until": (START + timedelta(hours=4)).isoformat(),  # not included
    }
    assert walk(portal, **window) == [day[3].code, day[2].code, day[1].code]
    assert walk(portal, **window, status="office") == [day[1].code]
    assert walk(portal, **window, updated_since=START.replace(hour=18).isoformat()) == [day[1].code]


def test_a_token_of_an_office_sees_only_its_cases_changed(
    cast: personas.Cast, day: list[Ticket]
) -> None:
    tari = api_for(["cases:read"], office=cast.tari)
    since = START.replace(hour=18).isoformat()
    assert walk(tari, updated_since=since) == [day[1].code]  # not the one resolved elsewhere


@pytest.mark.parametrize(
    ("params", "field", "says"),
    [
        ({"updated_since": "ieri"}, "updated_since", "valid datetime"),
        ({"updated_since": "2026-12-01T09:00:00"}, "updated_since", "timezone"),
        ({"updated_since": "2026-12-01"}, "updated_since", "timezone"),
        ({"opened_since": "0001-01-01T00:30:00+01:00"}, "opened_since", "anni 1-9999"),
        ({"opened_until": "2026-13-01T00:00:00Z"}, "opened_until", "valid datetime"),
        (
            {"opened_since": "2026-12-02T00:00:00Z", "opened_until": "2026-12-01T00:00:00Z"},
            "opened_until",
            "dopo opened_since",
        ),
    ],
)
def test_a_time_that_is_not_one_is_a_problem_naming_it(
    cast: personas.Cast, params: dict[str, str], field: str, says: str
) -> None:
    response = api_for(["cases:read"]).get("/cases", params)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "validation-error"
    assert problem["field"] == field
    assert says in problem["errors"][0]["detail"]


def test_the_document_describes_the_windows_with_examples(cast: personas.Cast) -> None:
    from django.test import Client

    document = Client().get("/api/v1/openapi.json").json()
    parameters = {p["name"]: p for p in document["paths"]["/api/v1/cases"]["get"]["parameters"]}
    for name in ("updated_since", "opened_since", "opened_until"):
        schema = parameters[name]["schema"]
        formats = {s.get("format") for s in schema.get("anyOf", [schema])}
        assert "date-time" in formats, schema
        assert parameters[name].get("examples") or schema.get("examples"), parameters[name]
