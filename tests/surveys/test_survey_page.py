"""The public answering page `/scrivi/questionario/<token>/`: the questions in the visitor's
language, branching re-checked on the server (no JavaScript here), errors per question, one
answer per invitation, and the pages for a used, expired, closed or altered link."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from ascolto.surveys import building
from ascolto.surveys.models import Answer, Response
from ascolto.surveys.tokens import invitation_path, invitation_token
from tests import factories, personas
from tests.surveys.helpers import branching_survey, invite

pytestmark = pytest.mark.django_db

GOOD = {"voto": "5", "consiglio": "8", "ufficio": "anagrafe", "facilita": "6"}


def test_the_page_asks_every_question_with_stars_and_nps_as_radio_buttons(client: Client) -> None:
    invitation = invite(branching_survey())
    html = client.get(invitation_path(invitation)).content.decode()

    assert "Com&#x27;è andata?" in html
    assert html.count('type="radio" name="voto"') == 5
    assert html.count('type="radio" name="consiglio"') == 11
    assert html.count('type="radio" name="facilita"') == 7
    assert html.count('type="checkbox" name="problemi"') == 3
    assert "<legend" in html and "(obbligatoria)" in html
    assert 'data-show-if="voto"' in html
    assert "web/survey.js" in html
    assert "<script>" not in html and "style=" not in html


def test_the_page_speaks_english_with_the_english_texts(client: Client) -> None:
    invitation = invite(branching_survey())
    client.cookies["django_language"] = "en"
    html = client.get(invitation_path(invitation), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "How did it go?" in html
    assert "Would you recommend the service to a friend?" in html
    assert "Registry office" in html


def test_answers_are_stored_and_the_page_thanks(client: Client) -> None:
    invitation = invite(branching_survey())
    path = invitation_path(invitation)
    page = client.post(path, {**GOOD, "problemi": ["tempi"], "commento": "Tutto bene"})

    assert page.status_code == 302
    assert page["Location"] == f"{path}grazie/"
    assert "Grazie per le tue risposte" in client.get(page["Location"]).content.decode()
    response = Response.objects.get()
    assert (response.csat, response.nps, response.source, response.via) == (5, 8, "web", "email")
    # Five stars: the question about what went wrong was not asked, its answer dropped.
    assert not Answer.objects.filter(question__code="problemi").exists()
    again = client.get(path).content.decode()
    assert "Questionario già compilato" in again
    assert client.post(path, GOOD).status_code == 200
    assert Response.objects.count() == 1


def test_errors_are_shown_on_their_question_and_nothing_is_stored(client: Client) -> None:
    invitation = invite(branching_survey())
    page = client.post(invitation_path(invitation), {**GOOD, "voto": "2", "consiglio": "12"})

    assert page.status_code == 400
    html = page.content.decode()
    assert 'id="q-problemi-error"' in html and "Questa domanda richiede una risposta." in html
    assert 'id="q-consiglio-error"' in html and "Scegli un valore da 0 a 10." in html
    assert 'href="#q-problemi"' in html
    assert 'value="2" checked' in html  # what was chosen stays chosen
    assert Response.objects.count() == 0


def test_an_expired_link_a_closed_survey_and_an_altered_link_say_so(client: Client) -> None:
    survey = branching_survey()
    expired = invite(survey, days=-1)
    assert client.get(invitation_path(expired)).status_code == 410
    token = invitation_token(invite(survey))
    page = client.get(reverse("scrivi:survey-answer", args=[token[:-2] + "xx"]))
    assert page.status_code == 404 and "Link non valido" in page.content.decode()
    building.close_survey(survey)
    page = client.get(reverse("scrivi:survey-answer", args=[token]))
    assert page.status_code == 410 and "Il questionario è chiuso" in page.content.decode()


def test_the_page_shows_nothing_of_the_case_or_the_person(
    client: Client, cast: personas.Cast
) -> None:
    survey = branching_survey(anonymous=False)
    ticket = factories.open_case(email="maria.rossi@example.it")
    html = client.get(invitation_path(invite(survey, ticket=ticket, citizen=ticket.citizen)))
    text = html.content.decode()
    assert ticket.code not in text
    assert "maria.rossi" not in text


@override_settings(ASCOLTO_SURVEY_RATE_LIMIT="3/h")
def test_the_page_is_rate_limited_per_address(client: Client) -> None:
    path = invitation_path(invite(branching_survey()))
    codes = [client.get(path).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_a_thanks_page_before_an_answer_goes_back_to_the_questions(client: Client) -> None:
    invitation = invite(branching_survey(), days=2)
    token = invitation_token(invitation)
    page = client.get(reverse("scrivi:survey-thanks", args=[token]))
    assert page.status_code == 302
    assert page["Location"] == reverse("scrivi:survey-answer", args=[token])
    assert invitation.expires_at - invitation.created_at == timedelta(days=2)
