"""The web chat on the citizen pages runs the same engine: a session keyed by a random cookie
token's hash, choices as buttons of plain forms, forms and hand-offs pointing to Scrivi."""

from __future__ import annotations

import pytest
from django.test import Client

from ascolto.assistant.models import MenuVersion, Session, SurveyAnswer, Turn, Unanswered
from ascolto.channels.models import Message
from ascolto.web.views.scrivi.assistant import COOKIE
from tests.assistant.conftest import node

pytestmark = pytest.mark.django_db


def test_a_visitor_chats_with_the_assistant_on_the_web(menu: MenuVersion) -> None:
    client = Client()
    page = client.get("/scrivi/assistente/")
    assert page.status_code == 200
    assert 'role="log"' in page.content.decode()
    assert not Session.objects.exists()  # nothing until the visitor writes

    answer = client.post("/scrivi/assistente/", {"text": "ciao"})
    html = answer.content.decode()
    assert "assistente virtuale del Comune" in html
    assert 'value="node:' in html and "A. Anagrafe" in html and "F. Scrivi al Comune" in html
    token = answer.cookies[COOKIE].value
    session = Session.objects.get()
    assert session.kind == Session.Kind.WEB and token not in session.key

    anagrafe = node(menu, "A")
    answer = client.post(
        "/scrivi/assistente/",
        {"choice": f"node:{anagrafe.key}", "label": "A. Anagrafe"},
        headers={"HX-Request": "true"},
    )
    fragment = answer.content.decode()
    assert "<html" not in fragment and "Servizi dell&#x27;anagrafe:" in fragment
    assert "Carta d&#x27;identità" in fragment

    html = client.post("/scrivi/assistente/", {"text": "a"}).content.decode()
    assert "fototessera" in html and "*" not in html.split("fototessera")[0][-200:]
    client.post("/scrivi/assistente/", {"text": "menu"})
    html = client.post("/scrivi/assistente/", {"text": "D"}).content.decode()
    assert "modulo online" in html  # no operator on the web chat: Scrivi
    client.post("/scrivi/assistente/", {"text": "domanda sul gatto nero"})
    assert Unanswered.objects.get().text == "domanda sul gatto nero"
    assert Session.objects.count() == 1
    assert Turn.objects.filter(session=session).count() > 6
    assert not Message.objects.exists()


def test_an_empty_message_is_refused_clearly(menu: MenuVersion) -> None:
    answer = Client().post("/scrivi/assistente/", {"text": "  "})
    assert answer.status_code == 400
    assert "Scrivi una domanda" in answer.content.decode()


def test_the_web_chat_offers_the_survey_once_and_stores_the_answers(menu: MenuVersion) -> None:
    client = Client()
    assert 'data-survey-after="600"' in client.get("/scrivi/assistente/").content.decode()
    # Ending before writing anything: no session is made, nothing to ask.
    html = client.post("/scrivi/assistente/", {"survey": "end"}).content.decode()
    assert "Conversazione terminata" in html and not Session.objects.exists()

    client.post("/scrivi/assistente/", {"text": "ciao"})
    # An answer to a survey never offered is not taken: the menu instead.
    html = client.post("/scrivi/assistente/", {"choice": "survey:yes"}).content.decode()
    assert "Scegli un argomento" in html and not SurveyAnswer.objects.exists()
    client.post("/scrivi/assistente/", {"text": "B"})

    # The page's timer, after ten minutes of silence.
    survey = client.post(
        "/scrivi/assistente/", {"survey": "idle"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "Ti sono stato utile?" in survey
    assert 'value="survey:yes"' in survey and 'value="survey:no"' in survey
    session = Session.objects.get()
    assert session.survey_sent_at is not None
    asked = SurveyAnswer.objects.get()
    assert asked.path == "B" and asked.answered_at is None

    html = client.post("/scrivi/assistente/", {"choice": "survey:yes", "label": "Sì"}).content
    assert "Ci sono argomenti" in html.decode()
    html = client.post("/scrivi/assistente/", {"text": "Gli orari delle piscine"}).content
    assert "Grazie per il tuo aiuto" in html.decode()
    asked.refresh_from_db()
    assert asked.useful is True and asked.suggestion == "Gli orari delle piscine"

    # Once per session: the timer again gets nothing; ending now ends the session.
    again = client.post("/scrivi/assistente/", {"survey": "idle"}, headers={"HX-Request": "true"})
    assert again.status_code == 204
    html = client.post("/scrivi/assistente/", {"survey": "end"}).content.decode()
    assert "Conversazione terminata" in html
    session.refresh_from_db()
    assert session.ended_at is not None and session.state == {}
    assert SurveyAnswer.objects.count() == 1
