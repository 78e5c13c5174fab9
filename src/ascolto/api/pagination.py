"""Cursor pagination of the API's lists: an opaque cursor, a stable order, `limit` ≤ `MAX_LIMIT`.

A list is ordered newest first by `(created_at, id)` (or another pair of a column and the
primary key) and a page ends with `next_cursor`, which encodes the last row's pair; the next
page is what comes strictly after it (keyset pagination). So rows added meanwhile, which are
newer, never shift a later page: no row is listed twice nor skipped while a client walks the
list. The cursor is base64 of JSON: opaque to clients (its shape may change), not a secret.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from django.db.models import Model, Q, QuerySet
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from ascolto.core.errors import InvalidInput

M = TypeVar("M", bound=Model)

DEFAULT_LIMIT = 25
MAX_LIMIT = 100


def encode(value: Any, pk: int) -> str:
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = json.dumps([value, pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str, *, as_datetime: bool) -> tuple[Any, int]:
    """The (value, pk) a cursor encodes; `InvalidInput` for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, pk = json.loads(raw)
        if not isinstance(pk, int) or isinstance(pk, bool):
            raise ValueError(pk)
        if as_datetime:
            parsed = parse_datetime(str(value))
            if parsed is None or parsed.tzinfo is None:
                raise ValueError(value)
            value = parsed
        elif not isinstance(value, int | str):
            raise ValueError(value)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput(_("Il cursore non è valido."), field="cursor") from None
    return value, pk


def page(
    queryset: QuerySet[M],
    *,
    cursor: str | None,
    limit: int,
    column: str = "created_at",
    newest_first: bool = True,
    rows: Callable[[list[int]], Sequence[M]] | None = None,
) -> tuple[list[M], str | None]:
    """One page of `queryset` after `cursor`, and the cursor of the next page (None at the end).

    The page's keys are read first (an index alone can serve them), then its rows by primary
    key through `rows` (default: `queryset` itself), as the inbox does (`tickets.inbox`)."""
    limit = max(1, min(limit, MAX_LIMIT))
    qs = queryset
    if cursor:
        field: Any = queryset.model._meta.get_field(column)
        value, pk = decode(cursor, as_datetime=field.get_internal_type() == "DateTimeField")
        if newest_first:
            qs = qs.filter(Q(**{f"{column}__lt": value}) | Q(**{column: value, "pk__lt": pk}))
        else:
            qs = qs.filter(Q(**{f"{column}__gt": value}) | Q(**{column: value, "pk__gt": pk}))
    order = (f"-{column}", "-pk") if newest_first else (column, "pk")
    keys = list(qs.order_by(*order).values_list(column, "pk")[: limit + 1])
    more = len(keys) > limit
    keys = keys[:limit]
    ids = [pk for _value, pk in keys]
    if rows is not None:
        found = {row.pk: row for row in rows(ids)}
    else:
        found = {row.pk: row for row in queryset.order_by().filter(pk__in=ids)} if ids else {}
    result = [found[pk] for pk in ids if pk in found]
    next_cursor = encode(*keys[-1]) if more and keys else None
    return result, next_cursor
