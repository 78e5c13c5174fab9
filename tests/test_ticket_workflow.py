"""The life of a case through the actions operators use every day."""

from __future__ import annotations

import pytest

from ascolto.channels.models import Message
from ascolto.core.errors import InvalidInput, InvalidTransition
from ascolto.core.models import OutboxEvent
from ascolto.organisation.models import User
from ascolto.tickets import actions
from ascolto.tickets.models import RoutingRule, Ticket, TicketEvent
from tests import factories, personas
from tests.factories import counts, refresh

S = Ticket.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def first_level_rule(cast: personas.Cast) -> RoutingRule:
    """Mail to the municipality's mailboxes lands in the contact center's queue."""
    return RoutingRule.objects.create(
        name="Caselle email al contact center",
        priority=10,
        channel_kind="email",
        office=cast.contact_center,
        team=cast.cc_team,
        level=1,
    )


# --- Assign ---------------------------------------------------------------------------------


def test_assigning_a_new_case_opens_it(cast: personas.Cast) -> None:
    ticket = factories.open_case()
    assert ticket.status == S.NEW

    ticket = actions.assign_ticket(
        ticket, actor=cast.supervisor, assignee=cast.operator, team=cast.cc_team
    )

    stored = refresh(ticket)
    assert (stored.status, stored.assignee, stored.team) == (S.OPEN, cast.operator, cast.cc_team)
    assigned = stored.events.get(kind=TicketEvent.Kind.ASSIGNED)
    assert assigned.actor == cast.supervisor
    assert assigned.to_value == "Giulia Verdi"
    assert assigned.data == {"assignee": cast.operator.pk, "team": cast.cc_team.pk}


def test_reassigning_an_open_case_keeps_it_open_and_records_both_operators(
    cast: personas.Cast,
) -> None:
    ticket = factories.ticket_in(S.OPEN, actor=cast.operator, office=cast.tari)

    actions.assign_ticket(ticket, actor=cast.supervisor, assignee=cast.supervisor)

    stored = refresh(ticket)
    assert (stored.status, stored.assignee) == (S.OPEN, cast.supervisor)
    last = stored.events.filter(kind=TicketEvent.Kind.ASSIGNED).order_by("-pk").first()
    assert (last.from_value, last.to_value) == ("Giulia Verdi", "Marco Neri")
    assert stored.events.filter(kind=TicketEvent.Kind.STATUS).count() == 1


@pytest.mark.parametrize("status", [S.RESOLVED, S.CLOSED, S.CANCELLED])
def test_an_inactive_case_cannot_be_assigned(status: str, cast: personas.Cast) -> None:
    ticket = factories.ticket_in(status, actor=cast.operator, office=cast.tari)
    before = counts()

    with pytest.raises(InvalidTransition) as caught:
        actions.assign_ticket(ticket, actor=cast.supervisor, assignee=cast.operator)

    # The same reason the case page gives for not offering the action (one guard for both).
    label = Ticket.Status(status).label
    reason = (
        "un caso annullato non può più cambiare"
        if status == S.CANCELLED
        else f"il caso è {label.lower()}: riaprilo prima"
    )
    assert str(caught.value) == f"Il caso non può passare da «{label}» a «Assegnato»: {reason}"
    assert actions.action_refusal(ticket, "assign") == reason
    assert counts() == before


def test_the_assignee_must_belong_to_the_team(cast: personas.Cast) -> None:
    ticket = factories.open_case()

    with pytest.raises(InvalidInput) as caught:
        actions.assign_ticket(
            ticket, actor=cast.supervisor, assignee=cast.operator, team=cast.tari_team
        )

    assert (
        caught.value.message == "L'operatore Giulia Verdi non fa parte del team Back office TARI."
    )
    assert refresh(ticket).status == S.NEW
    assert refresh(ticket).assignee is None


def test_an_inactive_operator_cannot_be_assigned(cast: personas.Cast) -> None:
    ticket = factories.open_case()
    cast.operator.is_active = False
    cast.operator.save()

    with pytest.raises(InvalidInput, match="L'operatore Giulia Verdi non è attivo"):
        actions.assign_ticket(ticket, actor=cast.supervisor, assignee=cast.operator)


