"""A small city built by hand with the real actions, whose report figures are counted by hand
in the tests (see the numbers in `hand_built`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from ascolto.analytics.period import Period
from ascolto.channels.actions import receive
from ascolto.channels.inbound import CaseHints, InboundMessage
from ascolto.citizens.models import Identity
from ascolto.contactcenter.actions import record_call
from ascolto.tickets import actions
from ascolto.tickets.models import Ticket
from tests import factories, personas

C1, C2, C3, C4 = "+393331110001", "+393331110002", "+393331110003", "+393331110004"

# (caller, wait, talk, abandoned): 11 calls, 2 abandoned; four identified callers, one hidden.
CALLS = [
    (C1, 30, 200, False),
    (C1, 60, 300, False),
    (C1, 90, 0, True),
    (C2, 10, 100, False),
    (C2, 20, 0, True),
    (C3, 40, 400, False),
    (C4, 50, 250, False),
    (C4, 70, 350, False),
    (C4, 30, 150, False),
    (C4, 20, 250, False),
    ("", 100, 50, False),
]


@dataclass
class HandBuilt:
    period: Period
    web: dict[str, Ticket]
    phone: list[Ticket]


def _phone_case(number: str, theme: str) -> Ticket:
    received = receive(
        InboundMessage(
            channel="020202",
            external_id=factories.new_id("call"),
            handle_kind=Identity.Kind.PHONE,
            handle=number,
            text="Chiamata registrata dall'operatore.",
            hints=CaseHints(theme=theme),
        )
    )
    assert received.ticket_id is not None
    return Ticket.objects.get(pk=received.ticket_id)


@pytest.fixture(autouse=True)
def _pinned_clock() -> Iterator[None]:
    """The small city is built "now", its figures read over "this year" and "today": the clock
    stands on a Wednesday of June at 10:00, far from a year's, month's or day's edge (on
    1 January at 00:30 a call "an hour ago" is last year's)."""
    with time_machine.travel(datetime(2026, 6, 17, 10, 0, tzinfo=ZoneInfo("Europe/Rome"))):
        yield


@pytest.fixture
def hand_built(cast: personas.Cast) -> HandBuilt:
    """Seven Scrivi cases opened 12 hours, 3, 20, 60, 120, 5 and 1 days ago (the first five
    resolved now, the sixth open, the last cancelled; the second and third complaints), six phone
    cases resolved now (one after escalation to the TARI office), and the eleven calls above."""
    now = timezone.now()
    ago = {"A": 0.5, "B": 3, "C": 20, "D": 60, "E": 120, "F": 5, "G": 1}
    web = {}
    for key, days in ago.items():
        received = factories.submit_scrivi(
            f"Richiesta {key}",
            email=f"{key.lower()}@example.org",
            sent_at=now - timedelta(days=days),
            theme="tari-dichiarazione" if key == "A" else "cie-rinnovo",
            kind="complaint" if key in "BC" else "",
        )
        assert received.ticket_id is not None
        web[key] = Ticket.objects.get(pk=received.ticket_id)
    for key in "ABCDE":
        actions.resolve_ticket(web[key], "Risposta data.", actor=cast.operator)
    actions.cancel_ticket(web["G"], actor=cast.operator, reason="Doppione.")
    phone = [_phone_case(C4, "tari-dichiarazione") for _ in range(3)]
    phone += [
        _phone_case(C1, "tari-dichiarazione"),
        _phone_case(C1, "tari-pagamento"),
        _phone_case(C1, "cie-rinnovo"),
    ]
    phone[3] = actions.escalate_ticket(phone[3], cast.tari, actor=cast.operator)
    for ticket in phone:
        actions.resolve_ticket(ticket, "Risolto al telefono.", actor=cast.operator)
    for i, (number, wait, talk, abandoned) in enumerate(CALLS):
        record_call(
            external_id=f"call-{i}",
            queue="tributi",
            arrived_at=now - timedelta(hours=1, minutes=i),
            wait_seconds=wait,
            talk_seconds=talk,
            abandoned=abandoned,
            caller_phone=number,
        )
    today = timezone.localdate()
    return HandBuilt(Period(today - timedelta(days=200), today), web, phone)
