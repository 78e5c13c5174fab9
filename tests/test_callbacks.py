"""Callback booking: slots offered where the shift plan leaves spare capacity."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from ascolto.contactcenter.actions import book_callback, callback_slots, callbacks_due
from ascolto.contactcenter.models import CallbackBooking, ForecastPoint, ForecastRun
from ascolto.core.errors import InvalidInput, NotFound
from ascolto.tickets import actions
from ascolto.tickets.models import Ticket
from tests import personas


def _tomorrow_at(hour: int, minute: int = 0) -> datetime:
    day = timezone.localdate() + timedelta(days=1)
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_current_timezone())


def _plan(intervals: list[tuple[datetime, int, int]]) -> ForecastRun:
    """A forecast run for tomorrow with (start, operators rostered, operators in turn); one
    fewer operator is required on the phones than rostered (the shrinkage margin)."""
    start = intervals[0][0]
    run = ForecastRun.objects.create(
        source=ForecastRun.Source.CALL_RECORDS,
        interval_minutes=15,
        history_start=start - timedelta(days=90),
        history_end=start - timedelta(days=1),
        horizon_start=start,
        horizon_end=intervals[-1][0],
        model_name="test",
    )
    ForecastPoint.objects.bulk_create(
        ForecastPoint(
            run=run,
            series="generale",
            start=at,
            calls=40,
            lo80=30,
            hi80=50,
            lo95=25,
            hi95=55,
            agents=agents - 1,
            rostered=agents,
            scheduled=scheduled,
        )
        for at, agents, scheduled in intervals
    )
    return run


@pytest.fixture
def plan(cast: personas.Cast) -> ForecastRun:
    # 09:00-09:30: 2 spare operators for 2 × 15 min = 3,600 s = 12 callbacks of 300 s;
    # 09:30-10:00: 1 spare operator = 6 callbacks; 10:00-10:30: none spare.
    return _plan(
        [
            (_tomorrow_at(9, 0), 3, 5),
            (_tomorrow_at(9, 15), 3, 5),
            (_tomorrow_at(9, 30), 4, 5),
            (_tomorrow_at(9, 45), 4, 5),
            (_tomorrow_at(10, 0), 5, 5),
            (_tomorrow_at(10, 15), 6, 5),
        ]
    )


def test_slots_offer_the_spare_capacity_of_the_shift_plan(plan: ForecastRun) -> None:
    slots = callback_slots(_tomorrow_at(9).date())

    assert [(s.start, s.end, s.capacity, s.free) for s in slots] == [
        (_tomorrow_at(9, 0), _tomorrow_at(9, 30), 12, 12),
        (_tomorrow_at(9, 30), _tomorrow_at(10, 0), 6, 6),
        (_tomorrow_at(10, 0), _tomorrow_at(10, 30), 0, 0),
    ]


def test_a_booked_callback_is_a_callback_case_due_at_the_end_of_its_slot(
    plan: ForecastRun, cast: personas.Cast
) -> None:
    booking = book_callback(
        phone="333 765 4321",
        slot_start=_tomorrow_at(9, 30),
        via="chatbot",
        note="Chiede del rimborso TARI",
        actor=cast.operator,
    )

    ticket = booking.ticket
    assert (ticket.kind, ticket.channel, ticket.status) == (
        Ticket.Kind.CALLBACK,
        cast.phone,
        Ticket.Status.NEW,
    )
    assert ticket.due_at == _tomorrow_at(10, 0)
    assert booking.phone == "+393337654321"
    assert booking.requested_via == CallbackBooking.Via.CHATBOT
    [nine, half_past, _] = callback_slots(_tomorrow_at(9).date())
    assert (nine.free, half_past.booked, half_past.free) == (12, 1, 5)
    assert list(callbacks_due(until=_tomorrow_at(9, 30))) == [booking]
    assert list(callbacks_due(until=_tomorrow_at(9, 29))) == []


def test_a_full_slot_is_refused_and_a_made_callback_frees_nothing_twice(
    cast: personas.Cast,
) -> None:
    _plan([(_tomorrow_at(11, 0), 2, 3), (_tomorrow_at(11, 15), 3, 3)])  # 900 s: 3 callbacks
    bookings = [
        book_callback(phone=f"+3933312340{i}", slot_start=_tomorrow_at(11), via="ivr")
        for i in range(3)
    ]
    with pytest.raises(InvalidInput, match="è piena: scegline un'altra"):
        book_callback(phone="+393331234099", slot_start=_tomorrow_at(11), via="ivr")

    actions.cancel_ticket(bookings[0].ticket, actor=cast.operator, reason="Non più necessaria.")
    # A cancelled callback gives its place back.
    assert book_callback(phone="+393331234099", slot_start=_tomorrow_at(11), via="web")


def test_no_shift_plan_no_slot(cast: personas.Cast) -> None:
    assert callback_slots(_tomorrow_at(9).date()) == []
    with pytest.raises(NotFound, match="non lascia capacità libera"):
        book_callback(phone="+393331234567", slot_start=_tomorrow_at(9), via="operator")
    assert CallbackBooking.objects.count() == 0 and Ticket.objects.count() == 0


def test_bad_bookings_say_what_is_wrong(plan: ForecastRun) -> None:
    past = timezone.now() - timedelta(hours=1)
    with pytest.raises(InvalidInput, match="già cominciata"):
        book_callback(phone="+393331234567", slot_start=past, via="operator")
    with pytest.raises(InvalidInput, match="non è un numero di telefono valido"):
        book_callback(phone="12", slot_start=_tomorrow_at(9), via="operator")
    with pytest.raises(InvalidInput, match="Modo di richiedere una richiamata sconosciuto"):
        book_callback(phone="+393331234567", slot_start=_tomorrow_at(9), via="fax")
    assert CallbackBooking.objects.count() == 0