def test_an_office_case_goes_to_operators_of_its_office_or_of_an_office_above_it(
    cast: personas.Cast,
) -> None:
    """Office operators see their office and the offices below it: a Direzione Tributi operator
    may take a case of the TARI office below it; a TARI operator may not take a Tributi case."""
    head = User.objects.create(
        username="direttore",
        first_name="Paolo",
        last_name="Neri",
        role=User.Role.OFFICE,
        office=cast.tributi,
    )
    tari_case = factories.ticket_in(S.OFFICE, actor=cast.operator, office=cast.tari, level=2)
    tributi_case = factories.ticket_in(S.OFFICE, actor=cast.operator, office=cast.tributi, level=2)

    actions.assign_ticket(tari_case, actor=cast.supervisor, assignee=head)
    with pytest.raises(
        InvalidInput, match="non lavora in Direzione Tributi né in un ufficio superiore"
    ):
        actions.assign_ticket(tributi_case, actor=cast.supervisor, assignee=cast.office_operator)

    assert refresh(tari_case).assignee == head
    assert refresh(tributi_case).assignee is None


def test_assigning_needs_an_operator_or_a_team(cast: personas.Cast) -> None:
    ticket = factories.open_case()

    with pytest.raises(InvalidInput, match="Scegli un operatore o un team"):
        actions.assign_ticket(ticket, actor=cast.supervisor)


def test_an_office_operator_is_never_handed_another_offices_case(cast: personas.Cast) -> None:
    anagrafe_case = factories.ticket_in(
        S.OFFICE, actor=cast.operator, office=cast.anagrafe, level=2
    )
    tari_case = factories.ticket_in(S.OFFICE, actor=cast.operator, office=cast.tari, level=2)
    before = counts()

    with pytest.raises(InvalidInput) as caught:
        actions.assign_ticket(anagrafe_case, actor=cast.supervisor, assignee=cast.office_operator)

    assert (
        caught.value.message
        == "L'operatore Lucia Ferrari non lavora in Anagrafe né in un ufficio superiore."
    )
    assert refresh(anagrafe_case).assignee is None
    assert counts() == before

    actions.assign_ticket(tari_case, actor=cast.supervisor, assignee=cast.office_operator)
    stored = refresh(tari_case)
    assert (stored.assignee, stored.status, stored.level) == (cast.office_operator, S.OFFICE, 2)


# --- Escalate and send back -----------------------------------------------------------------


def test_escalating_hands_the_case_to_the_office_and_notifies_it(
    cast: personas.Cast, django_capture_on_commit_callbacks, mailoutbox
) -> None:
    ticket = factories.ticket_in(S.OPEN, actor=cast.operator, office=cast.tari)
    assert refresh(ticket).assignee == cast.operator

    with django_capture_on_commit_callbacks(execute=True):
        actions.escalate_ticket(
            ticket, cast.tari, actor=cast.operator, team=cast.tari_team, note="Avviso doppio."
        )

    stored = refresh(ticket)
    assert (stored.status, stored.level, stored.office, stored.team, stored.assignee) == (
        S.OFFICE,
        2,
        cast.tari,
        cast.tari_team,
        None,
    )
    escalated = stored.events.get(kind=TicketEvent.Kind.ESCALATED)
    assert (escalated.actor, escalated.to_value) == (cast.operator, "Ufficio TARI")
    assert escalated.data == {"office": cast.tari.pk, "note": "Avviso doppio."}
    note = Message.objects.get(direction=Message.Direction.NOTE)
    assert (note.text, note.author) == ("Avviso doppio.", cast.operator)
    assert len(mailoutbox) == 1
    notification = mailoutbox[0]
    assert notification.to == ["tari@comune.example.it"]
    assert notification.subject == f"[{stored.code}] Nuovo caso per Ufficio TARI"
    assert stored.code in notification.body
    assert "maria" not in notification.body.lower()  # codes and themes only, no personal data


def test_escalating_to_an_inactive_office_or_a_foreign_team_is_refused(
    cast: personas.Cast,
) -> None:
    ticket = factories.open_case()
    with pytest.raises(InvalidInput, match="Il team Back office TARI non appartiene a Anagrafe"):
        actions.escalate_ticket(ticket, cast.anagrafe, actor=cast.operator, team=cast.tari_team)
    cast.anagrafe.is_active = False
    cast.anagrafe.save()

    with pytest.raises(InvalidInput, match="L'ufficio Anagrafe non è attivo"):
        actions.escalate_ticket(ticket, cast.anagrafe, actor=cast.operator)

    assert refresh(ticket).status == S.NEW
    assert refresh(ticket).office is None


