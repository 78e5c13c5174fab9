"""Outgoing webhooks: domain events become signed POSTs to a real receiver on the loopback,
once per subscription and event, retried with backoff while it is down, never lost, and sent
again by an administrator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.test import Client, override_settings

from ascolto.api import webhooks
from ascolto.api.models import WebhookCall, WebhookSubscription
from ascolto.core import outbox
from ascolto.core.errors import InvalidInput
from ascolto.core.models import OutboxEvent
from ascolto.core.webhooks import signature_ok
from ascolto.surveys.models import Response, Survey, SurveyVersion
from ascolto.tickets import actions
from ascolto.tickets.models import Ticket
from tests import factories, personas
from tests.webhooks.receiver import Receiver

T0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver().start()
    yield running
    running.stop()


def handle_outbox() -> None:
    """Run the outbox handlers of every pending event, as the task after commit does."""
    for pk in (
        OutboxEvent.objects.filter(processed_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    ):
        outbox.process_event(pk)


@override_settings(ASCOLTO_WEBHOOKS_ALLOW_LOOPBACK=True)
def subscribe(url: str, events: list[str], **kwargs: object) -> WebhookSubscription:
    return webhooks.create_subscription("Portale del Comune", url, events, **kwargs)  # type: ignore[arg-type]


def test_a_delivery_is_signed_so_the_receiver_can_verify_it(
    cast: personas.Cast, receiver: Receiver
) -> None:
    subscription = subscribe(receiver.url, ["case.opened"])
    ticket = factories.open_case("Non ho ricevuto l'avviso TARI.", email="maria.rossi@example.it")
    handle_outbox()

    done = webhooks.deliver_due()

    assert done == webhooks.Delivered(delivered=1)
    [got] = receiver.delivered()
    timestamp = got.headers["X-Ascolto-Timestamp"]
    signature = got.headers["X-Ascolto-Signature"]
    assert signature_ok(subscription.secret, timestamp, signature, got.body, tolerance=300)
    assert not signature_ok("another secret", timestamp, signature, got.body, tolerance=300)
    assert not signature_ok(
        subscription.secret, timestamp, signature, got.body + b" ", tolerance=300
    )
    body = json.loads(got.body)
    assert got.headers["X-Ascolto-Event"] == body["event"] == "case.opened"
    assert got.headers["X-Ascolto-Event-Id"] == body["id"]
    assert body["data"]["case"]["id"] == ticket.pk
    assert body["data"]["case"]["status"] == "new"
    # No personal data: not the citizen's address, nor their words.
    assert b"maria" not in got.body.lower() and b"avviso" not in got.body.lower()
    call = WebhookCall.objects.get()
    assert (call.status, call.attempts, call.last_status_code) == ("delivered", 1, 200)


def test_a_timestamp_too_old_is_refused_by_the_receiver(
    cast: personas.Cast, receiver: Receiver
) -> None:
    subscription = subscribe(receiver.url, ["case.opened"])
    factories.open_case()
    handle_outbox()
    webhooks.deliver_due()
    [got] = receiver.delivered()
    timestamp = int(got.headers["X-Ascolto-Timestamp"])
    assert not signature_ok(
        subscription.secret,
        str(timestamp),
        got.headers["X-Ascolto-Signature"],
        got.body,
        tolerance=300,
        now=timestamp + 301,
    )


def test_each_event_goes_only_to_the_subscriptions_of_that_event(
    cast: personas.Cast, receiver: Receiver
) -> None:
    subscribe(receiver.url, ["case.resolved"])
    ticket = factories.open_case()
    actions.resolve_ticket(ticket, "Avviso inviato di nuovo.", actor=cast.operator)
    handle_outbox()

    webhooks.deliver_all()

    assert [json.loads(r.body)["event"] for r in receiver.delivered()] == ["case.resolved"]


def test_status_changes_are_published_with_both_statuses(
    cast: personas.Cast, receiver: Receiver
) -> None:
    subscribe(receiver.url, ["case.status_changed"])
    ticket = factories.open_case()
    ticket = actions.assign_ticket(ticket, actor=cast.operator, assignee=cast.operator)
    ticket = actions.resolve_ticket(ticket, "Fatto.", actor=cast.operator)
    actions.close_ticket(ticket, actor=cast.operator)
    handle_outbox()

    webhooks.deliver_all()

    moves = [
        (b["data"]["from_status"], b["data"]["to_status"])
        for b in (json.loads(r.body) for r in receiver.delivered())
    ]
    assert sorted(moves) == sorted([("new", "open"), ("open", "resolved"), ("resolved", "closed")])


def test_the_citizen_writing_again_is_a_status_change(cast: personas.Cast) -> None:
    ticket = factories.ticket_in(Ticket.Status.WAITING, actor=cast.operator, office=cast.tari)
    before = OutboxEvent.objects.filter(topic="ticket.status_changed").count()
    factories.citizen_answers(ticket)
    moved = OutboxEvent.objects.filter(topic="ticket.status_changed").order_by("pk")
    assert moved.count() == before + 1
    assert moved.last().payload == {  # type: ignore[union-attr]
        "ticket_id": ticket.pk,
        "from_status": "waiting",
        "to_status": "open",
    }


def test_a_subscription_scoped_to_an_office_gets_only_its_cases(
    cast: personas.Cast, receiver: Receiver
) -> None:
    subscribe(receiver.url, ["case.status_changed"], office=cast.tributi)
    tari_case = factories.open_case("TARI")
    anagrafe_case = factories.open_case("Carta d'identità")
    actions.escalate_ticket(tari_case, cast.tari, actor=cast.operator)  # below Tributi
    actions.escalate_ticket(anagrafe_case, cast.anagrafe, actor=cast.operator)
    handle_outbox()

    webhooks.deliver_all()

    cases = [json.loads(r.body)["data"]["case"]["id"] for r in receiver.delivered()]
    assert cases == [tari_case.pk]


def test_an_outbox_event_handled_twice_makes_one_call(cast: personas.Cast) -> None:
    subscribe("https://portale.example.it/hooks", ["case.opened"])
    factories.open_case()
    event = OutboxEvent.objects.get(topic="ticket.opened")

    webhooks.calls_for(event)
    webhooks.calls_for(event)
    handle_outbox()  # the real handler, a third time

    assert WebhookCall.objects.count() == 1


def test_an_inactive_subscription_gets_nothing(cast: personas.Cast) -> None:
    subscription = subscribe("https://portale.example.it/hooks", ["case.opened"])
    WebhookSubscription.objects.filter(pk=subscription.pk).update(is_active=False)
    factories.open_case()
    handle_outbox()
    assert not WebhookCall.objects.exists()


def test_a_receiver_down_then_failing_then_back_gets_every_event_once(
    cast: personas.Cast, receiver: Receiver
) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        subscribe(receiver.url, ["case.opened"])
        receiver.stop()  # down: connection refused
        first = factories.open_case("Primo")
        handle_outbox()
        assert webhooks.deliver_due() == webhooks.Delivered(retrying=1)
        call = WebhookCall.objects.get()
        assert call.attempts == 1 and "ConnectError" in call.last_error
        wait = call.next_attempt_at - T0
        assert timedelta(seconds=27) <= wait <= timedelta(seconds=33)  # 30 s ± 10 %
        assert webhooks.deliver_due() == webhooks.Delivered()  # not due yet: nothing sent

        receiver.start()  # back on the same port, but answering 500
        receiver.answer = 500
        second = factories.open_case("Secondo")
        handle_outbox()
        clock.shift(timedelta(seconds=34))
        assert webhooks.deliver_all() == webhooks.Delivered(retrying=2)
        first_call = WebhookCall.objects.get(payload__data__case__id=first.pk)
        assert (first_call.attempts, first_call.last_status_code) == (2, 500)
        wait = first_call.next_attempt_at - (T0 + timedelta(seconds=34))
        assert timedelta(seconds=54) <= wait <= timedelta(seconds=66)  # 60 s ± 10 %: doubled

        receiver.answer = 200
        clock.shift(timedelta(seconds=70))
        assert webhooks.deliver_all() == webhooks.Delivered(delivered=2)
        clock.shift(timedelta(hours=1))
        assert webhooks.deliver_all() == webhooks.Delivered()  # nothing left, nothing twice

    delivered = [json.loads(r.body)["data"]["case"]["id"] for r in receiver.delivered()]
    assert sorted(delivered) == sorted([first.pk, second.pk])
    assert len(receiver.received) == 4  # two answered 500, two delivered
    assert set(WebhookCall.objects.values_list("status", flat=True)) == {"delivered"}


def test_a_call_is_given_up_after_the_last_try_and_sent_again_by_the_administrator(
    cast: personas.Cast, receiver: Receiver, client: Client
) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        subscribe(receiver.url, ["case.opened"])
        receiver.answer = 503
        factories.open_case()
        handle_outbox()
        for _ in range(webhooks.MAX_ATTEMPTS):
            webhooks.deliver_due()
            clock.shift(webhooks.RETRY_CAP * 1.2)
        call = WebhookCall.objects.get()
        assert (call.status, call.attempts) == ("failed", webhooks.MAX_ATTEMPTS)
        assert call.failed_at is not None
        assert webhooks.deliver_all() == webhooks.Delivered()  # failed: not tried again
        assert len(receiver.received) == webhooks.MAX_ATTEMPTS

        receiver.answer = 204
        client.force_login(cast.administrator)
        response = client.post(
            "/admin/api/webhookcall/",
            {"action": "send_again", "_selected_action": [call.pk]},
            follow=True,
        )

    assert response.status_code == 200
    call.refresh_from_db()
    assert (call.status, call.attempts, call.last_status_code) == ("delivered", 1, 204)
    assert len(receiver.delivered()) == 1


def test_only_an_administrator_reaches_the_delivery_log(
    cast: personas.Cast, client: Client
) -> None:
    client.force_login(cast.supervisor)
    response = client.get("/admin/api/webhookcall/")
    assert response.status_code in (302, 403)


def test_a_subscription_needs_https_except_to_the_loopback_when_allowed() -> None:
    with pytest.raises(InvalidInput):
        webhooks.check_url("http://portale.example.it/hooks")
    with pytest.raises(InvalidInput):
        webhooks.check_url("ftp://portale.example.it/hooks")
    assert webhooks.check_url("https://portale.example.it/hooks")
    with override_settings(ASCOLTO_WEBHOOKS_ALLOW_LOOPBACK=False):
        with pytest.raises(InvalidInput):
            webhooks.check_url("http://127.0.0.1:8080/hooks")
    with override_settings(ASCOLTO_WEBHOOKS_ALLOW_LOOPBACK=True):
        assert webhooks.check_url("http://127.0.0.1:8080/hooks")
        assert webhooks.check_url("http://[::1]:8080/hooks")
        with pytest.raises(InvalidInput):
            webhooks.check_url("http://10.0.0.1/hooks")


def test_unknown_events_are_refused() -> None:
    with pytest.raises(InvalidInput):
        webhooks.check_events(["case.deleted"])
    with pytest.raises(InvalidInput):
        webhooks.check_events([])


def test_the_administrator_creates_a_subscription_with_a_drawn_secret(
    cast: personas.Cast, client: Client
) -> None:
    client.force_login(cast.administrator)
    refused = client.post(
        "/admin/api/webhooksubscription/add/",
        {
            "name": "Gestore rifiuti",
            "url": "http://rifiuti.example.it/h",
            "events": ["case.opened"],
        },
    )
    assert refused.status_code == 200 and not WebhookSubscription.objects.exists()
    response = client.post(
        "/admin/api/webhooksubscription/add/",
        {
            "name": "Gestore rifiuti",
            "url": "https://rifiuti.example.it/h",
            "events": ["case.opened", "case.resolved"],
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    subscription = WebhookSubscription.objects.get()
    assert subscription.secret.startswith("whsec_") and len(subscription.secret) > 30
    assert subscription.events == ["case.opened", "case.resolved"]


def test_a_survey_answer_is_sent_without_the_citizen(
    cast: personas.Cast, receiver: Receiver
) -> None:
    subscribe(receiver.url, ["survey.answered"], office=cast.tributi)
    survey = Survey.objects.create(code="tari-online", title="Pagamento TARI online")
    version = SurveyVersion.objects.create(survey=survey, number=1)
    ticket = factories.open_case()
    answer = Response.objects.create(
        survey=survey,
        version=version,
        source=Response.Source.WEB,
        office=cast.tari,
        ticket=ticket,
        citizen=ticket.citizen,
        csat=4,
    )
    elsewhere = Response.objects.create(
        survey=survey, version=version, source=Response.Source.WEB, office=cast.anagrafe
    )
    with transaction.atomic():  # as the surveys app publishes it
        outbox.publish("survey.answered", response_id=answer.pk)
        outbox.publish("survey.answered", response_id=elsewhere.pk)
    handle_outbox()

    webhooks.deliver_all()

    [got] = receiver.delivered()
    body = json.loads(got.body)
    assert body["event"] == "survey.answered"
    assert body["data"]["response"]["id"] == answer.pk
    assert body["data"]["response"]["csat"] == 4
    assert body["data"]["response"]["case_id"] == ticket.pk
    assert "citizen" not in body["data"]["response"]
    assert b"maria" not in got.body.lower()


def test_the_scheduled_command_sends_what_is_due(
    cast: personas.Cast, receiver: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    subscribe(receiver.url, ["case.opened"])
    factories.open_case()
    handle_outbox()

    call_command("deliver_webhooks")

    assert "1 delivered, 0 to retry, 0 given up" in capsys.readouterr().out
    assert len(receiver.delivered()) == 1
