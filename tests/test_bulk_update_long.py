"""`core.bulk.update_each` on PostgreSQL: a text too long for its column is refused, not cut (the
VALUES' casts carry no length). The rest of its behaviour: `test_bulk_update_each.py`."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import DataError, transaction

from ascolto.channels.models import PendingInbound
from ascolto.core.bulk import update_each

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 5, 4, 10, 30, tzinfo=UTC)


def _rows(n: int) -> list[PendingInbound]:
    return [
        PendingInbound.objects.create(
            channel="web", external_id=f"m{i}", payload={"n": i}, code=f"C-{i}", accepted_at=T0
        )
        for i in range(n)
    ]


@pytest.mark.postgres
def test_a_text_too_long_for_its_column_is_refused_not_cut() -> None:
    [row] = _rows(1)
    row.last_error = "x" * 501
    with pytest.raises(DataError), transaction.atomic():
        update_each([row], ["last_error"])
    assert PendingInbound.objects.get().last_error == ""
