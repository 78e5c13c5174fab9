"""The read side of Open311: service requests (the disservice reports filed under a public
service) and their updates, as the spec names their fields.

What is public here: the service, the status, the dates, the office in charge, for every
disservice report under a public service, whatever channel it came from. What the reporter
wrote (description, address, position, photo) and the city's resolution are shown only for
the requests that came through Open311, whose reporters sent them to a public feed, and even
there with the citizen's contacts and name hidden (`tickets.disclosure`). Email, phone and
names never appear. The id is the case's number, never its tracking code: the code opens the
citizen's status page and stays theirs.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import JSONField, OuterRef, QuerySet, Subquery
from django.utils.translation import gettext_lazy

from ascolto.channels.models import Message, PendingInbound
from ascolto.core.ratelimit import setting
from ascolto.tickets.disclosure import contacts_pattern, without_contacts
from ascolto.tickets.models import Ticket, TicketEvent

Status = Ticket.Status
MAX_RESULTS = 1000

# What a reporting app shows for each status of a case (the people who read it are not the
# citizen who wrote: third person).
PUBLIC_STATUS: dict[str, Any] = {
    Status.NEW: gettext_lazy("Segnalazione ricevuta"),
    Status.OPEN: gettext_lazy("Segnalazione in lavorazione"),
    Status.OFFICE: gettext_lazy("In lavorazione presso l'ufficio competente"),
    Status.WAITING: gettext_lazy("In attesa di informazioni da chi ha segnalato"),
    Status.RESOLVED: gettext_lazy("Segnalazione risolta"),
    Status.CLOSED: gettext_lazy("Segnalazione chiusa"),
    Status.CANCELLED: gettext_lazy("Segnalazione annullata"),
}
MERGED = gettext_lazy("Segnalazione unita a un'altra sullo stesso problema")

# The FixMyStreet extended statuses of the updates extension (lower case).
EXTENDED: dict[str, str] = {
    Status.NEW: "open",
    Status.OPEN: "in_progress",
    Status.OFFICE: "in_progress",
    Status.WAITING: "investigating",
    Status.RESOLVED: "fixed",
    Status.CLOSED: "closed",
    Status.CANCELLED: "no_further_action",
}


def channel_code() -> str:
    """The code of the channel (of kind API) Open311 requests come in by."""
    return setting("ASCOLTO_OPEN311_CHANNEL", "open311")


def open_or_closed(status: str) -> str:
    return "open" if status in Ticket.ACTIVE else "closed"


def statuses_of(words: Iterable[str]) -> list[str]:
    """The case statuses behind Open311's `open` and `closed`."""
    out: list[str] = []
    for word in words:
        if word == "open":
            out += list(Ticket.ACTIVE)
        elif word == "closed":
            out += [s for s in Status.values if s not in Ticket.ACTIVE]
    return out


def _base() -> QuerySet[Ticket]:
    first_raw = (
        Message.objects.filter(
            conversation__tickets=OuterRef("pk"), direction=Message.Direction.INBOUND
        )
        .order_by("sent_at", "pk")
        .values("raw")[:1]
    )
    return (
        Ticket.objects.filter(kind=Ticket.Kind.DISSERVICE, theme__open311_public=True)
        .select_related("theme", "office", "channel")
        .annotate(open311_raw=Subquery(first_raw, output_field=JSONField()))
    )


