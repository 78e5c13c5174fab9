"""The case page of a WhatsApp or Messenger case: it says until when a free reply may go, and once
the window is closed it says so, refuses the reply and offers the approved templates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from ascolto.channels.adapters.meta.sandbox import GraphSandbox
from ascolto.channels.models import Channel, Message
from tests import personas
from tests.meta.cases import whatsapp_case, with_templates

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # 10:00 in Rome


@pytest.fixture
def whatsapp(cast: personas.Cast) -> Channel:
    return with_templates(cast.whatsapp)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_page_says_until_when_a_free_reply_may_go(
    cast: personas.Cast,
    whatsapp: Channel,
    graph_sandbox: GraphSandbox,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        ticket = whatsapp_case(whatsapp, django_capture_on_commit_callbacks)
        clock.shift(timedelta(hours=2))
        page = _client(cast.operator).get(reverse("console:case", args=[ticket.code]))
    html = page.content.decode()
    assert "Si può rispondere liberamente fino al 03/03/2026 10:00" in html
    assert 'id="action-reply"' in html
    assert 'id="action-template"' not in html  # only once the window is closed


def test_once_the_window_is_closed_the_page_offers_a_template_and_sends_it(
    cast: personas.Cast,
    whatsapp: Channel,
    graph_sandbox: GraphSandbox,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        ticket = whatsapp_case(whatsapp, django_capture_on_commit_callbacks)
        clock.shift(timedelta(days=2))
        client = _client(cast.operator)
        url = reverse("console:case", args=[ticket.code])
        html = client.get(url).content.decode()
        assert 'id="reply-window"' in html
        assert "La finestra di risposta è chiusa" in html
        assert "02/03/2026 10:00" in html  # the citizen's last message
        assert 'id="action-reply"' not in html
        assert 'id="action-template"' in html
        assert "Aggiornamento sulla pratica (it)" in html
        assert "Valore di {{2}}" in html

        action = reverse("console:case-action", args=[ticket.code, "template"])
        missing = client.post(
            action,
            {"template": "aggiornamento_pratica:it", "parameter_1": "MI-1", "confirmed": "True"},
        )
        assert missing.status_code == 400
        assert "chiede 2 valori" in missing.content.decode()

        with django_capture_on_commit_callbacks(execute=True):
            sent = client.post(
                action,
                {
                    "template": "aggiornamento_pratica:it",
                    "parameter_1": "MI-1",
                    "parameter_2": "i lavori sono finiti",
                    "confirmed": "True",
                },
            )
        assert sent.status_code == 302
        html = client.get(url).content.decode()

    assert "sulla pratica MI-1 c&#x27;è una novità: i lavori sono finiti" in html
    [request] = graph_sandbox.sent()
    assert request.body["template"]["name"] == "aggiornamento_pratica"
    reply = Message.objects.get(direction=Message.Direction.OUTBOUND)
    assert reply.status == Message.Status.SENT


def test_a_closed_window_without_templates_says_to_configure_one(
    cast: personas.Cast, graph_sandbox: GraphSandbox, django_capture_on_commit_callbacks: Any
) -> None:
    whatsapp = cast.whatsapp
    whatsapp.config = {**whatsapp.config, "opens_cases": True}
    whatsapp.save()
    with time_machine.travel(T0, tick=False) as clock:
        ticket = whatsapp_case(whatsapp, django_capture_on_commit_callbacks)
        clock.shift(timedelta(days=2))
        html = _client(cast.operator).get(reverse("console:case", args=[ticket.code]))
    text = html.content.decode()
    assert "nessun modello approvato è configurato" in text
