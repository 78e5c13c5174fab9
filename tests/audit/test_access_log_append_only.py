"""The access log is append-only: the ORM refuses changes and deletions on every database, and
on PostgreSQL a trigger refuses UPDATE and DELETE sent as raw SQL; only the retention prune,
under its transaction-local escape, deletes."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from ascolto.audit.actions import record_access
from ascolto.audit.models import AccessRecord
from ascolto.audit.readers import Reader
from ascolto.core.appendonly import AppendOnlyError, escape
from tests import personas

pytestmark = pytest.mark.django_db

P = AccessRecord.Purpose


def _record(cast: personas.Cast) -> AccessRecord:
    reader = Reader(user_id=cast.operator.pk, username=cast.operator.username, ip="10.0.0.1")
    return record_access(reader, P.CASE, "ticket", objects=["ABC"], citizens=[7])


def test_the_orm_refuses_to_change_a_record(cast: personas.Cast) -> None:
    record = _record(cast)
    record.username = "qualcun altro"
    with pytest.raises(AppendOnlyError, match="soltanto aggiungere"):
        record.save()
    with pytest.raises(AppendOnlyError):
        AccessRecord.objects.filter(pk=record.pk).update(username="qualcun altro")
    # bulk_update writes inside a transaction of its own: the refusal leaves it unusable, so
    # it runs in a savepoint here, as a request's transaction would be rolled back.
    with pytest.raises(AppendOnlyError), transaction.atomic():
        AccessRecord.objects.bulk_update([record], ["username"])
    assert AccessRecord.objects.get(pk=record.pk).username == cast.operator.username


def test_the_orm_refuses_to_delete_a_record(cast: personas.Cast) -> None:
    record = _record(cast)
    with pytest.raises(AppendOnlyError, match="cancellazione"):
        record.delete()
    with pytest.raises(AppendOnlyError):
        AccessRecord.objects.filter(pk=record.pk).delete()
    with pytest.raises(AppendOnlyError), transaction.atomic():
        AccessRecord.objects.all().delete()
    assert AccessRecord.objects.filter(pk=record.pk).exists()


def test_the_orm_refuses_changes_even_under_the_prune_escape(cast: personas.Cast) -> None:
    record = _record(cast)
    with transaction.atomic(), escape("prune"), pytest.raises(AppendOnlyError):
        AccessRecord.objects.filter(pk=record.pk).update(username="x")


def test_the_escape_of_another_table_does_not_open_the_log(cast: personas.Cast) -> None:
    record = _record(cast)
    with transaction.atomic(), escape("erase_cases"), pytest.raises(AppendOnlyError):
        AccessRecord.objects.filter(pk=record.pk).delete()
    assert AccessRecord.objects.filter(pk=record.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_the_escape_needs_a_transaction() -> None:
    with pytest.raises(RuntimeError, match="atomic"), escape("prune"):
        pass  # pragma: no cover


@pytest.mark.postgres
def test_postgresql_refuses_raw_update_and_delete(cast: personas.Cast) -> None:
    record = _record(cast)
    for sql in (
        "UPDATE audit_accessrecord SET username = 'x' WHERE id = %s",
        "DELETE FROM audit_accessrecord WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, [record.pk])
    assert AccessRecord.objects.get(pk=record.pk).username == cast.operator.username


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # real transactions: SET LOCAL ends with each
def test_postgresql_lets_a_delete_through_only_under_set_local_prune(
    cast: personas.Cast,
) -> None:
    kept, pruned = _record(cast), _record(cast)
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            # Another name does not open this table.
            cursor.execute("SET LOCAL ascolto.erase_cases = 'on'")
            cursor.execute("DELETE FROM audit_accessrecord WHERE id = %s", [pruned.pk])
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL ascolto.prune = 'on'")
        cursor.execute("DELETE FROM audit_accessrecord WHERE id = %s", [pruned.pk])
        # Still no UPDATE, escape or not.
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            cursor.execute("UPDATE audit_accessrecord SET username = 'x'")
    # SET LOCAL ended with its transaction: the next one is refused again.
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_accessrecord WHERE id = %s", [kept.pk])
    assert list(AccessRecord.objects.values_list("pk", flat=True)) == [kept.pk]