def test_sending_back_returns_the_case_to_the_first_level_with_the_reason(
    cast: personas.Cast, first_level_rule: RoutingRule
) -> None:
    ticket = factories.open_case()
    assert (ticket.office, ticket.team, ticket.level) == (cast.contact_center, cast.cc_team, 1)
    ticket = actions.escalate_ticket(ticket, cast.tari, actor=cast.operator)
    actions.assign_ticket(ticket, actor=cast.office_operator, assignee=cast.office_operator)

    actions.send_back_ticket(
        ticket, actor=cast.office_operator, reason="Manca il codice utente TARI."
    )

    stored = refresh(ticket)
    assert (stored.status, stored.level, stored.office, stored.assignee) == (
        S.OPEN,
        1,
        cast.contact_center,
        None,
    )
    sent_back = stored.events.get(kind=TicketEvent.Kind.SENT_BACK)
    assert sent_back.actor == cast.office_operator
    assert (sent_back.from_value, sent_back.to_value) == ("Ufficio TARI", "Contact center 020202")
    assert sent_back.data == {"reason": "Manca il codice utente TARI."}
    note = Message.objects.get(direction=Message.Direction.NOTE)
    assert (note.text, note.author) == ("Manca il codice utente TARI.", cast.office_operator)


@pytest.mark.parametrize("reason", ["", "   \n"])
def test_sending_back_needs_a_reason(reason: str, cast: personas.Cast) -> None:
    ticket = factories.ticket_in(S.OFFICE, actor=cast.operator, office=cast.tari, level=2)
    before = counts()

    with pytest.raises(InvalidInput) as caught:
        actions.send_back_ticket(ticket, actor=cast.office_operator, reason=reason)

    assert caught.value.message == "La motivazione è vuota."
    assert refresh(ticket).status == S.OFFICE
    assert counts() == before


def test_only_a_case_at_an_office_can_be_sent_back(cast: personas.Cast) -> None:
    ticket = factories.ticket_in(S.OPEN, actor=cast.operator, office=cast.tari)

    with pytest.raises(
        InvalidTransition, match="solo un caso assegnato a un ufficio può essere restituito"
    ):
        actions.send_back_ticket(ticket, actor=cast.office_operator, reason="Non competente.")


# --- Replies and notes ----------------------------------------------------------------------


def test_a_reply_is_queued_then_sent_by_email_to_the_citizen(
    cast: personas.Cast, django_capture_on_commit_callbacks, mailoutbox
) -> None:
    received = factories.submit_scrivi("Come pago la TARI?", subject="Pagamento TARI")
    ticket = Ticket.objects.get(pk=received.ticket_id)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        reply = actions.reply_to_ticket(ticket, "Con il modello F24 allegato.", actor=cast.operator)
    assert reply.status == Message.Status.QUEUED
    assert Message.objects.get(pk=reply.pk).status == Message.Status.QUEUED
    assert mailoutbox == []
    for callback in callbacks:
        callback()

    sent = Message.objects.get(pk=reply.pk)
    assert (sent.direction, sent.status, sent.attempts, sent.author) == (
        Message.Direction.OUTBOUND,
        Message.Status.SENT,
        1,
        cast.operator,
    )
    assert sent.external_id.startswith("<") and sent.external_id.endswith(">")
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["maria.rossi@example.it"]
    assert email.subject == f"[{ticket.code}] Pagamento TARI"
    assert email.body == "Con il modello F24 allegato."
    assert email.extra_headers["Message-ID"] == sent.external_id
    stored = refresh(ticket)
    assert stored.status == S.OPEN
    assert stored.first_response_at == sent.sent_at
    replied = stored.events.get(kind=TicketEvent.Kind.REPLIED)
    assert (replied.actor, replied.data) == (cast.operator, {"message": sent.pk})


def test_an_email_reply_is_threaded_under_the_citizens_message(
    cast: personas.Cast, django_capture_on_commit_callbacks, mailoutbox
) -> None:
    ticket = factories.open_case("Non trovo il modulo per i buoni spesa.")
    inbound = Message.objects.get(direction=Message.Direction.INBOUND)

    with django_capture_on_commit_callbacks(execute=True):
        actions.reply_to_ticket(ticket, "Lo trova allegato.", actor=cast.operator)

    assert mailoutbox[0].extra_headers["In-Reply-To"] == inbound.external_id
    assert mailoutbox[0].extra_headers["References"] == inbound.external_id


