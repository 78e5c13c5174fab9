"""Outgoing webhooks: the city's domain events POSTed, signed, to the external systems that
subscribed to them (docs/webhooks.md, decision 0026).

From the outbox to the receiver, nothing is lost:

1. an action publishes an outbox event in its own transaction (`ticket.opened`,
   `ticket.status_changed`, `ticket.resolved`, `survey.answered`);
2. its handler here (`calls_for`, registered in `api/apps.py`) writes one `WebhookCall` per
   active subscription to that event whose office scope covers it, unique per (subscription,
   event id): an outbox event handled twice creates nothing twice;
3. `deliver_due` (the `deliver_webhooks` task after commit, and the scheduled command) claims
   the calls that are due, POSTs each with its signature, and records the answer: 2xx is
   delivered; anything else (refused connection, timeout, 500, a redirect) is tried again
   after an exponential backoff (`core.retry.backoff`), up to MAX_ATTEMPTS, then failed. An
   administrator sees every call in the admin and can send any of them again (`resend`).

A receiver may get an event more than once (a worker dies after the POST and before recording
it): the `X-Ascolto-Event-Id` header is the same every time, so it keeps the first.

The signature is the one the telephony system's webhooks use towards ascolto
(`core.webhooks.sign`): `X-Ascolto-Signature: sha256=<hex>`, HMAC-SHA256 with the
subscription's secret over `<timestamp>.<body>`, the Unix time in `X-Ascolto-Timestamp`; a
receiver refuses a timestamp too far from its clock, so a captured request cannot be replayed.

Payloads carry ids, codes, statuses, the theme, the office and times: never a citizen's name,
contact or words.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from ipaddress import ip_address
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ascolto.api.models import WebhookCall, WebhookSubscription
from ascolto.core import maintenance
from ascolto.core.errors import InvalidInput
from ascolto.core.models import OutboxEvent
from ascolto.core.retry import backoff
from ascolto.core.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from ascolto.organisation.models import Office
from ascolto.surveys.models import Response
from ascolto.tickets.models import Ticket

if TYPE_CHECKING:
    import httpx  # imported where the calls are sent: by the task worker (issue 19)

logger = logging.getLogger(__name__)

# The events a system may subscribe to, and the outbox topic each comes from.
EVENTS: dict[str, Any] = {
    "case.opened": gettext_lazy("Caso aperto"),
    "case.status_changed": gettext_lazy("Stato del caso cambiato"),
    "case.resolved": gettext_lazy("Caso risolto"),
    "survey.answered": gettext_lazy("Questionario compilato"),
}
TOPICS = {
    "ticket.opened": "case.opened",
    "ticket.status_changed": "case.status_changed",
    "ticket.resolved": "case.resolved",
    "survey.answered": "survey.answered",
}

EVENT_HEADER = "X-Ascolto-Event"
EVENT_ID_HEADER = "X-Ascolto-Event-Id"
USER_AGENT = "ascolto-webhooks/1"

# A failed call waits RETRY_BASE, then twice as long after each failure (±10 %), at most
# RETRY_CAP; after MAX_ATTEMPTS tries it is failed (about 30 hours after the first).
RETRY_BASE = timedelta(seconds=30)
RETRY_CAP = timedelta(hours=6)
MAX_ATTEMPTS = 12
TIMEOUT = 10.0  # seconds for one POST, connection included
# A claimed call is not claimed again before this: the sender records its answer well before.
CLAIM = timedelta(minutes=2)
LOOPBACK_NAMES = {"localhost"}


# --- Subscriptions ------------------------------------------------------------------------


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def _loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str) -> str:
    """The subscription's address, if it may be one: https://, or http:// to the loopback
    where `ASCOLTO_WEBHOOKS_ALLOW_LOOPBACK` allows it (development and tests)."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    allowed = bool(getattr(settings, "ASCOLTO_WEBHOOKS_ALLOW_LOOPBACK", False))
    if parts.scheme == "http" and parts.hostname and allowed and _loopback(parts.hostname):
        return url
    raise InvalidInput(
        _("L'indirizzo del webhook deve essere https:// (non «%(url)s»).") % {"url": url[:200]},
        field="url",
    )


def check_events(events: list[str]) -> list[str]:
    unknown = sorted(set(events) - set(EVENTS))
    if unknown or not events:
        raise InvalidInput(
            _("Eventi sconosciuti o assenti: %(events)s.") % {"events": ", ".join(unknown)},
            field="events",
        )
    return sorted(set(events))


def create_subscription(
    name: str, url: str, events: list[str], *, office: Office | None = None, secret: str = ""
) -> WebhookSubscription:
    """A system's subscription to `events` at `url`; its secret is drawn when not given."""
    if not name.strip():
        raise InvalidInput(_("Indicare il sistema che riceve i webhook."), field="name")
    return WebhookSubscription.objects.create(
        name=name.strip(),
        url=check_url(url),
        events=check_events(events),
        office=office,
        secret=secret or new_secret(),
    )


