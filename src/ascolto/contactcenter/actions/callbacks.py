"""Callbacks: the slots the roster leaves spare, booking one, and the callbacks due."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from ascolto.channels.actions import start_conversation
from ascolto.channels.models import Channel
from ascolto.citizens.actions import link_identity, resolve_identity
from ascolto.citizens.models import Citizen, Identity
from ascolto.contactcenter.models import (
    CallbackBooking,
    ForecastPoint,
    ForecastRun,
)
from ascolto.core.errors import DomainError, InvalidInput, NotFound
from ascolto.organisation.models import User
from ascolto.tickets.actions import (
    add_ticket_note,
    may_write,
    open_ticket,
)
from ascolto.tickets.models import Theme, Ticket

SLOT_MINUTES = 30
# How far ahead the case page offers callback slots.
CALLBACK_DAYS = 7
# The note left on a case answered by a callback (stored text, like the call's answer note).
CALLBACK_NOTE = "Richiamata prenotata per il {when}: caso {code}."


@dataclass(frozen=True)
class CallbackSlot:
    """A slot in which the contact center can call citizens back."""

    start: datetime
    end: datetime
    capacity: int
    booked: int

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.booked)


def callback_slots(day: date, *, slot_minutes: int = SLOT_MINUTES) -> list[CallbackSlot]:
    """The callback slots of `day` with their capacity and bookings.

    Capacity comes from the latest forecast run whose shift plan covers the day: in each interval
    the operators in turn beyond those rostered for the forecast have spare time, and each callback
    takes `ASCOLTO_CALLBACK_AHT_SECONDS` of it. No shift plan for the day, no slots: callbacks are
    never promised on capacity nobody planned.
    """
    if slot_minutes <= 0 or (24 * 60) % slot_minutes:
        raise InvalidInput(
            _("Una fascia deve dividere la giornata: 15, 30 o 60 minuti."), field="slot"
        )
    zone = timezone.get_current_timezone()
    since = datetime.combine(day, time.min, tzinfo=zone)
    until = since + timedelta(days=1)
    run = (
        ForecastRun.objects.filter(
            points__start__gte=since, points__start__lt=until, points__scheduled__isnull=False
        )
        .order_by("-created_at")
        .first()
    )
    if run is None:
        return []
    spare: dict[datetime, float] = {}
    for point in run.points.filter(start__gte=since, start__lt=until, scheduled__isnull=False):
        # Spare is what the plan puts on shift beyond the rostered requirement: the shrinkage
        # margin between rostered and required operators is breaks and absence, not free time.
        free_agents = max(0, (point.scheduled or 0) - (point.rostered or point.agents or 0))
        slot = _slot_start(timezone.localtime(point.start, zone), slot_minutes)
        spare[slot] = spare.get(slot, 0.0) + free_agents * run.interval_minutes * 60
    booked = _booked(since, until, slot_minutes)
    aht = settings.ASCOLTO_CALLBACK_AHT_SECONDS
    return [
        CallbackSlot(
            start,
            start + timedelta(minutes=slot_minutes),
            math.floor(seconds / aht),
            booked.get(start, 0),
        )
        for start, seconds in sorted(spare.items())
    ]


def _slot_start(moment: datetime, slot_minutes: int) -> datetime:
    minutes = (moment.hour * 60 + moment.minute) // slot_minutes * slot_minutes
    return moment.replace(hour=minutes // 60, minute=minutes % 60, second=0, microsecond=0)


def _booked(since: datetime, until: datetime, slot_minutes: int) -> dict[datetime, int]:
    zone = timezone.get_current_timezone()
    out: dict[datetime, int] = {}
    rows = (
        CallbackBooking.objects.filter(
            slot_start__gte=since, slot_start__lt=until, ticket__status__in=Ticket.ACTIVE
        )
        .values("slot_start")
        .annotate(n=Count("id"))
    )
    for row in rows:
        slot = _slot_start(timezone.localtime(row["slot_start"], zone), slot_minutes)
        out[slot] = out.get(slot, 0) + row["n"]
    return out


@transaction.atomic
def book_callback(
    *,
    phone: str,
    slot_start: datetime,
    via: str,
    slot_minutes: int = SLOT_MINUTES,
    theme: Theme | None = None,
    note: str = "",
    citizen: Citizen | None = None,
    actor: User | None = None,
) -> CallbackBooking:
    """Book a callback in a slot with free capacity: a case of kind callback, due at the slot's
    end, on the phone channel, for the number given; opened by `open_ticket` on a conversation
    started on our side, as every case we start is (decision 0011)."""
    if via not in CallbackBooking.Via.values:
        raise InvalidInput(
            _("Modo di richiedere una richiamata sconosciuto: «%(via)s».") % {"via": via},
            field="via",
        )
    if timezone.is_naive(slot_start):
        raise InvalidInput(_("L'ora della fascia non ha il fuso orario."), field="slot")
    if slot_start <= timezone.now():
        raise InvalidInput(_("La fascia è già cominciata: scegline una successiva."), field="slot")
    if len(note) > 2000:
        raise InvalidInput(_("La nota supera i 2000 caratteri."), field="note")
    identity = resolve_identity(Identity.Kind.PHONE, phone)
    local = timezone.localtime(slot_start)
    # Lock the day's plan so two bookings cannot both take the last place of a slot.
    list(
        ForecastPoint.objects.select_for_update()
        .filter(start__date=local.date(), scheduled__isnull=False)
        .values_list("pk", flat=True)
    )
    slot = next(
        (s for s in callback_slots(local.date(), slot_minutes=slot_minutes) if s.start == local),
        None,
    )
    if slot is None:
        raise NotFound(
            _(
                "Nessuna fascia di richiamata comincia il %(when)s: il piano dei turni non "
                "lascia capacità libera a quell'ora."
            )
            % {"when": f"{local:%d/%m/%Y %H:%M}"},
            field="slot",
        )
    if slot.free <= 0:
        raise InvalidInput(
            _("La fascia %(start)s–%(end)s è piena: scegline un'altra.")
            % {"start": f"{local:%H:%M}", "end": f"{slot.end:%H:%M}"},
            field="slot",
        )
    channel = Channel.objects.filter(kind=Channel.Kind.PHONE, is_active=True).first()
    if channel is None:
        raise NotFound(
            _("Non è configurato un canale telefonico attivo da cui richiamare."), field="channel"
        )
    if citizen is not None:
        link_identity(identity, citizen)
    conversation = start_conversation(channel, identity, subject="Richiamata")
    ticket = open_ticket(
        channel=channel,
        conversation=conversation,
        identity=identity,
        citizen=identity.citizen if identity.citizen_id else None,
        kind=Ticket.Kind.CALLBACK,
        theme=theme,
        subject=f"Richiamata {local:%d/%m %H:%M}",
        description=note,
        actor=actor,
        due_at=slot.end,
    )
    return CallbackBooking.objects.create(
        ticket=ticket,
        phone=identity.value,
        slot_start=slot.start,
        slot_end=slot.end,
        requested_via=via,
    )


def callbacks_due(*, until: datetime, assignee: User | None = None) -> QuerySet[CallbackBooking]:
    """Callbacks still to make whose slot starts by `until`, earliest first: an operator's queue
    (only theirs and the unassigned ones when `assignee` is given)."""
    queryset = CallbackBooking.objects.filter(
        slot_start__lte=until, ticket__status__in=Ticket.ACTIVE
    ).select_related("ticket")
    if assignee is not None:
        queryset = queryset.filter(Q(ticket__assignee=assignee) | Q(ticket__assignee__isnull=True))
    return queryset.order_by("slot_start")


# --- A callback for an existing case (the answer to a call that left no email) ---------------


def callback_phone(ticket: Ticket) -> str:
    """The number to call the citizen of `ticket` back on: the one the case's call came from,
    else the citizen's phone, else their latest phone handle; "" when none is known."""
    conversation = (
        ticket.conversations.select_related("identity__citizen")
        .order_by("-last_message_at", "-pk")
        .first()
    )
    identity = conversation.identity if conversation is not None else ticket.identity
    if identity is not None and identity.kind == Identity.Kind.PHONE:
        return identity.value
    citizen = ticket.citizen or (identity.citizen if identity is not None else None)
    return citizen.contact(Identity.Kind.PHONE) if citizen is not None else ""