def test_the_first_response_time_is_set_by_the_first_reply_only(cast: personas.Cast) -> None:
    ticket = factories.open_case()

    first = actions.reply_to_ticket(ticket, "Prima risposta.", actor=cast.operator)
    second = actions.reply_to_ticket(ticket, "Seconda risposta.", actor=cast.supervisor)

    assert first.sent_at < second.sent_at
    stored = refresh(ticket)
    assert stored.first_response_at == first.sent_at
    assert stored.events.filter(kind=TicketEvent.Kind.REPLIED).count() == 2


@pytest.mark.parametrize("text", ["", "  \t "])
def test_an_empty_reply_is_refused(text: str, cast: personas.Cast) -> None:
    ticket = factories.open_case()
    before = counts()

    with pytest.raises(InvalidInput, match="La risposta è vuota"):
        actions.reply_to_ticket(ticket, text, actor=cast.operator)

    assert counts() == before
    assert refresh(ticket).first_response_at is None


def test_a_closed_case_cannot_be_replied_to(cast: personas.Cast) -> None:
    ticket = factories.ticket_in(S.CLOSED, actor=cast.operator, office=cast.tari)

    with pytest.raises(InvalidTransition) as caught:
        actions.reply_to_ticket(ticket, "Un'altra cosa.", actor=cast.operator)

    assert str(caught.value) == (
        "Il caso non può passare da «Chiuso» a «Risposta inviata»: "
        "riapri il caso per scrivere al cittadino"
    )


def test_a_note_stays_internal_and_is_never_emailed(
    cast: personas.Cast, django_capture_on_commit_callbacks, mailoutbox
) -> None:
    ticket = factories.open_case()
    outbox_before = OutboxEvent.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        note = actions.add_ticket_note(
            ticket, "Cittadino già sentito al telefono.", actor=cast.operator
        )

    assert (note.direction, note.author, note.external_id) == (
        Message.Direction.NOTE,
        cast.operator,
        "",
    )
    assert mailoutbox == []
    assert OutboxEvent.objects.count() == outbox_before
    event = refresh(ticket).events.get(kind=TicketEvent.Kind.NOTE)
    assert (event.actor, event.data) == (cast.operator, {"message": note.pk})
    assert refresh(ticket).first_response_at is None


# --- Waiting for the citizen and their answers ----------------------------------------------


def test_waiting_then_the_citizens_answer_puts_the_case_back_to_work(
    cast: personas.Cast,
) -> None:
    ticket = factories.ticket_in(S.OPEN, actor=cast.operator, office=cast.tari)
    actions.wait_for_citizen(ticket, actor=cast.operator, question="Ci manda il codice utente?")
    assert refresh(ticket).status == S.WAITING
    question = Message.objects.get(direction=Message.Direction.OUTBOUND)
    assert question.text == "Ci manda il codice utente?"

    answer = factories.citizen_answers(ticket, "Il codice è 12345.")

    assert answer.duplicate is False
    assert answer.ticket_id == ticket.pk
    assert answer.conversation.pk == question.conversation_id
    stored = refresh(ticket)
    assert stored.status == S.OPEN
    back = stored.events.filter(kind=TicketEvent.Kind.STATUS).order_by("-pk").first()
    assert (back.from_value, back.to_value, back.actor) == (S.WAITING, S.OPEN, None)
    assert back.data == {"cause": "citizen_replied"}
    message_event = stored.events.get(kind=TicketEvent.Kind.MESSAGE)
    assert message_event.data == {"message": answer.message.pk}
    assert Ticket.objects.count() == 1


def test_the_citizens_answer_returns_an_escalated_case_to_the_office(
    cast: personas.Cast,
) -> None:
    ticket = factories.ticket_in(S.WAITING, actor=cast.operator, office=cast.tari, level=2)

    factories.citizen_answers(ticket)

    stored = refresh(ticket)
    assert (stored.status, stored.level, stored.office) == (S.OFFICE, 2, cast.tari)


def test_a_message_on_an_active_case_only_adds_to_its_timeline(cast: personas.Cast) -> None:
    ticket = factories.ticket_in(S.OPEN, actor=cast.operator, office=cast.tari)

    factories.citizen_answers(ticket, "Aggiungo un dettaglio.")

    stored = refresh(ticket)
    assert stored.status == S.OPEN
    assert stored.events.filter(kind=TicketEvent.Kind.MESSAGE).count() == 1
    assert stored.events.filter(kind=TicketEvent.Kind.STATUS).count() == 1