# --- From the outbox to the calls ------------------------------------------------------------


def _case(ticket_id: int) -> tuple[Office | None, dict[str, Any]] | None:
    ticket = (
        Ticket.objects.select_related("theme", "office", "channel").filter(pk=ticket_id).first()
    )
    if ticket is None:
        return None
    return ticket.office, {
        "id": ticket.pk,
        "code": ticket.code,
        "kind": ticket.kind,
        "status": ticket.status,
        "level": ticket.level,
        "channel": ticket.channel.kind,
        "theme": {"code": ticket.theme.code, "name": ticket.theme.name} if ticket.theme else None,
        "office": {"code": ticket.office.code, "name": ticket.office.name}
        if ticket.office
        else None,
        "created_at": ticket.created_at.isoformat(),
        "due_at": ticket.due_at.isoformat() if ticket.due_at else None,
        "resolved_at": ticket.resolved_at.isoformat() if ticket.resolved_at else None,
        "closed_at": ticket.closed_at.isoformat() if ticket.closed_at else None,
    }


def _survey(response_id: int) -> tuple[Office | None, dict[str, Any]] | None:
    response = (
        Response.objects.select_related("survey", "office", "theme", "service")
        .filter(pk=response_id)
        .first()
    )
    if response is None:
        return None
    return response.office, {
        "id": response.pk,
        "survey": {"code": response.survey.code, "title": response.survey.title},
        "source": response.source,
        "channel": response.channel_kind or None,
        "office": {"code": response.office.code, "name": response.office.name}
        if response.office
        else None,
        "theme": {"code": response.theme.code, "name": response.theme.name}
        if response.theme
        else None,
        "service": response.service.code if response.service else None,
        "case_id": response.ticket_id,
        "complete": response.complete,
        "csat": response.csat,
        "nps": response.nps,
        "submitted_at": response.submitted_at.isoformat(),
    }


def payload(event: OutboxEvent) -> tuple[str, Office | None, dict[str, Any]] | None:
    """The webhook event an outbox event becomes: its name, the office it belongs to (for the
    subscriptions' scope) and its body; None when what it speaks of is gone."""
    name = TOPICS.get(event.topic)
    if name is None:
        return None
    data = event.payload or {}
    if name == "survey.answered":
        built = _survey(int(data["response_id"]))
        if built is None:
            return None
        office, body = built
        body = {"response": body}
    else:
        built = _case(int(data["ticket_id"]))
        if built is None:
            return None
        office, case = built
        body = {"case": case}
        if name == "case.status_changed":
            body["from_status"] = data.get("from_status")
            body["to_status"] = data.get("to_status")
    return (
        name,
        office,
        {
            "id": event_id(event),
            "event": name,
            "occurred_at": event.created_at.isoformat(),
            "data": body,
        },
    )


def event_id(event: OutboxEvent) -> str:
    return f"evt_{event.pk}"


def covers(subscription: WebhookSubscription, office: Office | None) -> bool:
    """Whether a subscription's office scope covers an event of `office` (no scope: all)."""
    if subscription.office is None:
        return True
    return office is not None and office.is_within(subscription.office)


def calls_for(event: OutboxEvent) -> int:
    """The outbox handler: one call per active subscription to this event that covers it;
    returns how many subscriptions it was for. Idempotent: a call already written for
    (subscription, event) is left as it is."""
    name = TOPICS.get(event.topic)
    # The subscriptions first (one query, usually none): the event's object is read only for
    # an event somebody subscribed to.
    wanting = [
        s
        for s in WebhookSubscription.objects.filter(is_active=True).select_related("office")
        if name in (s.events or [])
    ]
    if not wanting:
        return 0
    built = payload(event)
    if built is None:
        return 0
    name, office, body = built
    subscriptions = [s for s in wanting if covers(s, office)]
    if not subscriptions:
        return 0
    now = timezone.now()
    rows = WebhookCall.objects.bulk_create(
        [
            WebhookCall(
                subscription=s,
                event_id=body["id"],
                event=name,
                payload=body,
                next_attempt_at=now,
                created_at=now,
            )
            for s in subscriptions
        ],
        ignore_conflicts=True,
    )
    transaction.on_commit(schedule_delivery)
    return len(rows)


def schedule_delivery() -> None:
    """Enqueue a delivery after commit; if that fails, the scheduled command sends them."""
    from ascolto.api.tasks import deliver_webhooks

    try:
        deliver_webhooks.enqueue()
    except Exception:
        logger.exception("webhooks: could not enqueue a delivery; the command will send them")


