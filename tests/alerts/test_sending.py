"""An alert sent by approved WhatsApp template, outside the 24-hour window, to the citizens who
opted in and to no one else, once each: end to end through the outbox to the local Graph
server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from ascolto.channels.adapters.meta.sandbox import GraphSandbox
from ascolto.channels.models import Channel, Message
from ascolto.core.errors import DomainError
from ascolto.knowledge import alerts
from ascolto.knowledge.models import AlertDelivery
from tests import personas
from tests.alerts.helpers import make_alert
from tests.meta.cases import TEMPLATES, write

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 1, 12, 7, 0, tzinfo=UTC)
ALERT_TEMPLATE = {
    "name": "avviso_comune",
    "language": "it",
    "label": "Avviso del Comune",
    "body": "Avviso del Comune: {{1}}. {{2}} Per saperne di più: {{3}}",
}


@pytest.fixture
def whatsapp(cast: personas.Cast) -> Channel:
    channel = cast.whatsapp
    channel.config = {
        **channel.config,
        "opens_cases": True,
        "templates": [*TEMPLATES, ALERT_TEMPLATE],
    }
    channel.full_clean()
    channel.save()
    return channel


def test_an_alert_goes_to_the_subscribers_only_and_once(
    cast: personas.Cast,
    whatsapp: Channel,
    graph_sandbox: GraphSandbox,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        with django_capture_on_commit_callbacks(execute=True):
            write(whatsapp, "whatsapp", "+393331234567", "C'è neve in via Roma?", "wamid.IN1")
            write(whatsapp, "whatsapp", "+393337654321", "Buongiorno", "wamid.IN2")
        alerts.subscribe("whatsapp", "393331234567")  # wrote before: the window will be closed
        alerts.subscribe("whatsapp", "393401112233")  # opted in, never wrote a case
        alerts.subscribe("whatsapp", "393409998877")
        alerts.unsubscribe("whatsapp", "393409998877")  # changed their mind
        # +393337654321 wrote to the city but never opted in: it gets nothing.
        clock.shift(timedelta(days=2))  # every 24-hour window is closed
        snow = make_alert(
            T0 + timedelta(days=2),
            hours=12,
            link="https://www.comune.example.it/neve",
        )
        graph_sandbox.reset()
        with django_capture_on_commit_callbacks(execute=True):
            report = alerts.send_alert(snow, actor=cast.supervisor)
        assert report == alerts.SendReport(queued=2, already_sent=0, unreachable=0)

        sent = graph_sandbox.sent()
        assert sorted(r.body["to"] for r in sent) == ["393331234567", "393401112233"]
        for request in sent:
            assert request.body["type"] == "template"
            assert request.body["template"]["name"] == "avviso_comune"
            assert [p["text"] for p in request.body["template"]["components"][0]["parameters"]] == [
                "Emergenza neve",
                "Scuole chiuse domani; i mezzi pubblici viaggiano a orario ridotto.",
                "https://www.comune.example.it/neve",
            ]
        messages = Message.objects.filter(raw__template__name="avviso_comune")
        assert {m.status for m in messages} == {Message.Status.SENT}
        assert messages.first().text.startswith("Avviso del Comune: Emergenza neve.")  # type: ignore[union-attr]

        # Pressed again (or by a colleague): nobody gets it twice; a new subscriber gets it.
        alerts.subscribe("whatsapp", "393337654321")
        graph_sandbox.reset()
        with django_capture_on_commit_callbacks(execute=True):
            again = alerts.send_alert(snow, actor=cast.supervisor)
        assert again == alerts.SendReport(queued=1, already_sent=2, unreachable=0)
        assert [r.body["to"] for r in graph_sandbox.sent()] == ["393337654321"]
        assert AlertDelivery.objects.filter(alert=snow).count() == 3


def test_an_ended_alert_or_a_missing_template_sends_nothing(
    cast: personas.Cast, graph_sandbox: GraphSandbox
) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        alerts.subscribe("whatsapp", "393331234567")
        snow = make_alert(T0, hours=1)
        with pytest.raises(DomainError, match="avviso_comune"):  # not among the approved
            alerts.send_alert(snow)
        clock.shift(timedelta(hours=1))
        with pytest.raises(DomainError, match="terminato"):
            alerts.send_alert(snow)
    assert not Message.objects.filter(direction=Message.Direction.OUTBOUND).exists()
    assert not AlertDelivery.objects.exists()
    assert graph_sandbox.sent() == []


def test_the_parameters_fit_the_template(taxonomy: None) -> None:
    snow = make_alert(T0, link="https://www.comune.example.it/neve", text="Scuole\nchiuse.")
    assert alerts.template_parameters(snow, 1) == ["Emergenza neve"]
    assert alerts.template_parameters(snow, 2) == [
        "Emergenza neve",
        "Scuole chiuse. https://www.comune.example.it/neve",
    ]
    plain = make_alert(T0, text="Scuole chiuse.")
    assert alerts.template_parameters(plain, 3)[2].endswith("/scrivi/")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_editors_pressing_send_together_send_it_once(graph_sandbox: GraphSandbox) -> None:
    """Two sends of one alert at the same instant (PostgreSQL: real row locks): the second waits
    for the first and finds everyone served."""
    from tests import factories
    from tests.test_receive_idempotent import _race

    factories.ensure_taxonomy()
    cast = personas.build_cast()
    channel = cast.whatsapp
    channel.config = {**channel.config, "templates": [ALERT_TEMPLATE]}
    channel.full_clean()
    channel.save()
    for number in ("393331234567", "393401112233", "393409998877"):
        alerts.subscribe("whatsapp", number)
    snow = make_alert(timezone.now() - timedelta(minutes=1), hours=2)
    first, second = _race([lambda: alerts.send_alert(snow), lambda: alerts.send_alert(snow)])
    assert sorted([first.queued, second.queued]) == [0, 3]
    assert sorted([first.already_sent, second.already_sent]) == [0, 3]
    assert AlertDelivery.objects.filter(alert=snow).count() == 3
    assert Message.objects.filter(raw__template__name="avviso_comune").count() == 3


def test_the_console_button_sends_after_its_confirmation_page(
    cast: personas.Cast,
    whatsapp: Channel,
    graph_sandbox: GraphSandbox,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from django.test import Client

    client = Client()
    client.force_login(cast.supervisor)
    with time_machine.travel(T0, tick=False):
        alerts.subscribe("whatsapp", "393331234567")
        snow = make_alert(T0, hours=2)
        confirm = client.get(f"/console/alerts/{snow.pk}/send/").content.decode()
        assert "Lo riceverà 1 cittadino." in confirm
        assert "non è tra quelli approvati" not in confirm
        assert graph_sandbox.sent() == []  # the page asks; only its button sends
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/console/alerts/{snow.pk}/send/", follow=True)
        assert "Avviso inviato a 1 iscritto." in response.content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            again = client.post(f"/console/alerts/{snow.pk}/send/", follow=True)
        assert "1 lo aveva già ricevuto." in again.content.decode()
    assert [r.body["to"] for r in graph_sandbox.sent()] == ["393331234567"]