def test_a_message_after_resolution_reopens_the_case(cast: personas.Cast) -> None:
    ticket = factories.ticket_in(S.RESOLVED, actor=cast.operator, office=cast.tari)
    assert refresh(ticket).resolved_at is not None

    again = factories.citizen_answers(ticket, "Non ho capito la risposta.")

    stored = refresh(ticket)
    assert again.ticket_id == ticket.pk
    assert stored.status == S.OPEN
    assert stored.resolved_at is None
    reopened = stored.events.filter(kind=TicketEvent.Kind.STATUS).order_by("-pk").first()
    assert (reopened.from_value, reopened.to_value) == (S.RESOLVED, S.OPEN)
    assert reopened.data == {"cause": "citizen_wrote_after_resolution"}


def test_a_message_after_closure_opens_a_new_case(cast: personas.Cast) -> None:
    ticket = factories.ticket_in(S.CLOSED, actor=cast.operator, office=cast.tari)

    again = factories.citizen_answers(ticket, "Ho un'altra domanda.")

    assert again.ticket_id is not None and again.ticket_id != ticket.pk
    assert refresh(ticket).status == S.CLOSED
    new = Ticket.objects.get(pk=again.ticket_id)
    assert new.status == S.NEW
    assert new.conversations.get().pk == again.conversation.pk


# --- Resolve, close, reopen, cancel ---------------------------------------------------------


def test_resolving_with_notify_sends_the_answer_to_the_citizen(
    cast: personas.Cast, django_capture_on_commit_callbacks, mailoutbox
) -> None:
    received = factories.submit_scrivi("Quando apre lo sportello?", subject="Orari")
    ticket = Ticket.objects.get(pk=received.ticket_id)

    with django_capture_on_commit_callbacks(execute=True):
        actions.resolve_ticket(
            ticket, "  Lo sportello apre alle 8:30.  ", actor=cast.operator, notify=True
        )

    stored = refresh(ticket)
    assert stored.status == S.RESOLVED
    assert stored.resolution == "Lo sportello apre alle 8:30."
    assert stored.resolved_at is not None
    assert stored.first_response_at is not None
    assert [m.subject for m in mailoutbox] == [f"[{stored.code}] Orari"]
    assert mailoutbox[0].body == "Lo sportello apre alle 8:30."
    assert [(f, t) for f, t in factories.status_events(stored)] == [
        ("new", "open"),
        ("open", "resolved"),
    ]


def test_resolving_without_notify_sends_nothing_and_needs_a_resolution(
    cast: personas.Cast, django_capture_on_commit_callbacks, mailoutbox
) -> None:
    ticket = factories.open_case()
    with pytest.raises(InvalidInput, match="La risoluzione è vuota"):
        actions.resolve_ticket(ticket, " ", actor=cast.operator)

    with django_capture_on_commit_callbacks(execute=True):
        actions.resolve_ticket(ticket, "Risolto al telefono.", actor=cast.operator)

    assert mailoutbox == []
    assert not Message.objects.filter(direction=Message.Direction.OUTBOUND).exists()
    assert refresh(ticket).status == S.RESOLVED


def test_resolving_at_first_contact_gives_the_case_to_the_operator_in_one_event(
    cast: personas.Cast,
) -> None:
    ticket = factories.open_case()
    before = TicketEvent.objects.filter(ticket=ticket).count()

    actions.resolve_at_first_contact(ticket, " Risposto al telefono. ", actor=cast.operator)

    stored = refresh(ticket)
    assert (stored.status, stored.assignee) == (S.RESOLVED, cast.operator)
    assert stored.resolution == "Risposto al telefono."
    assert stored.resolved_at is not None
    event = TicketEvent.objects.filter(ticket=ticket).order_by("pk").last()
    assert TicketEvent.objects.filter(ticket=ticket).count() == before + 1
    assert event is not None
    assert (event.kind, event.from_value, event.to_value) == (
        TicketEvent.Kind.STATUS,
        "new",
        "resolved",
    )
    assert event.actor == cast.operator
    assert event.data == {"cause": "first_contact", "assignee": cast.operator.pk}
    assert OutboxEvent.objects.filter(topic="ticket.resolved").count() == 1


def test_an_office_operator_resolving_at_first_contact_does_not_hold_a_first_level_case(
    cast: personas.Cast,
) -> None:
    """An office operator who takes a call could not open a first-level case of no office: it
    is resolved, and stays nobody's (an assignment would hide it from its holder)."""
    ticket = factories.open_case()

    actions.resolve_at_first_contact(ticket, "Risposto.", actor=cast.office_operator)

    stored = refresh(ticket)
    assert (stored.status, stored.assignee) == (S.RESOLVED, None)
    assert stored.events.get(kind=TicketEvent.Kind.STATUS).data == {
        "cause": "first_contact",
        "assignee": None,
    }


