"""Cursor pagination: walking the list page by page lists every case once, in a stable order,
even while new cases arrive between the pages."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from tests import factories, personas
from tests.api.conftest import Api, api_for

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.get_current_timezone())


def open_cases(count: int, at: datetime, same_instant: bool = False) -> list[str]:
    codes = []
    for n in range(count):
        moment = at if same_instant else at + timedelta(minutes=n)
        with time_machine.travel(moment, tick=False):
            codes.append(
                factories.open_case(f"Richiesta numero {n}.", email=f"c{n}@example.it").code
            )
    return codes


def walk(api: Api, limit: int, between: list[str] | None = None) -> list[str]:
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        body = api.get("/cases", params).json()
        seen += [c["code"] for c in body["items"]]
        pages += 1
        if between is not None and pages == 2:
            between += open_cases(3, START + timedelta(days=1))  # newer than everything listed
        cursor = body["next_cursor"]
        if cursor is None:
            return seen


def test_walking_the_pages_lists_every_case_once_while_cases_arrive(
    cast: personas.Cast,
) -> None:
    created = open_cases(11, START)
    api = api_for(["cases:read"])
    arrived: list[str] = []
    seen = walk(api, 3, between=arrived)
    assert len(seen) == len(set(seen)), "a case listed twice"
    assert seen == list(reversed(created)), "a case skipped or out of order"
    assert len(arrived) == 3
    # The newcomers are on a new walk's first page.
    assert walk(api, 100)[:3] == list(reversed(arrived))


def test_cases_of_the_same_instant_are_ordered_by_id_without_gaps(cast: personas.Cast) -> None:
    created = open_cases(7, START, same_instant=True)
    seen = walk(api_for(["cases:read"]), 2)
    assert sorted(seen) == sorted(created)
    assert len(seen) == len(set(seen)) == 7


def test_the_page_size_is_bounded(cast: personas.Cast) -> None:
    api = api_for(["cases:read"])
    assert api.get("/cases", {"limit": 101}).status_code == 422
    assert api.get("/cases", {"limit": 0}).status_code == 422
    assert api.get("/cases", {"limit": 100}).status_code == 200
