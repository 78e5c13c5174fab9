"""The assistant answers on WhatsApp through the real webhook and drain: the greeting and the
menu, every kind of node, "menu" and "indietro", free text, the unanswered question; what it
sends is what the local Graph server received."""

from __future__ import annotations

import pytest

from ascolto.assistant.models import MenuVersion, Reply, Session, Turn, Unanswered
from ascolto.channels.models import Message
from tests.assistant.conftest import Citizen, body_text, choices, node

pytestmark = pytest.mark.django_db


def test_the_first_message_gets_the_greeting_and_the_menu_as_a_list(
    citizen: Citizen, menu: MenuVersion
) -> None:
    greeting, top = citizen.say("Ciao")
    assert greeting["to"] == "393331234567"
    assert "non conservo il tuo nome né il tuo numero" in body_text(greeting)
    assert top["interactive"]["type"] == "list"
    titles = [title for _id, title in choices(top)]
    assert titles[:3] == ["A. Anagrafe", "B. Rifiuti e TARI", "C. Segnala un guasto"]
    assert len(titles) == 6
    assert Reply.objects.filter(status=Reply.Status.SENT).count() == 2
    # Nothing of the citizen went through intake.
    assert not Message.objects.exists()


def test_a_submenu_a_card_a_link_and_going_back(citizen: Citizen, menu: MenuVersion) -> None:
    citizen.say("ciao")
    anagrafe = node(menu, "A")
    [submenu] = citizen.tap(f"node:{anagrafe.key}", "A. Anagrafe")
    assert body_text(submenu) == "Servizi dell'anagrafe:"
    assert [t for _i, t in choices(submenu)] == ["A. Carta d'identità", "B. Certificati online"]
    assert submenu["interactive"]["type"] == "list"  # a title longer than a button's 20

    [card] = citizen.say("a")  # a letter typed works as the tap
    text = body_text(card)
    assert "Carta d'identità" in text and "appuntamento all'anagrafe" in text
    assert "https://www.comune.example.it/cie" in text
    assert [i for i, _t in choices(card)] == ["menu", "back"]

    [back] = citizen.tap("back", "Indietro")
    assert body_text(back) == "Servizi dell'anagrafe:"
    [link] = citizen.say("B")
    assert "https://www.comune.example.it/certificati" in body_text(link)
    citizen.say("indietro")
    [top] = citizen.say("indietro")
    assert [t for _i, t in choices(top)][0] == "A. Anagrafe"
    [top] = citizen.say("MENU")
    assert len(choices(top)) == 6


def test_free_text_offers_the_best_answers_and_counts_what_it_cannot_answer(
    citizen: Citizen, menu: MenuVersion
) -> None:
    citizen.say("ciao")
    [offer] = citizen.say("Come faccio la carta d'identità?")
    assert "Forse cerchi" in body_text(offer)
    assert choices(offer)[0][0] == f"node:{node(menu, 'A.A').key}"
    [card] = citizen.tap(choices(offer)[0][0])
    assert "fototessera" in body_text(card)

    [offer] = citizen.say("mi serve il permesso per il passo carrabile")
    assert any(title == "Passo carrabile" for _i, title in choices(offer))

    sorry, top = citizen.say("orari della piscina comunale sull'isola")
    assert "Non ho trovato una risposta" in body_text(sorry)
    assert len(choices(top)) == 2  # the list the citizen was in (Anagrafe)
    [unanswered] = Unanswered.objects.all()
    assert unanswered.text == "orari della piscina comunale sull'isola"
    assert Turn.objects.filter(kind=Turn.Kind.UNANSWERED).count() == 1


def test_the_contact_number_and_scrivi_are_hand_offs_by_link(
    citizen: Citizen, menu: MenuVersion
) -> None:
    citizen.say("ciao")
    [phone] = citizen.say("E")
    assert "020202" in body_text(phone)
    citizen.say("menu")
    [scrivi] = citizen.say("F")
    assert "https://ascolto.comune.example.it/scrivi/" in body_text(scrivi)
    assert Turn.objects.filter(kind=Turn.Kind.HANDOFF).count() == 2
    assert Session.objects.get().mode == Session.Mode.BOT


def test_a_location_or_a_photo_gets_a_clear_answer_not_an_unanswered_question(
    citizen: Citizen, menu: MenuVersion
) -> None:
    from tests.assistant.conftest import _delivery

    citizen.say("ciao")
    location = {"type": "location", "location": {"latitude": 45.46, "longitude": 9.19}}
    [answer] = citizen.deliver(_delivery(location, citizen.wa_id, ""))
    assert "solo messaggi scritti" in body_text(answer)
    assert not Unanswered.objects.exists()
    assert not Message.objects.exists()
