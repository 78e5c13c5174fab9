"""Every move between two statuses of a case, allowed or refused, through the real actions.

For each pair (from, to) a case is driven to `from` with the actions, then the action an
operator (or the citizen) would use to reach `to` is called: allowed pairs succeed and leave a
status event with the actor and the time; refused pairs raise `InvalidTransition` naming both
states and change nothing.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from ascolto.core.errors import DomainError, InvalidTransition
from ascolto.organisation.models import User
from ascolto.tickets import actions
from ascolto.tickets.models import Theme, Ticket, TicketEvent
from tests import factories, personas
from tests.factories import counts, refresh

S = Ticket.Status
STATUSES = list(S.values)
PAIRS = list(itertools.product(STATUSES, STATUSES))


def _request(ticket: Ticket, target: str, cast: personas.Cast) -> tuple[Ticket, User | None]:
    """Ask for `target` with the action that requests it; return the case and who acted."""
    actor = cast.operator
    if target == S.OPEN:
        if ticket.status == S.NEW:
            actions.assign_ticket(ticket, actor=actor, assignee=cast.operator)
        elif ticket.status == S.OFFICE:
            actor = cast.office_operator
            actions.send_back_ticket(ticket, actor=actor, reason="Non di nostra competenza.")
        elif ticket.status == S.WAITING:
            # The citizen answers on the same thread: nobody of the staff acted.
            factories.citizen_answers(ticket)
            actor = None
        else:
            actions.reopen_ticket(ticket, actor=actor, reason="Il cittadino ha richiamato.")
    elif target == S.OFFICE:
        if ticket.status in (S.RESOLVED, S.CLOSED):
            actions.reopen_ticket(ticket, actor=actor, reason="Il cittadino ha richiamato.")
        else:
            office = cast.anagrafe if ticket.office_id == cast.tari.pk else cast.tari
            actions.escalate_ticket(ticket, office, actor=actor)
    elif target == S.WAITING:
        actions.wait_for_citizen(ticket, actor=actor)
    elif target == S.RESOLVED:
        actions.resolve_ticket(ticket, "Le abbiamo inviato il modulo.", actor=actor)
    elif target == S.CLOSED:
        actions.close_ticket(ticket, actor=actor)
    elif target == S.CANCELLED:
        actions.cancel_ticket(ticket, actor=actor, reason="Richiesta ritirata.")
    else:
        raise AssertionError(f"no action requests {target!r}")
    return refresh(ticket), actor


def test_the_table_names_every_status_and_nothing_leads_back_to_new() -> None:
    assert set(Ticket.TRANSITIONS) == set(STATUSES)
    for allowed in Ticket.TRANSITIONS.values():
        assert allowed <= set(STATUSES)
        assert S.NEW not in allowed
    assert Ticket.TRANSITIONS[S.CANCELLED] == frozenset()
    assert Ticket.TRANSITIONS[S.CLOSED] == {S.OPEN, S.OFFICE}


@pytest.mark.django_db
@pytest.mark.parametrize(("current", "target"), PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_transition(current: str, target: str, cast: personas.Cast) -> None:
    if target == S.NEW:
        # No action asks for 'new': a case is new only until someone first acts on it.
        ticket = factories.ticket_in(S.NEW, actor=cast.operator, office=cast.tari)
        ticket.status = current
        assert ticket.can_transition_to(S.NEW) is False
        return
    # A case reopened into the office must have been escalated before it was resolved.
    level = 2 if target == S.OFFICE and current in (S.RESOLVED, S.CLOSED) else 1
    if current == S.OFFICE:
        level = 2
    ticket = factories.ticket_in(current, actor=cast.operator, office=cast.tari, level=level)
    events_before = list(ticket.events.values_list("pk", flat=True))
    before = counts()
    started = timezone.now()

    if target in Ticket.TRANSITIONS[current]:
        ticket, actor = _request(ticket, target, cast)

        assert ticket.status == target
        event = ticket.events.filter(kind=TicketEvent.Kind.STATUS).order_by("-at", "-pk").first()
        assert event is not None and event.pk not in events_before
        assert (event.from_value, event.to_value) == (current, target)
        assert event.actor == actor
        assert started - timedelta(seconds=1) <= event.at <= timezone.now()
    else:
        with pytest.raises(InvalidTransition) as caught:
            _request(ticket, target, cast)

        error = caught.value
        assert (error.current, error.requested) == (current, target)
        assert error.message.startswith(
            f"Il caso non può passare da «{S(current).label}» a «{S(target).label}»"
        )
        assert error.field == "status"
        unchanged = refresh(ticket)
        assert unchanged.status == current
        assert list(unchanged.events.values_list("pk", flat=True)) == events_before
        assert counts() == before


@pytest.mark.django_db
def test_a_cancelled_case_says_why_it_cannot_move(cast: personas.Cast) -> None:
    ticket = factories.ticket_in(S.CANCELLED, actor=cast.operator, office=cast.tari)

    with pytest.raises(InvalidTransition) as caught:
        actions.reopen_ticket(ticket, actor=cast.supervisor)

    assert str(caught.value) == (
        "Il caso non può passare da «Annullato» a «In lavorazione»: "
        "un caso annullato non può più cambiare"
    )


@pytest.mark.django_db
def test_closing_an_unresolved_case_says_to_resolve_it_first(cast: personas.Cast) -> None:
    ticket = factories.ticket_in(S.OPEN, actor=cast.operator, office=cast.tari)

    with pytest.raises(InvalidTransition) as caught:
        actions.close_ticket(ticket, actor=cast.operator)

    assert str(caught.value) == (
        "Il caso non può passare da «In lavorazione» a «Chiuso»: risolvi il caso prima di chiuderlo"
    )


@pytest.mark.django_db
def test_every_change_of_a_case_is_an_event_with_actor_and_time(cast: personas.Cast) -> None:
    ticket = factories.open_case()
    ticket = actions.assign_ticket(ticket, actor=cast.supervisor, assignee=cast.operator)
    ticket = actions.set_kind(ticket, Ticket.Kind.COMPLAINT, actor=cast.operator)
    ticket = actions.set_theme(
        ticket, Theme.objects.get(code="tari-pagamento"), actor=cast.operator
    )
    ticket = actions.escalate_ticket(ticket, cast.tari, actor=cast.operator, note="Verificare.")
    ticket = actions.resolve_ticket(ticket, "Avviso annullato.", actor=cast.office_operator)
    ticket = actions.close_ticket(ticket, actor=cast.supervisor)

    events = list(ticket.events.order_by("at", "pk"))
    kinds = [e.kind for e in events]
    assert kinds == [
        "opened",
        "assigned",
        "status",
        "kind",
        "theme",
        "status",
        "escalated",
        "status",
        "status",
    ]
    staff_events = events[1:]
    assert all(e.actor is not None for e in staff_events)
    assert [e.actor for e in staff_events] == [
        cast.supervisor,
        cast.supervisor,
        cast.operator,
        cast.operator,
        cast.operator,
        cast.operator,
        cast.office_operator,
        cast.supervisor,
    ]
    times = [e.at for e in events]
    assert times == sorted(times)
    assert [(e.from_value, e.to_value) for e in events if e.kind == "status"] == [
        ("new", "open"),
        ("open", "office"),
        ("office", "resolved"),
        ("resolved", "closed"),
    ]


@pytest.mark.django_db
def test_ticket_events_cannot_be_changed_or_deleted(cast: personas.Cast) -> None:
    ticket = factories.ticket_in(S.OPEN, actor=cast.operator, office=cast.tari)
    event = ticket.events.get(kind=TicketEvent.Kind.STATUS)

    event.to_value = "closed"
    with pytest.raises(DomainError, match="si aggiungono soltanto: non si modificano"):
        event.save()
    with pytest.raises(DomainError, match="si aggiungono soltanto: non si cancellano"):
        event.delete()

    stored = TicketEvent.objects.get(pk=event.pk)
    assert stored.to_value == "open"


# The case page's actions, as the page calls them (see `web/views/console/case.py`).
PAGE_ACTIONS: dict[str, Any] = {
    "reply": lambda t, c: actions.reply_to_ticket(t, "Ecco la risposta.", actor=c.operator),
    "note": lambda t, c: actions.add_ticket_note(t, "Da verificare.", actor=c.operator),
    "assign": lambda t, c: actions.assign_ticket(t, actor=c.operator, assignee=c.supervisor),
    "escalate": lambda t, c: actions.escalate_ticket(t, c.anagrafe, actor=c.operator),
    "send_back": lambda t, c: actions.send_back_ticket(
        t, actor=c.office_operator, reason="Non di nostra competenza."
    ),
    "wait": lambda t, c: actions.wait_for_citizen(t, actor=c.operator),
    "resolve": lambda t, c: actions.resolve_ticket(t, "Risolto.", actor=c.operator),
    "close": lambda t, c: actions.close_ticket(t, actor=c.operator),
    "reopen": lambda t, c: actions.reopen_ticket(t, actor=c.operator, reason="Richiamato."),
    "cancel": lambda t, c: actions.cancel_ticket(t, actor=c.operator, reason="Ritirata."),
}
GUARDED = list(itertools.product(STATUSES, PAGE_ACTIONS))


@pytest.mark.django_db
@pytest.mark.parametrize(("status", "name"), GUARDED, ids=[f"{s}-{n}" for s, n in GUARDED])
def test_the_page_offers_an_action_exactly_when_the_action_accepts_it(
    status: str, name: str, cast: personas.Cast
) -> None:
    ticket = factories.ticket_in(
        status, actor=cast.operator, office=cast.tari, level=2 if status == S.OFFICE else 1
    )
    reason = actions.action_refusal(ticket, name)

    if reason:
        with pytest.raises(DomainError) as caught:
            PAGE_ACTIONS[name](ticket, cast)
        assert caught.value.message.endswith(reason), (caught.value.message, reason)
    else:
        PAGE_ACTIONS[name](ticket, cast)
