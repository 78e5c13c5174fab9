"""Where the citizen chooses to be contacted: a form submitted opens a case through intake with
the answers and the node's theme; a hand-off puts the conversation, with the bot's transcript,
in the console's queue, and the operator's reply goes out on WhatsApp."""

from __future__ import annotations

import pytest
from django.test import Client

from ascolto.assistant.models import MenuVersion, Reply, Session, Turn
from ascolto.channels.models import Message
from ascolto.citizens.models import Identity
from ascolto.tickets.actions import reply_to_ticket
from ascolto.tickets.models import Ticket
from tests import personas
from tests.assistant.conftest import Citizen, body_text, choices, node

pytestmark = pytest.mark.django_db


def test_a_form_asks_its_fields_one_by_one_and_opens_a_case(
    citizen: Citizen, menu: MenuVersion
) -> None:
    citizen.say("ciao")
    intro, question = citizen.say("C")
    assert "il tuo numero arriveranno all'ufficio" in body_text(intro)
    assert body_text(question) == "In quale via?"
    assert not Ticket.objects.exists()

    [email] = citizen.say("Via Padova 12")
    assert "Un indirizzo email?" in body_text(email) and "facoltativo" in body_text(email)
    [again] = citizen.say("non ce l'ho")  # not an address: asked again, with why
    assert "Non sembra un indirizzo email" in body_text(again)
    [kind] = citizen.say("-")  # optional: skipped
    assert [t for _i, t in choices(kind)] == ["Lampione", "Buca"]
    [thanks] = citizen.tap("opt:0", "Lampione", kind="button_reply")
    assert "il modulo è stato inviato" in body_text(thanks)

    ticket = Ticket.objects.get()
    assert ticket.channel.code == "whatsapp"
    assert ticket.theme is not None and ticket.theme.code == "tari-dichiarazione"
    [message] = Message.objects.filter(direction=Message.Direction.INBOUND)
    assert "Segnala un guasto" in message.text
    assert "- In quale via?: Via Padova 12" in message.text
    assert "- Che cosa?: Lampione" in message.text
    # The citizen chose to be contacted: the identity is linked as on any channel.
    assert message.conversation.identity.value == "+393331234567"
    assert Turn.objects.filter(kind=Turn.Kind.FORM_SUBMITTED, node_key=node(menu, "C").key).exists()
    session = Session.objects.get()
    assert session.mode == Session.Mode.BOT and "form" not in session.state


def test_annulla_leaves_a_form_without_sending_anything(
    citizen: Citizen, menu: MenuVersion
) -> None:
    citizen.say("ciao")
    citizen.say("C")
    citizen.say("Via Padova 12")
    cancelled, _menu = citizen.say("annulla")
    assert "non è stato inviato nulla" in body_text(cancelled)
    assert not Message.objects.exists() and not Ticket.objects.exists()
    assert "form" not in Session.objects.get().state


def test_a_hand_off_shows_in_the_console_with_the_transcript_and_the_operator_answers(
    citizen: Citizen, menu: MenuVersion, cast: personas.Cast
) -> None:
    citizen.say("ciao")
    citizen.say("Quando si paga la TARI?")
    [handoff] = citizen.say("D")
    assert "operatore" in body_text(handoff)

    ticket = Ticket.objects.get()
    [message] = Message.objects.filter(direction=Message.Direction.INBOUND)
    assert "Conversazione con l'assistente" in message.text
    assert "Cittadino: Quando si paga la TARI?" in message.text
    assert ticket.channel.code == "whatsapp"

    client = Client()
    client.force_login(cast.supervisor)
    page = client.get("/console/inbox/").content.decode()
    assert ticket.code in page

    # The operator answers on WhatsApp, as on any case.
    with citizen.capture(execute=True):
        reply_to_ticket(
            ticket, "Buongiorno, la prima rata scade il 16 aprile.", actor=cast.operator
        )
    [answer] = citizen.sent()
    assert answer["to"] == "393331234567"
    assert answer["text"]["body"] == "Buongiorno, la prima rata scade il 16 aprile."

    # What the citizen writes now reaches the operator's case, not the bot.
    assert citizen.say("Ho pagato due volte la prima rata") == []
    texts = list(
        Message.objects.filter(direction=Message.Direction.INBOUND).values_list("text", flat=True)
    )
    assert texts[-1] == "Ho pagato due volte la prima rata"
    assert Ticket.objects.count() == 1
    assert Session.objects.get().mode == Session.Mode.HANDOFF
    # No survey while an operator has the conversation.
    assert not Reply.objects.filter(
        purpose=Reply.Purpose.SURVEY, status=Reply.Status.QUEUED
    ).exists()

    # "menu" brings the citizen back to the bot.
    [top] = citizen.say("menu")
    assert len(choices(top)) == 6
    assert Session.objects.get().mode == Session.Mode.BOT


def test_a_session_that_stays_with_the_bot_stores_no_number_or_name(
    citizen: Citizen, menu: MenuVersion
) -> None:
    citizen.say("ciao")
    citizen.say("A")
    citizen.say("A")
    citizen.say("che cos'è la TARI")
    citizen.say("una domanda senza risposta sul gatto")
    assert Reply.objects.filter(status=Reply.Status.SENT).exists()
    # No message, no identity, no citizen: nothing went through intake.
    assert not Message.objects.exists()
    assert not Identity.objects.filter(kind__startswith="whatsapp").exists()
    # The number is nowhere in the assistant's tables once the replies are sent (the survey
    # still waiting holds it until it is sent or cancelled).
    for model in (Session, Turn, Reply):
        for row in model.objects.all().values():
            values = " ".join(str(v) for v in row.values())
            if model is Reply and row["status"] == Reply.Status.QUEUED:
                assert row["purpose"] == Reply.Purpose.SURVEY
                continue
            assert "3331234567" not in values and "Giulia" not in values
    session = Session.objects.get()
    assert "3331234567" not in session.key