def test_resolving_at_first_contact_needs_an_answer_and_an_active_case(
    cast: personas.Cast,
) -> None:
    ticket = factories.open_case()
    with pytest.raises(InvalidInput, match="La risoluzione è vuota"):
        actions.resolve_at_first_contact(ticket, " ", actor=cast.operator)
    cancelled = factories.ticket_in(S.CANCELLED, actor=cast.operator, office=None)
    before = counts()
    with pytest.raises(InvalidTransition):
        actions.resolve_at_first_contact(cancelled, "Risposto.", actor=cast.operator)
    assert counts() == before
    assert (refresh(ticket).status, refresh(cancelled).assignee) == (S.NEW, None)


def test_closing_a_resolved_case_records_when(cast: personas.Cast) -> None:
    ticket = factories.ticket_in(S.RESOLVED, actor=cast.operator, office=cast.tari)

    actions.close_ticket(ticket, actor=cast.supervisor)

    stored = refresh(ticket)
    assert stored.status == S.CLOSED
    assert stored.closed_at is not None and stored.closed_at >= stored.resolved_at


@pytest.mark.parametrize(("level", "expected"), [(1, S.OPEN), (2, S.OFFICE)])
def test_a_case_is_reopened_at_the_level_that_last_worked_on_it(
    level: int, expected: str, cast: personas.Cast
) -> None:
    ticket = factories.ticket_in(S.CLOSED, actor=cast.operator, office=cast.tari, level=level)

    actions.reopen_ticket(ticket, actor=cast.supervisor, reason="Il cittadino ha richiamato.")

    stored = refresh(ticket)
    assert (stored.status, stored.level) == (expected, level)
    assert stored.resolved_at is None and stored.closed_at is None
    if level == 2:
        assert stored.office == cast.tari
    event = stored.events.filter(kind=TicketEvent.Kind.STATUS).order_by("-pk").first()
    assert (event.from_value, event.to_value, event.actor) == ("closed", expected, cast.supervisor)
    assert event.data == {"reason": "Il cittadino ha richiamato."}


def test_cancelling_needs_a_reason(cast: personas.Cast) -> None:
    ticket = factories.open_case()
    before = counts()

    with pytest.raises(InvalidInput) as caught:
        actions.cancel_ticket(ticket, actor=cast.operator, reason="   ")

    assert caught.value.message == "La motivazione è vuota."
    assert refresh(ticket).status == S.NEW
    assert counts() == before

    actions.cancel_ticket(ticket, actor=cast.operator, reason="Richiesta inviata per errore.")

    stored = refresh(ticket)
    assert stored.status == S.CANCELLED
    event = stored.events.filter(kind=TicketEvent.Kind.STATUS).get()
    assert (event.from_value, event.to_value, event.actor) == ("new", "cancelled", cast.operator)
    assert event.data == {"reason": "Richiesta inviata per errore."}


def test_a_case_routed_straight_to_an_office_notifies_it_when_opened(
    cast: personas.Cast, django_capture_on_commit_callbacks, mailoutbox
) -> None:
    RoutingRule.objects.create(
        name="Reclami TARI", priority=1, kind="complaint", office=cast.tari, level=2
    )

    with django_capture_on_commit_callbacks(execute=True):
        received = factories.submit_scrivi("Reclamo sull'avviso TARI.", kind="complaint")

    ticket = Ticket.objects.get(pk=received.ticket_id)
    assert (ticket.level, ticket.office) == (2, cast.tari)
    by_recipient = {tuple(m.to): m for m in mailoutbox}
    assert set(by_recipient) == {("tari@comune.example.it",), ("maria.rossi@example.it",)}
    notification = by_recipient[("tari@comune.example.it",)]
    assert notification.subject == f"[{ticket.code}] Nuovo caso per Ufficio TARI"
    assert notification.body == (
        f"Il caso {ticket.code} (Reclamo, senza tema) è assegnato al vostro ufficio."
    )


def test_a_first_level_case_does_not_notify_an_office(
    cast: personas.Cast,
    first_level_rule: RoutingRule,
    django_capture_on_commit_callbacks,
    mailoutbox,
) -> None:
    cast.contact_center.email = "cc@comune.example.it"
    cast.contact_center.save()

    with django_capture_on_commit_callbacks(execute=True):
        factories.open_case("Domanda semplice.")

    assert [m.to for m in mailoutbox] == [["maria.rossi@example.it"]]  # the acknowledgement only
