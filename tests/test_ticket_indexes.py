"""The cases table's indexes after every migration (decision 0029): each foreign key leads an
index (a referenced row's deletion and the lookups by it never scan the cases), no index is the
leading part of another, and the inbox's rare-value filter has its index."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from ascolto.tickets.models import Ticket

pytestmark = pytest.mark.django_db

TABLE = Ticket._meta.db_table


def _indexes() -> dict[str, dict[str, Any]]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, TABLE)
    return {name: info for name, info in found.items() if info["index"] or info["primary_key"]}


def _partial() -> set[str]:
    """The indexes over part of the table (a `WHERE`): they cover no lookup in general."""
    if connection.vendor == "postgresql":
        sql = (
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = %s::regclass AND i.indpred IS NOT NULL"
        )
    else:
        sql = (
            "SELECT name FROM sqlite_master "
            "WHERE type = 'index' AND tbl_name = %s AND sql LIKE '%% WHERE %%'"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, [TABLE])
        return {row[0] for row in cursor.fetchall()}


def _plain(info: dict[str, Any]) -> bool:
    """A b-tree over columns, whole table: the kind one another index may make redundant."""
    return (
        not info["unique"]
        and not info["primary_key"]
        and info.get("type") in ("btree", "idx")
        and all(column for column in info["columns"])
    )


def test_every_foreign_key_of_a_case_leads_an_index() -> None:
    partial = _partial()
    leading = {
        info["columns"][0]
        for name, info in _indexes().items()
        if info["columns"] and name not in partial
    }
    foreign_keys = [f.column for f in Ticket._meta.concrete_fields if f.is_relation]
    assert foreign_keys
    assert [column for column in foreign_keys if column not in leading] == []


def test_no_single_column_index_repeats_the_lead_of_a_composite_one() -> None:
    indexes = _indexes()
    partial = _partial()
    assert "ticket_active_recent_idx" in partial  # the check below sees what is partial
    composite_leads = {
        info["columns"][0]
        for name, info in indexes.items()
        if len(info["columns"]) > 1 and name not in partial
    }
    redundant = sorted(
        name
        for name, info in indexes.items()
        if _plain(info) and len(info["columns"]) == 1 and info["columns"][0] in composite_leads
    )
    assert redundant == []


def test_the_rare_kinds_of_case_have_their_index() -> None:
    info = _indexes()["ticket_kind_recent_idx"]
    assert info["columns"][:2] == ["kind", "created_at"]
