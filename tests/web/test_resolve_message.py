"""Resolving a case says on the form where the resolution text goes, and lets the operator
resolve without a second message after a reply (issue 10): the citizen gets one email, and the
public status page shows what the form said it would."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ascolto.tickets.models import Ticket
from tests import factories, personas

pytestmark = pytest.mark.django_db

SENT_AND_PUBLIC = "compare nella pagina pubblica della richiesta"
KEPT_INTERNAL = "resta interno"


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _act(client: Client, ticket: Ticket, action: str, data: dict[str, Any]) -> Any:
    url = reverse("console:case-action", args=[ticket.code, action])
    response = client.post(url, {**data, "confirmed": "True"})
    assert response.status_code == 302, response.content.decode()[:2000]
    return response


def _scrivi_case(on_commit: Any) -> Ticket:
    """A Scrivi request taken in, with its acknowledgement sent (an automatic email, not an
    answer)."""
    with on_commit(execute=True):
        received = factories.submit_scrivi("Quando apre lo sportello anagrafe?", subject="Orari")
    return Ticket.objects.get(pk=received.ticket_id)


def _resolve_form(page: str) -> str:
    start = page.index('id="action-resolve"')
    return page[start : page.index("</details>", start)]


def test_the_resolve_form_says_where_the_text_goes(
    cast: personas.Cast, django_capture_on_commit_callbacks: Any, mailoutbox: Any
) -> None:
    ticket = _scrivi_case(django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 1  # the acknowledgement
    page = _client(cast.operator).get(reverse("console:case", args=[ticket.code])).content
    form = _resolve_form(page.decode())
    assert SENT_AND_PUBLIC in form
    assert KEPT_INTERNAL in form
    # Nobody has answered yet (the acknowledgement is no answer): sending the resolution is
    # the choice made beforehand.
    assert "checked" in form.split('value="send"', 1)[1].split(">", 1)[0]


def test_reply_then_resolve_without_a_message_sends_one_email(
    cast: personas.Cast, client: Client, django_capture_on_commit_callbacks: Any, mailoutbox: Any
) -> None:
    ticket = _scrivi_case(django_capture_on_commit_callbacks)
    operator = _client(cast.operator)
    mailoutbox.clear()  # the acknowledgement
    with django_capture_on_commit_callbacks(execute=True):
        _act(operator, ticket, "reply", {"text": "Lo sportello apre alle 8:30."})
    page = operator.get(reverse("console:case", args=[ticket.code])).content.decode()
    form = _resolve_form(page)
    # Answered a moment ago: the form offers no second message unless asked.
    assert "checked" in form.split('value="silent"', 1)[1].split(">", 1)[0]
    assert "già ricevuto una risposta" in form
    with django_capture_on_commit_callbacks(execute=True):
        _act(
            operator,
            ticket,
            "resolve",
            {"resolution": "Informazione data: orari dello sportello.", "notify": "silent"},
        )

    assert [m.body for m in mailoutbox] == ["Lo sportello apre alle 8:30."]
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED
    status = client.get(reverse("scrivi:status", args=[ticket.code])).content.decode()
    assert 'data-status="resolved"' in status
    assert "Lo sportello apre alle 8:30." in status
    assert "Informazione data" not in status  # kept internal, as the form said


def test_resolving_with_the_text_sent_emails_it_and_shows_it_publicly(
    cast: personas.Cast, client: Client, django_capture_on_commit_callbacks: Any, mailoutbox: Any
) -> None:
    ticket = _scrivi_case(django_capture_on_commit_callbacks)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _act(
            _client(cast.operator),
            ticket,
            "resolve",
            {"resolution": "Lo sportello apre alle 8:30.", "notify": "send"},
        )
    assert [m.body for m in mailoutbox] == ["Lo sportello apre alle 8:30."]
    status = client.get(reverse("scrivi:status", args=[ticket.code])).content.decode()
    assert 'data-status="resolved"' in status
    assert "Lo sportello apre alle 8:30." in status


def test_resolving_needs_a_choice_about_the_message(
    cast: personas.Cast, django_capture_on_commit_callbacks: Any
) -> None:
    ticket = _scrivi_case(django_capture_on_commit_callbacks)
    url = reverse("console:case-action", args=[ticket.code, "resolve"])
    response = _client(cast.operator).post(url, {"resolution": "Fatto.", "confirmed": "True"})
    assert response.status_code == 400
    assert "Scegli se inviare" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status != Ticket.Status.RESOLVED


def test_after_the_citizen_writes_again_the_form_proposes_sending(cast: personas.Cast) -> None:
    ticket = factories.open_case("Quando apre lo sportello?")  # an email thread
    operator = _client(cast.operator)
    _act(operator, ticket, "reply", {"text": "Lo sportello apre alle 8:30."})
    factories.citizen_answers(ticket, "E il sabato?")
    page = operator.get(reverse("console:case", args=[ticket.code])).content.decode()
    form = _resolve_form(page)
    assert "checked" in form.split('value="send"', 1)[1].split(">", 1)[0]
    assert "già ricevuto una risposta" not in form
