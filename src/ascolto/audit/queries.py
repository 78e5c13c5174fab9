"""The access log's reads: the DPO's questions ("who saw this person's data", "what did this
operator see", in a period), and the log as a table to download."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from ascolto.audit.models import AccessRecord
from ascolto.core.tables import Table

PAGE_SIZE = 50
EXPORT_MAX = 100_000  # rows of one download: a period of a busy year, filtered


@dataclass(frozen=True)
class LogQuery:
    """What the DPO asks: records about any of `citizen_ids` (a person and the records merged
    into them), by the user `user_id`, from `since` to `until` (local days, both included)."""

    citizen_ids: Sequence[int] = field(default_factory=tuple)
    user_id: int | None = None
    since: date | None = None
    until: date | None = None


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def about_citizens(records: QuerySet[AccessRecord], ids: Sequence[int]) -> QuerySet[AccessRecord]:
    """The records that name any of `ids` among their citizens. On PostgreSQL one query on the
    GIN index of `citizen_ids` (`@>`); SQLite reads the lists with json_each."""
    ids = [int(i) for i in ids]
    if not ids:
        return records
    if connection.vendor == "postgresql":
        about = Q()
        for pk in ids:
            about |= Q(citizen_ids__contains=[pk])
        return records.filter(about)
    # Placeholders only: the ids are parameters, the SQL is fixed text.
    marks = ", ".join(["%s"] * len(ids))
    sql = (
        "SELECT r.id FROM audit_accessrecord r, json_each(r.citizen_ids) j "  # noqa: S608
        f"WHERE j.value IN ({marks})"
    )
    return records.filter(pk__in=RawSQL(sql, ids))  # noqa: S611


def records(query: LogQuery) -> QuerySet[AccessRecord]:
    """The records answering `query`, newest first."""
    found: QuerySet[AccessRecord] = AccessRecord.objects.all()
    if query.citizen_ids:
        found = about_citizens(found, query.citizen_ids)
    if query.user_id is not None:
        found = found.filter(user_id=query.user_id)
    if query.since is not None:
        found = found.filter(at__gte=_start_of(query.since))
    if query.until is not None:
        found = found.filter(at__lt=_start_of(query.until + timedelta(days=1)))
    return found.order_by("-at", "-pk")


def page(query: LogQuery, number: int) -> tuple[list[AccessRecord], bool]:
    """The records of page `number` (from 1), and whether a next page exists (one query: a row
    more than a page is read, no count over the log)."""
    start = (max(number, 1) - 1) * PAGE_SIZE
    rows = list(records(query)[start : start + PAGE_SIZE + 1])
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def _ids_text(values: Sequence[object]) -> str:
    return " ".join(str(v) for v in values)


def as_table(query: LogQuery) -> Table:
    """The records answering `query` as a table to download (core.tables: CSV, XLSX, which
    neutralise a text a spreadsheet would run as a formula)."""
    rows = [
        [
            timezone.localtime(r.at).strftime("%d/%m/%Y %H:%M:%S"),
            r.username,
            r.user_id,
            r.get_purpose_display(),
            r.kind,
            _ids_text(r.object_ids),
            _ids_text(r.citizen_ids),
            r.shown,
            r.ip or "",
            r.agent,
        ]
        for r in records(query)[:EXPORT_MAX]
    ]
    return Table(
        "access-log",
        _("Registro degli accessi ai dati personali"),
        [
            _("Quando"),
            _("Utente"),
            _("Id utente"),
            _("Schermata"),
            _("Oggetto"),
            _("Id degli oggetti"),
            _("Id dei cittadini"),
            _("Cosa è stato mostrato"),
            _("Indirizzo IP"),
            _("Browser"),
        ],
        rows,
    )
