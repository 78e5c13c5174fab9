"""Full-text search over cases: code, subject, description, place and resolution.

PostgreSQL uses the Italian text search configuration (`websearch_to_tsquery('italian', …)`
against the generated, GIN-indexed `search_vector` column); SQLite uses the FTS5 table
`tickets_ticket_fts` (both made by migration tickets 0003). A text that reads as a tracking
code finds that case by its unique code, whatever else it would match.

`search(queryset, text)` narrows a queryset of tickets and annotates `search_rank` (higher is
more relevant), so any list (the inbox, the API) can order by relevance.
"""

from __future__ import annotations

import re

from django.db import connections
from django.db.models import BooleanField, FloatField, QuerySet, Value
from django.db.models.expressions import RawSQL

from ascolto.tickets.codes import is_code, normalise_code
from ascolto.tickets.models import Ticket

MAX_QUERY = 200
_WORD = re.compile(r"\w+", re.UNICODE)
_TABLE = Ticket._meta.db_table


def tracking_code(text: str) -> str | None:
    """The tracking code `text` spells (as a citizen may type it), else None."""
    code = normalise_code(text.strip())
    return code if is_code(code) else None


def fts5_query(text: str) -> str:
    """An FTS5 query matching every word of `text` as a prefix (so 'pagament' finds
    'pagamento'); each word is quoted, so nothing typed is read as FTS5 syntax."""
    words = _WORD.findall(text.lower())[:20]
    return " ".join(f'"{word}"*' for word in words)


def search(queryset: QuerySet[Ticket], text: str, *, rank: bool = True) -> QuerySet[Ticket]:
    """`queryset` narrowed to the cases matching `text`; with `rank`, annotated with
    `search_rank` (leave it out for counts: it costs a computation per matching row)."""
    text = (text or "").strip()[:MAX_QUERY]
    if not text:
        return _ranked(queryset, 0.0) if rank else queryset
    code = tracking_code(text)
    if code is not None:
        queryset = queryset.filter(code=code)
        return _ranked(queryset, 1.0) if rank else queryset
    vendor = connections[queryset.db].vendor
    if vendor == "postgresql":
        return _postgresql(queryset, text, rank)
    if vendor == "sqlite":
        return _sqlite(queryset, text, rank)
    raise NotImplementedError(f"no full-text search for {vendor}")


def _ranked(queryset: QuerySet[Ticket], value: float) -> QuerySet[Ticket]:
    return queryset.annotate(search_rank=Value(value, output_field=FloatField()))


def _postgresql(queryset: QuerySet[Ticket], text: str, with_rank: bool) -> QuerySet[Ticket]:
    column = f'"{_TABLE}"."search_vector"'
    matches = RawSQL(  # noqa: S611 (constant names, bound parameters)
        f"{column} @@ websearch_to_tsquery('italian'::regconfig, %s)",  # noqa: S608
        (text,),
        output_field=BooleanField(),
    )
    queryset = queryset.filter(matches)
    if not with_rank:
        return queryset
    rank = RawSQL(  # noqa: S611 (constant names, bound parameters)
        f"ts_rank({column}, websearch_to_tsquery('italian'::regconfig, %s))",  # noqa: S608
        (text,),
        output_field=FloatField(),
    )
    return queryset.annotate(search_rank=rank)


def _sqlite(queryset: QuerySet[Ticket], text: str, with_rank: bool) -> QuerySet[Ticket]:
    query = fts5_query(text)
    if not query:
        queryset = queryset.none()
        return _ranked(queryset, 0.0) if with_rank else queryset
    fts = f"{_TABLE}_fts"
    matches = RawSQL(  # noqa: S611 (constant names, bound parameters)
        f'"{_TABLE}"."id" IN (SELECT rowid FROM {fts} WHERE {fts} MATCH %s)',  # noqa: S608
        (query,),
        output_field=BooleanField(),
    )
    queryset = queryset.filter(matches)
    if not with_rank:
        return queryset
    # bm25() is lower for better matches: negated, so that higher is more relevant everywhere.
    rank = RawSQL(  # noqa: S611 (constant names, bound parameters)
        f"(SELECT -bm25({fts}) FROM {fts} WHERE {fts} MATCH %s "  # noqa: S608
        f'AND {fts}.rowid = "{_TABLE}"."id")',
        (query,),
        output_field=FloatField(),
    )
    return queryset.annotate(search_rank=rank)
