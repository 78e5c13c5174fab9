"""Cases past their due time are marked breached, once, by the periodic check."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from ascolto.core.models import OutboxEvent
from ascolto.tickets import actions
from ascolto.tickets.models import RoutingRule, SlaPolicy, Ticket, TicketEvent
from tests import factories, personas
from tests.factories import refresh

S = Ticket.Status
ROME = ZoneInfo("Europe/Rome")
pytestmark = pytest.mark.django_db


@pytest.fixture
def ten_days(cast: personas.Cast) -> SlaPolicy:
    policy = SlaPolicy.objects.create(code="dieci", name="Dieci giorni", resolution_days=10)
    RoutingRule.objects.create(name="SLA", sla_policy=policy)
    return policy


def _case_opened(at: datetime) -> Ticket:
    return factories.open_case(sent_at=at)


def test_only_active_overdue_cases_are_marked_once(
    cast: personas.Cast, ten_days: SlaPolicy
) -> None:
    long_ago = datetime(2025, 1, 7, 9, 0, tzinfo=ROME)  # due 17 January
    now = datetime(2025, 2, 1, 9, 0, tzinfo=ROME)
    overdue_new = _case_opened(long_ago)
    overdue_waiting = _case_opened(long_ago)
    actions.wait_for_citizen(overdue_waiting, actor=cast.operator)
    overdue_office = _case_opened(long_ago)
    actions.escalate_ticket(overdue_office, cast.tari, actor=cast.operator)
    resolved = _case_opened(long_ago)
    actions.resolve_ticket(resolved, "Fatto.", actor=cast.operator)
    cancelled = _case_opened(long_ago)
    actions.cancel_ticket(cancelled, actor=cast.operator, reason="Doppione.")
    on_time = _case_opened(now - timedelta(days=3))
    assert refresh(overdue_new).due_at == datetime(2025, 1, 17, 9, 0, tzinfo=ROME)
    outbox_before = OutboxEvent.objects.filter(topic="ticket.sla_breached").count()

    assert actions.check_sla_breaches(now) == 3

    breached = {t.pk for t in Ticket.objects.filter(sla_breached_at=now)}
    assert breached == {overdue_new.pk, overdue_waiting.pk, overdue_office.pk}
    for ticket in (resolved, cancelled, on_time):
        assert refresh(ticket).sla_breached_at is None
    event = TicketEvent.objects.get(ticket=overdue_new, kind=TicketEvent.Kind.SLA_BREACHED)
    assert (event.at, event.actor) == (now, None)
    assert event.to_value == refresh(overdue_new).due_at.isoformat()
    assert OutboxEvent.objects.filter(topic="ticket.sla_breached").count() == outbox_before + 3
    assert refresh(overdue_waiting).status == S.WAITING  # a breach changes no status

    assert actions.check_sla_breaches(now + timedelta(hours=1)) == 0
    assert TicketEvent.objects.filter(kind=TicketEvent.Kind.SLA_BREACHED).count() == 3
    assert refresh(overdue_new).sla_breached_at == now


def test_a_case_due_exactly_now_is_not_yet_breached(
    cast: personas.Cast, ten_days: SlaPolicy
) -> None:
    opened = datetime(2025, 1, 7, 9, 0, tzinfo=ROME)
    ticket = _case_opened(opened)

    assert actions.check_sla_breaches(opened + timedelta(days=10)) == 0
    assert actions.check_sla_breaches(opened + timedelta(days=10, seconds=1)) == 1
    assert refresh(ticket).sla_breached_at == opened + timedelta(days=10, seconds=1)


def test_cases_without_a_due_time_are_never_breached(cast: personas.Cast) -> None:
    ticket = factories.open_case(sent_at=datetime(2020, 1, 7, 9, 0, tzinfo=ROME))
    assert ticket.due_at is None

    assert actions.check_sla_breaches() == 0


def test_the_check_sla_command_prints_the_count(cast: personas.Cast, ten_days: SlaPolicy) -> None:
    two_months_ago = timezone.now() - timedelta(days=60)
    _case_opened(two_months_ago)
    _case_opened(two_months_ago)
    _case_opened(timezone.now())

    out = StringIO()
    call_command("check_sla", stdout=out)
    assert out.getvalue() == "2 case(s) newly past their due time\n"

    again = StringIO()
    call_command("check_sla", stdout=again)
    assert again.getvalue() == "0 case(s) newly past their due time\n"
