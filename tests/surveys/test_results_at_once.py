"""On PostgreSQL the results page's four reads run at once, each on its own connection
(`core/parallel.py`), and give the figures they give one after another; inside a transaction
they run in the caller's thread and see what it wrote."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, transaction

from ascolto.analytics.period import Period
from ascolto.core import parallel
from ascolto.surveys.results import survey_results
from tests import personas
from tests.surveys.helpers import invite, make_survey, respond

ROME = ZoneInfo("Europe/Rome")
MARCH = Period.month(2026, 3)


@pytest.fixture(autouse=True)
def _may() -> Iterator[None]:
    with time_machine.travel(datetime(2026, 5, 4, 10, 0, tzinfo=ROME), tick=False):
        yield


def _backend() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def _shown(found) -> list[object]:  # type: ignore[no-untyped-def]
    board = found.board
    return [
        [(f.label, f.value, f.note) for f in board.figures],
        [(t.key, t.rows) for t in board.tables],
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_reads_run_on_their_own_connections_outside_a_transaction() -> None:
    assert parallel.parallel_reads_possible()
    backends = parallel.at_once(_backend, _backend, _backend)
    assert len(set(backends)) == 3  # three connections, at once
    with transaction.atomic():
        assert not parallel.parallel_reads_possible()
        assert len(set(parallel.at_once(_backend, _backend))) == 1  # the caller's own


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_results_read_at_once_are_the_results_read_one_by_one(
    cast: personas.Cast,
) -> None:
    survey = make_survey()
    for day in range(1, 29):
        respond(
            survey,
            datetime(2026, 3, day, 10, tzinfo=ROME),
            csat=1 + day % 5,
            nps=day % 11,
            improve=["tempi"] if day % 2 else ["sito", "chiarezza"],
            text=f"Commento {day}" if day % 3 == 0 else "",
            channel_kind="web" if day % 4 else "email",
        )
        invite(survey, datetime(2026, 3, day, 9, tzinfo=ROME), answered=day % 3 != 1)

    def results():  # type: ignore[no-untyped-def]
        return survey_results(survey, MARCH.start, MARCH.end, MARCH.since, MARCH.until)

    at_once = results()
    with transaction.atomic():  # one after another, in this thread
        one_by_one = results()
    assert at_once.scores.responses == 28
    assert _shown(at_once) == _shown(one_by_one)
    assert [a.value for a in at_once.texts] == [a.value for a in one_by_one.texts] != []
