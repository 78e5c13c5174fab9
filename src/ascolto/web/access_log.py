"""The console's one call into the access log of personal data (`audit.actions.record_access`):
a view that shows personal data says what it showed, whose, and on which screen.

    access_log.seen(request, Purpose.CASE, "ticket", objects=[ticket.code],
                    citizens=[ticket.citizen_id], shown="...")

One INSERT per request, after the page's reads and before its answer; see docs/access-log.md.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpRequest

from ascolto.audit.actions import record_access
from ascolto.audit.models import AccessRecord
from ascolto.audit.readers import reader_of

Purpose = AccessRecord.Purpose


def seen(
    request: HttpRequest,
    purpose: str,
    kind: str,
    *,
    objects: Iterable[object] = (),
    citizens: Iterable[int | None] = (),
    shown: str = "",
) -> AccessRecord:
    """Record that the signed-in user of `request` was shown personal data."""
    return record_access(
        reader_of(request), purpose, kind, objects=objects, citizens=citizens, shown=shown
    )