def service_requests(
    *,
    ids: list[int] | None = None,
    service_codes: list[str] | None = None,
    statuses: list[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = MAX_RESULTS,
) -> list[dict[str, Any]]:
    """The requests asked for, newest first: by id (which overrides every other filter), or
    by service, status and the time they were made (`start` ≤ requested ≤ `end`)."""
    queryset = _base()
    if ids is not None:
        queryset = queryset.filter(pk__in=ids)
    else:
        if service_codes:
            queryset = queryset.filter(theme__code__in=service_codes)
        if statuses:
            queryset = queryset.filter(status__in=statuses_of(statuses))
        if start is not None:
            queryset = queryset.filter(created_at__gte=start)
        if end is not None:
            queryset = queryset.filter(created_at__lte=end)
    return [as_request(t) for t in queryset.order_by("-created_at", "-pk")[:limit]]


def service_request(pk: int) -> dict[str, Any] | None:
    ticket = _base().filter(pk=pk).first()
    return as_request(ticket) if ticket is not None else None


def _own(ticket: Ticket) -> bool:
    return ticket.channel.code == channel_code()


def _notes(ticket: Ticket, own: bool) -> str:
    if ticket.parent_id is not None:
        return str(MERGED)
    if own and ticket.resolution and ticket.status in (Status.RESOLVED, Status.CLOSED):
        return without_contacts(ticket.resolution, contacts_pattern(ticket))[:4000]
    return str(PUBLIC_STATUS.get(ticket.status, ""))


def _float(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def as_request(ticket: Ticket) -> dict[str, Any]:
    """One request with the spec's fields, in the spec's order."""
    own = _own(ticket)
    raw: dict[str, Any] = {}
    if own and isinstance(getattr(ticket, "open311_raw", None), dict):
        raw = ticket.open311_raw.get("open311") or {}  # type: ignore[attr-defined]
    closed = ticket.status not in Ticket.ACTIVE
    updated = (ticket.resolved_at or ticket.closed_at) if closed else None
    description = raw.get("description") or ""
    if description:
        description = without_contacts(description, contacts_pattern(ticket))
    return {
        "service_request_id": str(ticket.pk),
        "status": open_or_closed(ticket.status),
        "status_notes": _notes(ticket, own),
        "service_name": ticket.theme.name if ticket.theme else None,
        "service_code": ticket.theme.code if ticket.theme else None,
        "description": description or None,
        "agency_responsible": ticket.office.name if ticket.office else None,
        "service_notice": None,
        "requested_datetime": ticket.created_at,
        "updated_datetime": updated or ticket.updated_at,
        "expected_datetime": ticket.due_at,
        "address": raw.get("address_string") or None,
        "address_id": raw.get("address_id") or None,
        "zipcode": None,
        "lat": _float(raw.get("lat")),
        "long": _float(raw.get("long")),
        "media_url": raw.get("media_url") or None,
    }


def updates(start: datetime, end: datetime, limit: int = MAX_RESULTS) -> list[dict[str, Any]]:
    """The FixMyStreet updates extension: each change of status of a request between `start`
    and `end` (oldest first), with its extended status and what the public may read of it."""
    events = (
        TicketEvent.objects.filter(
            kind=TicketEvent.Kind.STATUS,
            at__gte=start,
            at__lte=end,
            ticket__kind=Ticket.Kind.DISSERVICE,
            ticket__theme__open311_public=True,
        )
        .select_related("ticket", "ticket__channel")
        .order_by("at", "pk")[:limit]
    )
    out = []
    for event in events:
        ticket = event.ticket
        to_status = event.to_value
        merged = event.data.get("cause") == "merged"
        description = str(MERGED if merged else PUBLIC_STATUS.get(to_status, ""))
        if to_status == Status.RESOLVED and _own(ticket) and ticket.resolution:
            description = without_contacts(ticket.resolution, contacts_pattern(ticket))[:4000]
        out.append(
            {
                "update_id": str(event.pk),
                "service_request_id": str(ticket.pk),
                "status": "duplicate" if merged else EXTENDED.get(to_status, "open"),
                "updated_datetime": event.at,
                "description": description,
                "media_url": None,
                "external_status_code": to_status,
            }
        )
    return out


def token_request(token: str) -> tuple[bool, int | None]:
    """Whether a token was given by a POST here, and the id of its request once its case
    exists (None while it waits in the intake queue)."""
    row = (
        PendingInbound.objects.filter(channel=channel_code(), external_id=f"open311-{token}")
        .values_list("code", flat=True)
        .first()
    )
    if row is None:
        return False, None
    pk = Ticket.objects.filter(code=row).values_list("pk", flat=True).first()
    return True, pk
