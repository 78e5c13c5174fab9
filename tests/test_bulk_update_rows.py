"""`core.bulk.update_rows`: many rows' columns in one statement, each row getting its own values
(JSON, times, nothing, numbers, text), only the columns named; a text too long for its column
refused, not cut."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import DataError, connection, transaction
from django.test.utils import CaptureQueriesContext

from ascolto.channels.models import PendingInbound
from ascolto.core.bulk import update_rows

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 5, 4, 10, 30, tzinfo=UTC)


def _rows(n: int) -> list[PendingInbound]:
    return [
        PendingInbound.objects.create(
            channel="web", external_id=f"m{i}", payload={"n": i}, code=f"C-{i}", accepted_at=T0
        )
        for i in range(n)
    ]


def test_each_row_gets_its_own_values_in_one_statement() -> None:
    rows = _rows(3)
    for i, row in enumerate(rows):
        row.payload = {"n": i, "nested": {"testo": f"è «{i}»", "list": [i, None]}}
        row.processed_at = T0 + timedelta(minutes=i) if i else None
        row.attempts = i + 1
        row.last_error = "" if i else "errore 'quoted'"
        row.channel = "not written"  # a column not named stays as stored
    with CaptureQueriesContext(connection) as queries:
        assert update_rows(rows, ["payload", "processed_at", "attempts", "last_error"]) == 3
    assert len([q for q in queries if q["sql"].startswith("UPDATE")]) == 1
    stored = {r.pk: r for r in PendingInbound.objects.all()}
    for i, row in enumerate(rows):
        got = stored[row.pk]
        assert got.payload == {"n": i, "nested": {"testo": f"è «{i}»", "list": [i, None]}}
        assert got.processed_at == (T0 + timedelta(minutes=i) if i else None)
        assert got.attempts == i + 1
        assert got.last_error == ("" if i else "errore 'quoted'")
        assert got.channel == "web"


def test_no_rows_no_statement() -> None:
    with CaptureQueriesContext(connection) as queries:
        assert update_rows([], ["attempts"]) == 0
    assert len(queries) == 0


@pytest.mark.postgres
def test_a_text_too_long_for_its_column_is_refused_not_cut() -> None:
    [row] = _rows(1)
    row.last_error = "x" * 501
    with pytest.raises(DataError), transaction.atomic():
        update_rows([row], ["last_error"])
    assert PendingInbound.objects.get().last_error == ""