def free_callback_slots(*, days: int = CALLBACK_DAYS) -> list[CallbackSlot]:
    """The slots not yet begun with a place free, from today for `days` days, earliest first."""
    now = timezone.now()
    today = timezone.localdate()
    return [
        slot
        for offset in range(days)
        for slot in callback_slots(today + timedelta(days=offset))
        if slot.free > 0 and slot.start > now
    ]


def case_callback_refusal(ticket: Ticket, *, slots: list[CallbackSlot] | None = None) -> str:
    """Why no callback can be booked to answer `ticket` now, in Italian; "" when one can.
    With `slots` (the free ones, `free_callback_slots`), also when none is free."""
    refused = may_write(ticket)
    if refused is not None:
        return refused.reason
    if not ticket.is_active():
        return _("il caso non è aperto: riaprilo prima")
    if not callback_phone(ticket):
        return _("non c'è un numero di telefono a cui richiamare il cittadino")
    if slots is not None and not slots:
        return _(
            "nessuna fascia di richiamata libera nei prossimi %(days)d giorni: il piano dei "
            "turni non lascia capacità"
        ) % {"days": CALLBACK_DAYS}
    return ""


@transaction.atomic
def book_callback_for_case(ticket: Ticket, slot_start: datetime, *, actor: User) -> CallbackBooking:
    """Answer a case by calling the citizen back: book a callback (`book_callback`, a case of
    its own in the contact center's queue) on the case's number, for the case's citizen and
    theme, and note it on the case with the callback's code."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)  # as it is now, and held
    reason = case_callback_refusal(ticket)
    if reason:
        raise DomainError(
            _("Non è possibile prenotare una richiamata: %(reason)s.") % {"reason": reason}
        )
    booking = book_callback(
        phone=callback_phone(ticket),
        slot_start=slot_start,
        via=CallbackBooking.Via.OPERATOR,
        theme=ticket.theme,
        note=f"Per il caso {ticket.code}: {ticket.subject}"[:2000],
        citizen=ticket.citizen,
        actor=actor,
    )
    when = timezone.localtime(booking.slot_start)
    note = CALLBACK_NOTE.format(when=f"{when:%d/%m/%Y %H:%M}", code=booking.ticket.code)
    add_ticket_note(ticket, note, actor=actor)
    return booking
