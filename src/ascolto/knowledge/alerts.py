"""Alerts on current topics: which are current on a channel, editing them, the citizens who
opted in to receive them on WhatsApp, and sending one to them by approved template.

What is current is decided by the clock: an alert is shown from `starts_at` (included) to
`ends_at` (excluded) and ends by itself. Pages read `current_alerts` through a cache whose entry
never outlives the first end or start it knows of (and `CACHE_SECONDS` at most), and which every
change of an alert clears: a cache hit costs no query, a miss one indexed query.

A subscription is a consent (`citizens.Consent`, purpose «Avvisi e comunicazioni»): the
citizen chose to be contacted, so their WhatsApp identity is linked to a citizen (created
without a name when there is none) and the consent is recorded with its time and, as its
`source`, `alerts:whatsapp:<channel code>`: the channel the alerts go out on. The latest
consent of that purpose is the one in force.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from ascolto.channels.models import Channel
from ascolto.citizens import actions as citizen_actions
from ascolto.citizens.handles import normalise_handle
from ascolto.citizens.models import Citizen, Consent, Identity
from ascolto.core import outages
from ascolto.core.errors import DomainError, InvalidInput, NotFound
from ascolto.knowledge.models import Alert, AlertDelivery

CHANNELS = tuple(Alert.Channel.values)  # "whatsapp", "web", "console"
CACHE_SECONDS = 60  # the longest a page may go without asking the database
CACHE_PREFIX = "ascolto:alerts:"
SUBSCRIPTION_SOURCE = "alerts:whatsapp:"  # + the channel's code, in `Consent.source`
MAX_TEXT = 1000
_BSUID = re.compile(r"^[A-Z]{2}\.")


def _check_channel(channel: str) -> str:
    if channel not in CHANNELS:
        raise InvalidInput(
            _("Canale degli avvisi sconosciuto: «%(channel)s» (uno tra %(known)s).")
            % {"channel": channel, "known": ", ".join(CHANNELS)},
            field="channel",
        )
    return channel


def _on(channel: str, at: datetime, horizon: datetime) -> QuerySet[Alert]:
    """The alerts of `channel` not ended at `at` that start by `horizon` (index `alert_period`)."""
    return (
        Alert.objects.filter(**{f"on_{channel}": True}, ends_at__gt=at, starts_at__lte=horizon)
        .select_related("theme")
        .order_by("priority", "starts_at", "pk")
    )


def current_alerts(channel: str, at: datetime | None = None) -> list[Alert]:
    """The alerts shown on `channel` ("whatsapp", "web" for Scrivi and the portal, "console")
    at `at` (now if not given), most urgent first, then by start.

    Without `at` the answer comes from the cache when it is still valid (no query); with `at`
    it comes from the database.
    """
    _check_channel(channel)
    if at is not None:
        return [a for a in _on(channel, at, at) if a.starts_at <= at]
    return current_alerts_until(channel)[0]


def current_alerts_until(channel: str) -> tuple[list[Alert], datetime]:
    """`current_alerts(channel)` now, and until when that answer holds at most: the first end of
    those alerts, the first start of one to come, or `CACHE_SECONDS` from now (what the feed's
    `Cache-Control` and the banner's refresh follow)."""
    _check_channel(channel)
    now = timezone.now()
    try:
        entry = cache.get(CACHE_PREFIX + channel)
    except outages.CACHE_ERRORS:  # read from the database while the cache is down
        outages.cache_unavailable("current alerts read from the database")
        entry = None
    if entry is not None:
        valid_until, alerts = entry
        if now < valid_until:
            # An entry never outlives the first end it holds; the filter is a second guard.
            return [a for a in alerts if a.starts_at <= now < a.ends_at], valid_until
    horizon = now + timedelta(seconds=CACHE_SECONDS)
    rows = list(_on(channel, now, horizon))
    alerts = [a for a in rows if a.starts_at <= now]
    # Valid until the first change it knows of: an alert ending, or one starting.
    changes = [a.ends_at for a in alerts] + [a.starts_at for a in rows if a.starts_at > now]
    valid_until = min([horizon, *changes])
    seconds = max(1, int((valid_until - now).total_seconds()))
    try:
        cache.set(CACHE_PREFIX + channel, (valid_until, alerts), timeout=seconds)
    except outages.CACHE_ERRORS:
        outages.cache_unavailable("current alerts not cached")
    return alerts, valid_until


def forget_cached_alerts() -> None:
    """Clear the cached current alerts of every channel: an alert was created, changed or
    deleted, and every page shows the change on its next request."""
    try:
        cache.delete_many([CACHE_PREFIX + c for c in CHANNELS])
    except outages.CACHE_ERRORS:
        # What the cache held expires by itself within CACHE_SECONDS.
        outages.cache_unavailable("cached alerts not cleared")


def _changed() -> None:
    """Inside an edit's transaction: clear the cache now and again once committed (a page
    rendered meanwhile may have cached the old rows)."""
    forget_cached_alerts()
    transaction.on_commit(forget_cached_alerts)


# --- Editing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertData:
    """What the editorial team writes for an alert (validated by `validate`)."""

    title: str
    text: str
    starts_at: datetime
    ends_at: datetime
    channels: tuple[str, ...]
    link: str = ""
    theme_id: int | None = None
    priority: int = Alert.Priority.IMPORTANT


def validate(data: AlertData) -> AlertData:
    """The data cleaned, or `InvalidInput` naming the first field that is wrong."""
    title = " ".join((data.title or "").split())
    text = (data.text or "").replace("\x00", "").strip()
    link = (data.link or "").strip()
    if not title:
        raise InvalidInput(_("Il titolo è obbligatorio."), field="title")
    if len(title) > 120:
        raise InvalidInput(_("Il titolo è lungo al massimo 120 caratteri."), field="title")
    if not text:
        raise InvalidInput(_("Il testo è obbligatorio."), field="text")
    if len(text) > MAX_TEXT:
        raise InvalidInput(
            _("Il testo è lungo al massimo %(max)d caratteri.") % {"max": MAX_TEXT}, field="text"
        )
    if link and not re.match(r"^https?://[^\s/$.?#][^\s]*$", link, re.IGNORECASE):
        raise InvalidInput(
            _("Il link deve essere un indirizzo web che inizia con http:// o https://."),
            field="link",
        )
    if len(link) > 500:
        raise InvalidInput(_("Il link è lungo al massimo 500 caratteri."), field="link")
    if data.ends_at <= data.starts_at:
        raise InvalidInput(_("La fine deve essere dopo l'inizio."), field="ends_at")
    channels = tuple(c for c in CHANNELS if c in set(data.channels))
    unknown = set(data.channels) - set(CHANNELS)
    if unknown:
        raise InvalidInput(
            _("Canale degli avvisi sconosciuto: «%(channel)s».") % {"channel": sorted(unknown)[0]},
            field="channels",
        )
    if not channels:
        raise InvalidInput(_("Scegli almeno un canale su cui mostrare l'avviso."), field="channels")
    if data.priority not in Alert.Priority.values:
        raise InvalidInput(_("Priorità sconosciuta."), field="priority")
    return AlertData(
        title=title,
        text=text,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        channels=channels,
        link=link,
        theme_id=data.theme_id,
        priority=data.priority,
    )


def _apply(alert: Alert, data: AlertData) -> None:
    alert.title, alert.text, alert.link = data.title, data.text, data.link
    alert.starts_at, alert.ends_at = data.starts_at, data.ends_at
    alert.theme_id = data.theme_id
    alert.priority = data.priority
    for channel in CHANNELS:
        setattr(alert, f"on_{channel}", channel in data.channels)
    alert.updated_at = timezone.now()


def create_alert(data: AlertData, *, actor: Any = None) -> Alert:
    """Publish an alert: it shows on its channels from its start, at once if it has started."""
    data = validate(data)
    alert = Alert(created_by=actor if getattr(actor, "pk", None) else None)
    _apply(alert, data)
    with transaction.atomic():
        alert.save()
        _changed()
    return alert


def update_alert(alert: Alert, data: AlertData) -> Alert:
    """Change an alert; every channel shows the change on its next request. Ending an alert
    early is setting its end to now."""
    data = validate(data)
    _apply(alert, data)
    with transaction.atomic():
        alert.save()
        _changed()
    return alert


def end_alert(alert: Alert, *, at: datetime | None = None) -> Alert:
    """End an alert now (or at `at`): it disappears from every channel."""
    at = at or timezone.now()
    if alert.ends_at <= at:
        return alert
    if alert.starts_at >= at:  # not started yet: it never shows, and is listed as ended
        alert.starts_at = at - timedelta(microseconds=1)
    alert.ends_at = at
    alert.updated_at = timezone.now()
    with transaction.atomic():
        alert.save(update_fields=["starts_at", "ends_at", "updated_at"])
        _changed()
    return alert


def delete_alert(alert: Alert) -> None:
    """Remove an alert (one published by mistake); its template deliveries go with it."""
    with transaction.atomic():
        alert.delete()
        _changed()


def alerts_by_state(at: datetime | None = None) -> dict[str, list[Alert]]:
    """Every alert, as the console lists them: current, upcoming, ended (the latest 50)."""
    at = at or timezone.now()
    base = Alert.objects.select_related("theme")
    return {
        "current": list(base.filter(starts_at__lte=at, ends_at__gt=at)),
        "upcoming": list(base.filter(starts_at__gt=at).order_by("starts_at", "pk")),
        "ended": list(base.filter(ends_at__lte=at).order_by("-ends_at", "-pk")[:50]),
    }


# --- Subscriptions ----------------------------------------------------------------------------


def _whatsapp_channel(channel_code: str) -> Channel:
    channel = Channel.objects.filter(code=channel_code, kind=Channel.Kind.WHATSAPP).first()
    if channel is None:
        raise NotFound(
            _("Nessun canale WhatsApp con codice «%(code)s».") % {"code": channel_code},
            field="channel",
        )
    return channel


def _handle_kind(handle: str) -> str:
    """A WhatsApp handle is a number (`393331234567`) or a business-scoped user id
    (`IT.1349120865`)."""
    text = (handle or "").strip()
    return Identity.Kind.WHATSAPP_BSUID if _BSUID.match(text) else Identity.Kind.WHATSAPP


@transaction.atomic
def subscribe(channel_code: str, handle: str) -> Consent:
    """A citizen writing from `handle` on the WhatsApp channel `channel_code` asked to receive
    the alerts: their identity is linked to a citizen (one without a name if none yet) and the
    consent is recorded, with its time. Subscribing again records it again (harmless)."""
    channel = _whatsapp_channel(channel_code)
    identity = citizen_actions.resolve_identity(_handle_kind(handle), handle)
    if identity.citizen_id is None:
        citizen_actions.link_identity(identity, Citizen.objects.create())
    citizen = identity.citizen.live()  # type: ignore[union-attr]
    return citizen_actions.record_consent(
        citizen, Consent.Purpose.NEWS, True, source=SUBSCRIPTION_SOURCE + channel.code
    )


@transaction.atomic
def unsubscribe(channel_code: str, handle: str) -> Consent | None:
    """The citizen writing from `handle` no longer wants the alerts: the withdrawal is recorded
    (the latest consent is the one in force). None when the handle never subscribed."""
    channel = _whatsapp_channel(channel_code)
    kind = _handle_kind(handle)
    identity = Identity.objects.filter(kind=kind, value=normalise_handle(kind, handle)).first()
    if identity is None or identity.citizen is None:
        return None
    citizen = identity.citizen.live()
    if not is_subscribed(citizen):
        return None
    return citizen_actions.record_consent(
        citizen, Consent.Purpose.NEWS, False, source=SUBSCRIPTION_SOURCE + channel.code
    )


def _latest_news() -> QuerySet[Consent]:
    return Consent.objects.filter(citizen=OuterRef("pk"), purpose=Consent.Purpose.NEWS).order_by(
        "-recorded_at", "-pk"
    )


def subscribers() -> QuerySet[Citizen]:
    """The citizens whose consent in force for alerts was given on WhatsApp; each carries
    `alerts_source` (`alerts:whatsapp:<channel code>`)."""
    latest = _latest_news()
    return (
        Citizen.objects.filter(merged_into__isnull=True)
        .annotate(
            alerts_granted=Subquery(latest.values("granted")[:1]),
            alerts_source=Subquery(latest.values("source")[:1]),
        )
        .filter(alerts_granted=True, alerts_source__startswith=SUBSCRIPTION_SOURCE)
    )


def is_subscribed(citizen: Citizen) -> bool:
    """Whether the citizen's consent in force for alerts is a WhatsApp subscription."""
    return subscribers().filter(pk=citizen.pk).exists()


# --- Sending by template ----------------------------------------------------------------------


def template_parameters(alert: Alert, count: int) -> list[str]:
    """The values of the alert template's placeholders: {{1}} the title, {{2}} the text (with
    the link after it when the template has no {{3}}), {{3}} the link (or the Scrivi page's
    address when the alert has none)."""
    from ascolto.channels.actions import MAX_TEMPLATE_PARAMETER

    text = " ".join(alert.text.split())
    link = alert.link or settings.ASCOLTO_PUBLIC_URL.rstrip("/") + "/scrivi/"
    if count == 2 and alert.link:
        text = f"{text} {alert.link}"
    values = [alert.title, text, link][:count]
    return [
        v if len(v) <= MAX_TEMPLATE_PARAMETER else v[: MAX_TEMPLATE_PARAMETER - 1] + "…"
        for v in values
    ]


@dataclass(frozen=True)
class SendReport:
    """What sending an alert did: messages queued, citizens who already had it, subscribers
    with no WhatsApp identity or whose channel is gone."""

    queued: int
    already_sent: int
    unreachable: int


def template_ready() -> bool:
    """Whether an active WhatsApp channel lists the alerts' template among its approved ones."""
    from ascolto.channels.config import whatsapp_templates

    name = settings.ASCOLTO_ALERT_TEMPLATE
    return any(
        t.name == name
        for channel in Channel.objects.filter(kind=Channel.Kind.WHATSAPP, is_active=True)
        for t in whatsapp_templates(channel.config)
    )


def request_send(alert: Alert, *, actor: Any = None) -> None:
    """Send the alert to the subscribers in the background (`knowledge.tasks`): thousands of
    subscribers are more writes than a web request should wait for. What would stop the
    sending (the alert has ended, no channel has the template) is refused here, at once."""
    from ascolto.knowledge.tasks import send_alert_task

    if alert.ends_at <= timezone.now():
        raise DomainError(_("L'avviso è terminato: non si può più inviare."), field="alert")
    if not template_ready():
        raise DomainError(
            _(
                "Il modello «%(name)s» per gli avvisi non è tra quelli approvati di nessun canale "
                "WhatsApp attivo: aggiungilo alla configurazione del canale."
            )
            % {"name": settings.ASCOLTO_ALERT_TEMPLATE},
            field="template",
        )
    send_alert_task.enqueue(alert.pk, getattr(actor, "pk", None))


def send_alert(alert: Alert, *, actor: Any = None, at: datetime | None = None) -> SendReport:
    """Queue the alert, by the approved template `ASCOLTO_ALERT_TEMPLATE`, to every citizen
    subscribed on WhatsApp who has not had it: one message each, through the outbox (a
    template may go outside the 24-hour window). Idempotent: an alert reaches a citizen once,
    also when two operators press the button together (the alert's row is locked)."""
    from ascolto.channels import actions as channel_actions
    from ascolto.channels.config import whatsapp_templates

    at = at or timezone.now()
    if alert.ends_at <= at:
        raise DomainError(_("L'avviso è terminato: non si può più inviare."), field="alert")
    name = settings.ASCOLTO_ALERT_TEMPLATE
    queued = already = unreachable = 0
    with transaction.atomic():
        Alert.objects.select_for_update().filter(pk=alert.pk).first()
        done = set(AlertDelivery.objects.filter(alert=alert).values_list("citizen_id", flat=True))
        channels = {c.code: c for c in Channel.objects.filter(kind=Channel.Kind.WHATSAPP)}
        for citizen in subscribers().order_by("pk"):
            if citizen.pk in done:
                already += 1
                continue
            channel = channels.get(
                str(getattr(citizen, "alerts_source", "")).removeprefix(SUBSCRIPTION_SOURCE)
            )
            identity = (
                Identity.objects.filter(
                    citizen=citizen,
                    kind__in=[Identity.Kind.WHATSAPP, Identity.Kind.WHATSAPP_BSUID],
                )
                .order_by("-last_seen_at", "-pk")
                .first()
            )
            if channel is None or not channel.is_active or identity is None:
                unreachable += 1
                continue
            template = next((t for t in whatsapp_templates(channel.config) if t.name == name), None)
            if template is None:
                raise DomainError(
                    _(
                        "Il modello «%(name)s» per gli avvisi non è tra quelli approvati del "
                        "canale %(channel)s: aggiungilo alla sua configurazione."
                    )
                    % {"name": name, "channel": channel.name},
                    field="template",
                )
            conversation = channel_actions.start_conversation(
                channel, identity, subject=alert.title, at=at
            )
            message = channel_actions.send_template(
                conversation,
                template.name,
                template_parameters(alert, template.parameter_count),
                language=template.language,
                author=actor if getattr(actor, "pk", None) else None,
                subject=alert.title,
            )
            AlertDelivery.objects.create(alert=alert, citizen=citizen, message=message, sent_at=at)
            queued += 1
    return SendReport(queued=queued, already_sent=already, unreachable=unreachable)
