"""The citizen answers the city's question on the status page, with the link the question's mail
carried: the answer threads into the case, which goes back to work; a bad, expired or other
case's link, or a case not waiting, is refused and nothing is stored."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import time_machine
from django.core import signing
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse

from ascolto.channels.models import Message, PendingInbound
from ascolto.tickets import actions, answers
from ascolto.tickets.models import Ticket, TicketEvent
from ascolto.web.views.scrivi.request import submission_token
from tests import factories, personas
from tests.factories import PNG

pytestmark = pytest.mark.django_db

QUESTION = "Ci può indicare il numero civico esatto?"


@pytest.fixture(autouse=True)
def _fresh() -> None:
    cache.clear()


def waiting_case(cast: personas.Cast, capture: Any, text: str = "C'è una buca.") -> Ticket:
    """A Scrivi case whose operator asked the citizen a question (its mail sent)."""
    with capture(execute=True):
        received = factories.submit_scrivi(text, theme="tari")
    ticket = Ticket.objects.get(pk=received.ticket_id)
    with capture(execute=True):
        actions.wait_for_citizen(ticket, actor=cast.operator, question=QUESTION)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.WAITING
    return ticket


def link_in(body: str) -> str:
    """The status page's path and query, from the answer link in a mail's body."""
    [url] = re.findall(r"https?://\S+\?risposta=\S+", body)
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def token_of(link: str) -> str:
    return unquote(link.split("?risposta=", 1)[1])


def answer(client: Client, code: str, token: str, capture: Any, **changes: Any) -> Any:
    data = {"token": token, "submission": submission_token(), "text": "Il civico è il 12."}
    data.update(changes)
    with capture(execute=True):
        return client.post(reverse("scrivi:answer", args=[code]), data)


def nothing_stored(ticket: Ticket) -> None:
    assert not PendingInbound.objects.filter(external_id__startswith="answer-").exists()
    assert (
        not Message.objects.filter(
            conversation__tickets=ticket, direction=Message.Direction.INBOUND
        )
        .exclude(external_id__startswith="scrivi-")
        .exists()
    )
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.WAITING


def test_the_round_trip_question_mail_link_answer_and_the_case_back_to_work(
    client: Client,
    cast: personas.Cast,
    django_capture_on_commit_callbacks: Any,
    mailoutbox: Any,
    settings: Any,
) -> None:
    settings.ASCOLTO_PUBLIC_URL = "https://www.comune.example.it"
    ticket = waiting_case(cast, django_capture_on_commit_callbacks)
    question_mail = mailoutbox[-1]
    assert QUESTION in question_mail.body
    assert question_mail.to == [personas.MARIA_EMAIL]
    assert "https://www.comune.example.it/scrivi/pratica/" in question_mail.body
    link = link_in(question_mail.body)
    # The link lives in the mail only: not in the thread, nor on the status page (code alone).
    question = Message.objects.get(conversation__tickets=ticket, text=QUESTION)
    assert "risposta=" not in question.text
    status_page = client.get(reverse("scrivi:status", args=[ticket.code])).content.decode()
    assert QUESTION in status_page
    assert token_of(link) not in status_page
    assert 'id="answer-form"' not in status_page

    page = client.get(link)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="answer-form"' in html
    for private in ("C&#x27;è una buca", "Maria", "Rossi", personas.MARIA_EMAIL):
        assert private not in html, private

    photo = SimpleUploadedFile("civico.png", PNG, content_type="application/octet-stream")
    sent = answer(
        client, ticket.code, token_of(link), django_capture_on_commit_callbacks, attachments=photo
    )
    assert sent.status_code == 303
    after = client.get(sent["Location"]).content.decode()
    assert "la tua risposta è stata inviata" in after
    assert "Il civico è il 12." not in after  # the citizen's own text is never shown

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    thread = list(Message.objects.filter(conversation__tickets=ticket).order_by("sent_at", "pk"))
    assert [m.text for m in thread][-2:] == [QUESTION, "Il civico è il 12."]
    reply = thread[-1]
    assert reply.direction == Message.Direction.INBOUND
    assert reply.conversation_id == question.conversation_id
    [stored] = reply.attachments
    assert stored["name"] == "civico.png" and stored["content_type"] == "image/png"
    back = ticket.events.filter(kind=TicketEvent.Kind.STATUS).order_by("pk").last()
    assert back is not None and back.data.get("cause") == "citizen_replied"
    assert Ticket.objects.count() == 1

    # The same link once the case is back to work: refused, the page says why.
    again = answer(client, ticket.code, token_of(link), django_capture_on_commit_callbacks)
    assert again.status_code == 403
    assert "non è in attesa di una tua risposta" in again.content.decode()
    assert Message.objects.filter(conversation__tickets=ticket).count() == len(thread)


def test_a_tampered_link_or_one_of_another_case_is_refused_and_nothing_is_stored(
    client: Client, cast: personas.Cast, django_capture_on_commit_callbacks: Any, mailoutbox: Any
) -> None:
    ticket = waiting_case(cast, django_capture_on_commit_callbacks)
    token = token_of(link_in(mailoutbox[-1].body))
    other = waiting_case(cast, django_capture_on_commit_callbacks, "Un'altra richiesta.")
    other_token = token_of(link_in(mailoutbox[-1].body))
    assert other.pk != ticket.pk

    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    refused = answer(client, ticket.code, tampered, django_capture_on_commit_callbacks)
    assert refused.status_code == 403
    assert "Il link per rispondere non è valido" in refused.content.decode()
    assert 'id="answer-form"' not in refused.content.decode()

    wrong = answer(client, ticket.code, other_token, django_capture_on_commit_callbacks)
    assert wrong.status_code == 403
    assert "non è di questa pratica" in wrong.content.decode()

    # A token naming this code but another case's conversation, signed with our key: refused.
    forged = signing.dumps(
        {"code": ticket.code, "conversation": other.conversations.get().pk}, salt=answers.SALT
    )
    assert (
        answer(client, ticket.code, forged, django_capture_on_commit_callbacks).status_code == 403
    )

    page = client.get(reverse("scrivi:status", args=[ticket.code]), {"risposta": tampered})
    assert "Il link per rispondere non è valido" in page.content.decode()
    assert 'id="answer-form"' not in page.content.decode()
    nothing_stored(ticket)
    nothing_stored(other)


def test_an_expired_link_is_refused_and_nothing_is_stored(
    client: Client,
    cast: personas.Cast,
    django_capture_on_commit_callbacks: Any,
    mailoutbox: Any,
    settings: Any,
) -> None:
    settings.ASCOLTO_ANSWER_LINK_DAYS = 7
    with time_machine.travel("2026-03-02 10:00 +01:00", tick=False) as clock:
        ticket = waiting_case(cast, django_capture_on_commit_callbacks)
        token = token_of(link_in(mailoutbox[-1].body))
        assert "valido 7 giorni" in mailoutbox[-1].body
        clock.shift(8 * 86400)
        refused = answer(client, ticket.code, token, django_capture_on_commit_callbacks)
    assert refused.status_code == 403
    assert "Il link per rispondere è scaduto" in refused.content.decode()
    nothing_stored(ticket)


def test_a_case_not_waiting_offers_no_reply_box_and_refuses_an_answer(
    client: Client, cast: personas.Cast, django_capture_on_commit_callbacks: Any, mailoutbox: Any
) -> None:
    ticket = waiting_case(cast, django_capture_on_commit_callbacks)
    link = link_in(mailoutbox[-1].body)
    with django_capture_on_commit_callbacks(execute=True):
        actions.resolve_ticket(ticket, "Risolta d'ufficio.", actor=cast.operator)
    page = client.get(link).content.decode()
    assert "non è in attesa di una tua risposta" in page
    assert 'id="answer-form"' not in page
    refused = answer(client, ticket.code, token_of(link), django_capture_on_commit_callbacks)
    assert refused.status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED
    assert not PendingInbound.objects.filter(external_id__startswith="answer-").exists()


def test_a_too_long_answer_is_refused_keeping_what_was_typed(
    client: Client, cast: personas.Cast, django_capture_on_commit_callbacks: Any, mailoutbox: Any
) -> None:
    ticket = waiting_case(cast, django_capture_on_commit_callbacks)
    token = token_of(link_in(mailoutbox[-1].body))
    long_text = "Risposta lunghissima " + "x" * 700
    refused = answer(client, ticket.code, token, django_capture_on_commit_callbacks, text=long_text)
    html = refused.content.decode()
    assert refused.status_code == 400
    assert "al massimo 600" in html
    assert long_text in html
    assert 'id="answer-form"' in html
    nothing_stored(ticket)


@override_settings(ASCOLTO_SCRIVI_RATE_LIMIT="1/h")
def test_answers_past_the_rate_limit_are_refused_keeping_the_text(
    client: Client, cast: personas.Cast, django_capture_on_commit_callbacks: Any, mailoutbox: Any
) -> None:
    ticket = waiting_case(cast, django_capture_on_commit_callbacks)
    token = token_of(link_in(mailoutbox[-1].body))
    bad = answer(client, ticket.code, token, django_capture_on_commit_callbacks, text="")
    assert bad.status_code == 400
    limited = answer(client, ticket.code, token, django_capture_on_commit_callbacks, text="Terza")
    assert limited.status_code == 429
    assert "Terza" in limited.content.decode()
    nothing_stored(ticket)


def test_the_same_answer_sent_twice_is_stored_once(
    client: Client, cast: personas.Cast, django_capture_on_commit_callbacks: Any, mailoutbox: Any
) -> None:
    ticket = waiting_case(cast, django_capture_on_commit_callbacks)
    token = token_of(link_in(mailoutbox[-1].body))
    data = {"token": token, "submission": submission_token(), "text": "Il civico è il 12."}
    for _ in range(2):  # a double click, before the drain has taken the first one in
        sent = client.post(reverse("scrivi:answer", args=[ticket.code]), data)
        assert sent.status_code == 303
    assert PendingInbound.objects.filter(external_id__startswith="answer-").count() == 1
    # Sent, then changed and sent again with the same form: a second answer, not a lost one.
    changed = client.post(
        reverse("scrivi:answer", args=[ticket.code]), {**data, "text": "Anzi, il 14."}
    )
    assert changed.status_code == 303
    assert PendingInbound.objects.filter(external_id__startswith="answer-").count() == 2


def test_a_double_click_after_the_answer_was_taken_in_is_not_refused(
    client: Client, cast: personas.Cast, django_capture_on_commit_callbacks: Any, mailoutbox: Any
) -> None:
    ticket = waiting_case(cast, django_capture_on_commit_callbacks)
    token = token_of(link_in(mailoutbox[-1].body))
    submission = submission_token()
    for _ in range(2):
        sent = answer(
            client, ticket.code, token, django_capture_on_commit_callbacks, submission=submission
        )
        assert sent.status_code == 303
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert PendingInbound.objects.filter(external_id__startswith="answer-").count() == 1


def test_a_question_on_an_email_case_carries_no_link(
    cast: personas.Cast, django_capture_on_commit_callbacks: Any, mailoutbox: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        received = factories.receive(
            factories.email_message("Vorrei i buoni.", email=personas.MARIA_EMAIL)
        )
    ticket = Ticket.objects.get(pk=received.ticket_id)
    with django_capture_on_commit_callbacks(execute=True):
        actions.wait_for_citizen(ticket, actor=cast.operator, question=QUESTION)
    assert QUESTION in mailoutbox[-1].body
    assert "risposta=" not in mailoutbox[-1].body
