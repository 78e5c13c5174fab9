"""Screen-pop: the telephony system says a call is ringing on an operator's extension, and that
operator's console opens the caller's panel once, with the call form ready for the number.

`announce_call` stores the pending pop (`IncomingCall`) when the "call started" webhook arrives;
`take_incoming_call` hands it to the operator's console, once: the console polls about every
second, and the first poll after the webhook claims it. What the panel shows of the caller is
decided by the console's call lookup, within the operator's scope (`core.access`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from ascolto.citizens.handles import normalise_phone
from ascolto.contactcenter.models import IncomingCall
from ascolto.core.errors import InvalidInput, NotFound
from ascolto.organisation.models import User

# A pop not shown within this long belongs to a call that is over: the console drops it.
POP_TTL = timedelta(minutes=2)


def announce_call(
    *,
    call_id: str,
    extension: str,
    caller_number: str = "",
    queue: str = "",
    started_at: datetime | None = None,
) -> IncomingCall:
    """Store the pop of a call ringing on `extension`; idempotent on `call_id` (the telephony
    system may deliver the webhook twice). A withheld or malformed number pops an empty panel:
    the call is still the operator's, the form still gets the call id."""
    call_id = (call_id or "").strip()
    if not call_id or len(call_id) > 64:
        raise InvalidInput(
            "A call needs its telephony id (at most 64 characters).", field="call_id"
        )
    extension = (extension or "").strip()
    if not extension:
        raise InvalidInput("The call has no agent extension.", field="agent_extension")
    if started_at is not None and timezone.is_naive(started_at):
        raise InvalidInput("The start time has no time zone.", field="started_at")
    existing = IncomingCall.objects.filter(call_id=call_id).first()
    if existing is not None:
        return existing
    operator = User.objects.filter(extension=extension, is_active=True).first()
    if operator is None:
        raise NotFound(f"No active operator has extension {extension!r}.", field="agent_extension")
    try:
        phone = normalise_phone(caller_number) if (caller_number or "").strip() else ""
    except InvalidInput:
        phone = ""  # "anonymous", "unknown": the panel opens without a caller
    with transaction.atomic():
        incoming, _created = IncomingCall.objects.get_or_create(
            call_id=call_id,
            defaults={
                "operator": operator,
                "phone": phone,
                "queue": (queue or "")[:64],
                "started_at": started_at or timezone.now(),
            },
        )
    return incoming


def parse_call_started(payload: Any) -> dict[str, Any]:
    """The arguments of `announce_call` from the webhook's JSON object (see
    docs/contact-center.md); `InvalidInput` names the field that is wrong."""
    if not isinstance(payload, dict):
        raise InvalidInput("The body must be a JSON object.")
    fields: dict[str, Any] = {}
    for name, key in (
        ("call_id", "call_id"),
        ("extension", "agent_extension"),
        ("caller_number", "caller_number"),
        ("queue", "queue"),
    ):
        value = payload.get(key, "")
        if value is None:
            value = ""
        if not isinstance(value, str | int):
            raise InvalidInput(f"{key} must be a string.", field=key)
        fields[name] = str(value)
    raw = payload.get("started_at")
    if raw:
        try:
            fields["started_at"] = datetime.fromisoformat(str(raw))
        except ValueError:
            raise InvalidInput("started_at is not an ISO 8601 time.", field="started_at") from None
    return fields


def take_incoming_call(operator: User, *, now: datetime | None = None) -> IncomingCall | None:
    """The latest call announced on `operator`'s extension that the console has not shown yet,
    marked shown; None when there is none. Older pending pops are dropped with it (the operator
    is on the latest call), and a second console tab gets nothing: each pop opens once."""
    now = now or timezone.now()
    pending = IncomingCall.objects.filter(operator=operator, seen_at=None)
    latest = pending.filter(created_at__gte=now - POP_TTL).order_by("-created_at").first()
    if latest is None:
        return None
    claimed = IncomingCall.objects.filter(pk=latest.pk, seen_at=None).update(seen_at=now)
    pending.filter(created_at__lt=latest.created_at).update(seen_at=now)
    return latest if claimed else None


def incoming_call_for(operator: User, pk: int) -> IncomingCall | None:
    """An announced call of `operator` (to fill the call form from it), or None."""
    return IncomingCall.objects.filter(pk=pk, operator=operator).first()
