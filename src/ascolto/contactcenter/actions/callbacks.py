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
from ascolto.core.errors import InvalidInput, NotFound
from ascolto.organisation.models import User
from ascolto.tickets.actions import (
    open_ticket,
)
from ascolto.tickets.models import Theme, Ticket

SLOT_MINUTES = 30


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
