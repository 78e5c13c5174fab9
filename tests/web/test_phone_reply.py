"""Answering a case opened by a logged call: by email when the citizen left an address, else by
booking a callback; and an email case still answered by email to its sender."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ascolto.channels.models import Channel, Message
from ascolto.citizens.models import Citizen, Identity
from ascolto.citizens.sender import Sender
from ascolto.contactcenter import actions as cc_actions
from ascolto.contactcenter.models import CallbackBooking, ForecastRun
from ascolto.core.errors import DomainError, InvalidInput
from ascolto.tickets import actions
from ascolto.tickets.models import Ticket
from tests import factories, personas
from tests.factories import counts
from tests.test_callbacks import _plan, _tomorrow_at

pytestmark = pytest.mark.django_db


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _phone_case(cast: personas.Cast, citizen: Citizen | None = None) -> Ticket:
    logged = cc_actions.log_call(
        operator=cast.operator,
        question="Quando scade la seconda rata TARI?",
        outcome=cc_actions.ESCALATE,
        sender=Sender(phone=personas.LUCA_PHONE),
        citizen=citizen,
        office=cast.tari,
        note="Verificare la scadenza e rispondere.",
    )
    assert logged.ticket.channel == cast.phone
    return logged.ticket


def _page(client: Client, ticket: Ticket) -> str:
    return str(client.get(reverse("console:case", args=[ticket.code])).content.decode())


def _reply(client: Client, ticket: Ticket, text: str) -> Any:
    url = reverse("console:case-action", args=[ticket.code, "reply"])
    return client.post(url, {"text": text, "confirmed": "True"})


def test_a_phone_case_with_an_address_is_answered_by_email(
    cast: personas.Cast, django_capture_on_commit_callbacks: Any, mailoutbox: list[Any]
) -> None:
    luca = Citizen.objects.create(first_name="Luca", last_name="Bianchi", email="luca@example.it")
    ticket = _phone_case(cast, luca)
    client = _client(cast.operator)

    page = _page(client, ticket)
    assert "Rispondi via email a luca@example.it" in page
    assert 'id="reply-by-email"' in page
    assert 'id="action-callback"' not in page

    with django_capture_on_commit_callbacks(execute=True):
        response = _reply(client, ticket, "La seconda rata scade il 16 dicembre.")
    assert response.status_code == 302, response.content.decode()[:2000]

    [mail] = mailoutbox
    assert mail.to == ["luca@example.it"]
    assert mail.subject.startswith(f"[{ticket.code}] ")
    assert mail.body == "La seconda rata scade il 16 dicembre."
    assert "buonispesa@comune.it" in mail.from_email  # the city's mailbox
    reply = Message.objects.get(direction=Message.Direction.OUTBOUND)
    assert (reply.status, reply.channel) == (Message.Status.SENT, cast.mailbox)
    assert reply.conversation.identity.value == "luca@example.it"
    assert reply in ticket.thread()
    page = _page(client, ticket)
    assert "La seconda rata scade il 16 dicembre." in page

    # The next reply continues the same email conversation.
    with django_capture_on_commit_callbacks(execute=True):
        actions.reply_to_ticket(ticket, "Il modello F24 è in allegato.", actor=cast.operator)
    assert len(mailoutbox) == 2
    assert ticket.conversations.filter(channel=cast.mailbox).count() == 1


def test_the_address_may_be_an_email_handle_of_the_citizen(
    cast: personas.Cast, django_capture_on_commit_callbacks: Any, mailoutbox: list[Any]
) -> None:
    luca = Citizen.objects.create(first_name="Luca", last_name="Bianchi")
    Identity.objects.create(kind=Identity.Kind.EMAIL, value="l.bianchi@example.it", citizen=luca)
    ticket = _phone_case(cast, luca)
    assert actions.reply_route(ticket).address == "l.bianchi@example.it"

    with django_capture_on_commit_callbacks(execute=True):
        actions.reply_to_ticket(ticket, "Ecco la risposta.", actor=cast.operator)
    assert [m.to for m in mailoutbox] == [["l.bianchi@example.it"]]


def test_without_a_mailbox_the_scrivi_channel_sends_it(
    cast: personas.Cast, django_capture_on_commit_callbacks: Any, mailoutbox: list[Any]
) -> None:
    Channel.objects.filter(pk=cast.mailbox.pk).update(is_active=False)
    luca = Citizen.objects.create(first_name="Luca", last_name="Bianchi", email="luca@example.it")
    ticket = _phone_case(cast, luca)

    with django_capture_on_commit_callbacks(execute=True):
        reply = actions.reply_to_ticket(ticket, "Ecco la risposta.", actor=cast.operator)
    assert reply.channel == cast.scrivi
    assert [m.to for m in mailoutbox] == [["luca@example.it"]]


def test_a_phone_case_without_an_address_refuses_a_written_reply(
    cast: personas.Cast, mailoutbox: list[Any]
) -> None:
    ticket = _phone_case(cast)
    client = _client(cast.operator)

    page = _page(client, ticket)
    assert 'id="action-reply"' not in page
    assert "il cittadino non ha lasciato un indirizzo email a cui rispondere" in page
    # No shift plan leaves room for a callback either: the page says so.
    assert 'id="action-callback"' not in page
    assert "nessuna fascia di richiamata libera nei prossimi 7 giorni" in page

    before = counts()
    with pytest.raises(InvalidInput) as refused:
        actions.reply_to_ticket(ticket, "Ecco la risposta.", actor=cast.operator)
    assert str(refused.value.message).startswith("Non è possibile rispondere per iscritto:")
    response = _reply(client, ticket, "Ecco la risposta.")
    assert response.status_code == 400
    assert counts() == before
    assert mailoutbox == []


def test_an_email_case_is_still_answered_by_email_to_its_sender(
    cast: personas.Cast, django_capture_on_commit_callbacks: Any, mailoutbox: list[Any]
) -> None:
    ticket = factories.open_case("Non ho ricevuto l'avviso TARI.", email="maria.rossi@example.it")
    route = actions.reply_route(ticket)
    assert (route.by_email, route.refusal) == (False, "")

    with django_capture_on_commit_callbacks(execute=True):
        response = _reply(_client(cast.operator), ticket, "L'avviso è stato rispedito.")
    assert response.status_code == 302

    [mail] = mailoutbox
    assert mail.to == ["maria.rossi@example.it"]
    assert mail.subject.startswith(f"[{ticket.code}] ")
    reply = Message.objects.get(direction=Message.Direction.OUTBOUND)
    assert reply.status == Message.Status.SENT
    assert ticket.conversations.count() == 1


@pytest.fixture
def plan(cast: personas.Cast) -> ForecastRun:
    # Tomorrow 09:00-09:30: 2 spare operators, 12 callbacks of 300 s.
    return _plan([(_tomorrow_at(9, 0), 3, 5), (_tomorrow_at(9, 15), 3, 5)])


def test_a_phone_case_without_an_address_is_answered_by_a_callback(
    cast: personas.Cast, plan: ForecastRun
) -> None:
    ticket = _phone_case(cast)
    client = _client(cast.operator)

    page = _page(client, ticket)
    assert 'id="action-callback"' in page
    assert f'value="{_tomorrow_at(9).isoformat()}"' in page
    assert "Il cittadino sarà richiamato al numero +393331234567." in page

    url = reverse("console:case-action", args=[ticket.code, "callback"])
    response = client.post(url, {"slot": _tomorrow_at(9).isoformat(), "confirmed": "True"})
    assert response.status_code == 302, response.content.decode()[:2000]

    booking = CallbackBooking.objects.get()
    assert (booking.phone, booking.slot_start) == (personas.LUCA_PHONE, _tomorrow_at(9))
    assert booking.requested_via == CallbackBooking.Via.OPERATOR
    assert booking.ticket.kind == Ticket.Kind.CALLBACK
    note = Message.objects.get(
        conversation__tickets=ticket,
        direction=Message.Direction.NOTE,
        text__startswith="Richiamata prenotata per il",
    )
    assert booking.ticket.code in note.text

    # A slot that is not offered is refused next to the field, with nothing written.
    before = counts()
    later = _tomorrow_at(15).isoformat()
    response = client.post(url, {"slot": later, "confirmed": "True"})
    assert response.status_code == 400
    assert "La fascia scelta non è più libera" in response.content.decode()
    assert counts() == before


def test_a_callback_is_refused_on_a_closed_case(cast: personas.Cast, plan: ForecastRun) -> None:
    ticket = _phone_case(cast)
    actions.cancel_ticket(ticket, actor=cast.operator, reason="Doppio.")
    page = _page(_client(cast.operator), ticket)
    assert 'id="action-callback"' not in page
    with pytest.raises(DomainError):
        cc_actions.book_callback_for_case(ticket, _tomorrow_at(9), actor=cast.operator)
    assert not CallbackBooking.objects.exists()