# --- Delivery -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivered:
    """What one pass did: calls delivered, given up (failed), left to retry."""

    delivered: int = 0
    failed: int = 0
    retrying: int = 0

    def __add__(self, other: Delivered) -> Delivered:
        return Delivered(
            self.delivered + other.delivered,
            self.failed + other.failed,
            self.retrying + other.retrying,
        )


def body_of(call: WebhookCall) -> bytes:
    return json.dumps(call.payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def headers_for(call: WebhookCall, body: bytes, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_HEADER: call.event,
        EVENT_ID_HEADER: call.event_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(call.subscription.secret, timestamp, body),
    }


def _claim(limit: int, ids: list[int] | None = None) -> list[WebhookCall]:
    """The pending calls that are due (or those of `ids`), oldest due first, each claimed for
    CLAIM so that a second sender running beside this one leaves them alone."""
    now = timezone.now()
    with transaction.atomic():
        queryset = WebhookCall.objects.filter(status=WebhookCall.Status.PENDING)
        if ids is None:
            queryset = queryset.filter(next_attempt_at__lte=now, subscription__is_active=True)
        else:
            queryset = queryset.filter(pk__in=ids)
        queryset = queryset.order_by("next_attempt_at", "pk")
        if connection.features.has_select_for_update_skip_locked:
            queryset = queryset.select_for_update(skip_locked=True, of=("self",))
        calls = list(queryset.select_related("subscription")[:limit])
        if calls:
            WebhookCall.objects.filter(pk__in=[c.pk for c in calls]).update(
                next_attempt_at=now + CLAIM
            )
    return calls


def send(call: WebhookCall, client: httpx.Client) -> str:
    """POST one call and record its answer; return its status afterwards."""
    import httpx

    body = body_of(call)
    status_code: int | None = None
    error = ""
    try:
        response = client.post(
            call.subscription.url, content=body, headers=headers_for(call, body, int(time.time()))
        )
        status_code = response.status_code
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code}"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"
    now = timezone.now()
    call.attempts += 1
    call.last_status_code = status_code
    call.last_error = error[:500]
    if not error:
        call.status, call.delivered_at = WebhookCall.Status.DELIVERED, now
    elif call.attempts >= MAX_ATTEMPTS:
        call.status, call.failed_at = WebhookCall.Status.FAILED, now
        logger.warning("webhooks: call %s (%s) given up: %s", call.pk, call.event, error)
    else:
        call.next_attempt_at = now + backoff(call.attempts, base=RETRY_BASE, cap=RETRY_CAP)
    call.save(
        update_fields=[
            "attempts",
            "last_status_code",
            "last_error",
            "status",
            "delivered_at",
            "failed_at",
            "next_attempt_at",
        ]
    )
    return call.status


def _send_all(calls: list[WebhookCall]) -> Delivered:
    out = Delivered()
    if not calls:
        return out
    import httpx

    with httpx.Client(timeout=TIMEOUT, follow_redirects=False) as client:
        for call in calls:
            status = send(call, client)
            out += Delivered(
                delivered=int(status == WebhookCall.Status.DELIVERED),
                failed=int(status == WebhookCall.Status.FAILED),
                retrying=int(status == WebhookCall.Status.PENDING),
            )
    return out


def deliver_due(limit: int = 100) -> Delivered:
    """Send the calls that are due, up to `limit`, outside any transaction (a slow receiver
    holds no lock)."""
    return _send_all(_claim(limit))


def deliver_all(limit: int = 100) -> Delivered:
    """Send until no call is due (those waiting for their retry stay)."""
    total = Delivered()
    while True:
        done = deliver_due(limit)
        total += done
        if done == Delivered():
            return total


def resend(ids: list[int]) -> Delivered:
    """An administrator's "send again": the calls are pending again with a full set of tries
    (delivered or failed ones too), and sent now."""
    WebhookCall.objects.filter(pk__in=ids).update(
        status=WebhookCall.Status.PENDING,
        attempts=0,
        next_attempt_at=timezone.now(),
        failed_at=None,
        delivered_at=None,
    )
    return _send_all(_claim(len(ids) or 1, ids=ids))


def prune_calls(now: datetime, dry_run: bool) -> int:
    """The nightly pruner of the delivery log (`prune_tables`, pruner `webhook_calls`): the
    calls delivered, or given up as failed, more than `ASCOLTO_RETENTION_WEBHOOK_CALLS_DAYS`
    days ago. A pending call is never deleted; a failed one stays that long for an
    administrator to send it again (which makes it pending)."""
    before = maintenance.cutoff(now, settings.ASCOLTO_RETENTION_WEBHOOK_CALLS_DAYS)
    old = WebhookCall.objects.filter(
        Q(status=WebhookCall.Status.DELIVERED, delivered_at__lt=before)
        | Q(status=WebhookCall.Status.FAILED, failed_at__lt=before)
    )
    return maintenance.delete_in_batches(old, dry_run=dry_run)
