"""`core.bulk.update_each`: the fields of many saved rows, each with its own values, in one
statement (what `bulk_update` does), on PostgreSQL and SQLite alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ascolto.citizens.models import Identity
from ascolto.core.bulk import BATCH, update_each

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_each_row_gets_its_own_values_and_the_others_are_untouched() -> None:
    rows = Identity.objects.bulk_create(
        Identity(kind="phone", value=f"+3933300000{i:02d}", display_name="", last_seen_at=T0)
        for i in range(5)
    )
    changed = rows[:3]
    for i, row in enumerate(changed):
        row.last_seen_at = T0 + timedelta(minutes=i + 1)
        row.display_name = f"Persona «{i}» d'Italia"  # quotes travel as parameters
        row.value = "not written"  # a field not named is not written

    assert update_each(changed, ["last_seen_at", "display_name"]) == 3

    stored = {r.pk: r for r in Identity.objects.all()}
    for i, row in enumerate(changed):
        assert stored[row.pk].last_seen_at == T0 + timedelta(minutes=i + 1)
        assert stored[row.pk].display_name == f"Persona «{i}» d'Italia"
        assert stored[row.pk].value == f"+3933300000{i:02d}"
    for row in rows[3:]:
        assert (stored[row.pk].last_seen_at, stored[row.pk].display_name) == (T0, "")


@pytest.mark.django_db
def test_nulls_many_batches_and_a_row_listed_twice() -> None:
    rows = Identity.objects.bulk_create(
        Identity(kind="phone", value=f"+39333{i:07d}", last_seen_at=T0) for i in range(BATCH + 7)
    )
    for row in rows:
        row.last_seen_at = None
    first = Identity(pk=rows[0].pk, kind="phone", value=rows[0].value, last_seen_at=T0)

    assert update_each([*rows, first], ["last_seen_at"]) == BATCH + 7
    assert not Identity.objects.filter(last_seen_at__isnull=False).exists()
    assert update_each([], ["last_seen_at"]) == 0
