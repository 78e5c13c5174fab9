"""Replies on WhatsApp, Messenger and Instagram, end to end against the local Graph server over
real HTTP: a reply queued by the case's action leaves through the outbox and the Meta adapter,
is "Inviato" only once the server accepted it (its wamid or mid is the message's external id),
is refused outside Meta's messaging window (with an approved template as WhatsApp's way out),
is retried after a transient failure and failed with Meta's reason after a permanent one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from ascolto.channels import actions as channel_actions
from ascolto.channels.actions import Choice
from ascolto.channels.adapters.meta.sandbox import GraphSandbox
from ascolto.channels.config import validate_config
from ascolto.channels.inbound import InboundMessage
from ascolto.channels.models import Channel, Message
from ascolto.channels.windows import reply_window
from ascolto.core import outbox
from ascolto.core.errors import DomainError, InvalidInput
from ascolto.core.models import OutboxEvent
from ascolto.tickets import actions
from ascolto.tickets.models import Ticket
from tests import personas
from tests.meta.cases import NUMBER, whatsapp_case, with_templates, write

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PAGE_ID = "555000111"


@pytest.fixture
def whatsapp(cast: personas.Cast) -> Channel:
    return with_templates(cast.whatsapp)


def _reply(ticket: Ticket, text: str, operator: Any, capture: Any) -> Message:
    with capture(execute=True):
        return actions.reply_to_ticket(ticket, text, actor=operator)


def test_a_reply_inside_the_window_is_sent_and_carries_the_wamid(
    cast: personas.Cast,
    whatsapp: Channel,
    graph_sandbox: GraphSandbox,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        ticket = whatsapp_case(whatsapp, django_capture_on_commit_callbacks)
        clock.shift(timedelta(hours=23))
        reply = _reply(
            ticket, "Mandiamo una squadra.", cast.operator, django_capture_on_commit_callbacks
        )

    [request] = graph_sandbox.sent()
    assert request.path == "/v23.0/1234567890/messages"
    assert request.authorization == f"Bearer {graph_sandbox.token}"
    assert request.body["to"] == "393331234567"
    assert request.body["text"]["body"] == "Mandiamo una squadra."
    reply.refresh_from_db()
    assert reply.status == Message.Status.SENT
    assert reply.external_id.startswith("wamid.")


def test_outside_the_window_a_free_reply_is_refused_and_a_template_goes(
    cast: personas.Cast,
    whatsapp: Channel,
    graph_sandbox: GraphSandbox,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        ticket = whatsapp_case(whatsapp, django_capture_on_commit_callbacks)
        clock.shift(timedelta(hours=24, minutes=1))
        route = actions.reply_route(ticket)
        assert route.window is not None and route.window.needs_template
        assert "più di 24 ore" in route.refusal

        with pytest.raises(DomainError, match="solo con un modello approvato"):
            _reply(ticket, "Risposta tardiva.", cast.operator, django_capture_on_commit_callbacks)
        assert not Message.objects.filter(direction=Message.Direction.OUTBOUND).exists()

        with pytest.raises(InvalidInput, match="chiede 2 valori"):
            actions.reply_with_template(
                ticket, "aggiornamento_pratica", ["MI-1"], actor=cast.operator
            )
        with django_capture_on_commit_callbacks(execute=True):
            sent = actions.reply_with_template(
                ticket,
                "aggiornamento_pratica",
                ["MI-1", "i lavori partono lunedì"],
                actor=cast.operator,
            )

    [request] = graph_sandbox.sent()
    assert request.body["type"] == "template"
    assert request.body["template"] == {
        "name": "aggiornamento_pratica",
        "language": {"code": "it"},
        "components": [
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "text": "MI-1"},
                    {"type": "text", "text": "i lavori partono lunedì"},
                ],
            }
        ],
    }
    sent.refresh_from_db()
    assert sent.status == Message.Status.SENT
    assert sent.text == (
        "Gentile cittadino, sulla pratica MI-1 c'è una novità: i lavori partono lunedì. "
        "Rispondi qui."
    )
    # The citizen answers: the window is open again.
    with time_machine.travel(T0 + timedelta(hours=30), tick=False):
        write(whatsapp, "whatsapp", NUMBER, "Grazie!", "wamid.IN2")
        window = actions.reply_route(ticket).window
        assert window is not None and window.is_open
        assert window.closes_at == T0 + timedelta(hours=54)


def test_a_transient_failure_is_retried_then_sent(
    cast: personas.Cast,
    whatsapp: Channel,
    graph_sandbox: GraphSandbox,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        ticket = whatsapp_case(whatsapp, django_capture_on_commit_callbacks)
        graph_sandbox.fail_next(1, status=500)
        reply = _reply(ticket, "Ci siamo.", cast.operator, django_capture_on_commit_callbacks)
        reply.refresh_from_db()
        assert (reply.status, reply.external_id) == (Message.Status.QUEUED, "")
        [event] = OutboxEvent.objects.filter(topic="message.outbound", processed_at=None)
        assert event.next_attempt_at is not None
        clock.move_to(event.next_attempt_at)
        assert outbox.relay_pending(older_than=timedelta(0)) == 1

    assert len(graph_sandbox.sent()) == 2  # the failed try and the accepted one
    reply.refresh_from_db()
    assert reply.status == Message.Status.SENT
    assert reply.external_id.startswith("wamid.")


@pytest.mark.parametrize(
    ("code", "reason"),
    [(131047, "più di 24 ore"), (190, "token di accesso"), (100, "rifiutato un dato")],
)
def test_a_permanent_failure_fails_the_reply_with_metas_reason_and_it_can_be_resent(
    cast: personas.Cast,
    whatsapp: Channel,
    graph_sandbox: GraphSandbox,
    django_capture_on_commit_callbacks: Any,
    code: int,
    reason: str,
) -> None:
    with time_machine.travel(T0, tick=False):
        ticket = whatsapp_case(whatsapp, django_capture_on_commit_callbacks)
        graph_sandbox.fail_next(1, code=code)
        reply = _reply(ticket, "Ci siamo.", cast.operator, django_capture_on_commit_callbacks)
        reply.refresh_from_db()
        assert reply.status == Message.Status.FAILED
        assert reason in reply.last_error
        assert f"codice Meta {code}" in reply.last_error
        assert len(graph_sandbox.sent()) == 1  # not retried

        with django_capture_on_commit_callbacks(execute=True):
            actions.resend_reply(ticket, reply, actor=cast.operator)
    reply.refresh_from_db()
    assert reply.status == Message.Status.SENT
    assert len(graph_sandbox.sent()) == 2


def test_a_reply_queued_in_time_but_sent_after_the_window_fails_without_reaching_meta(
    cast: personas.Cast,
    whatsapp: Channel,
    graph_sandbox: GraphSandbox,
    django_capture_on_commit_callbacks: Any,
    settings: Any,
) -> None:
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}
    }
    with time_machine.travel(T0, tick=False) as clock:
        ticket = whatsapp_case(whatsapp, django_capture_on_commit_callbacks)
        clock.shift(timedelta(hours=23, minutes=59))
        reply = _reply(ticket, "Quasi in tempo.", cast.operator, django_capture_on_commit_callbacks)
        clock.shift(timedelta(minutes=5))  # the worker was down; the relay sends it now
        outbox.relay_pending(older_than=timedelta(0))
    reply.refresh_from_db()
    assert reply.status == Message.Status.FAILED
    assert "più di 24 ore" in reply.last_error
    assert graph_sandbox.sent() == []


def test_buttons_and_lists_for_the_chatbot(
    cast: personas.Cast,
    whatsapp: Channel,
    graph_sandbox: GraphSandbox,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with time_machine.travel(T0, tick=False):
        ticket = whatsapp_case(whatsapp, django_capture_on_commit_callbacks)
        conversation = ticket.conversations.get()
        with django_capture_on_commit_callbacks(execute=True):
            buttons = channel_actions.send_interactive(
                conversation, "Ti è stato utile?", [Choice("si", "Sì"), Choice("no", "No")]
            )
            listed = channel_actions.send_interactive(
                conversation,
                "Di cosa si tratta?",
                [Choice(f"tema-{i}", f"Tema {i}", "descrizione") for i in range(10)],
                button="Scegli",
            )
        with pytest.raises(InvalidInput):
            channel_actions.send_interactive(
                conversation, "Troppi", [Choice(str(i), str(i)) for i in range(4)]
            )

    first, second = graph_sandbox.sent()
    assert first.body["interactive"]["action"]["buttons"] == [
        {"type": "reply", "reply": {"id": "si", "title": "Sì"}},
        {"type": "reply", "reply": {"id": "no", "title": "No"}},
    ]
    assert second.body["interactive"]["type"] == "list"
    assert len(second.body["interactive"]["action"]["sections"][0]["rows"]) == 10
    buttons.refresh_from_db()
    listed.refresh_from_db()
    assert buttons.status == listed.status == Message.Status.SENT
    assert buttons.text == "Ti è stato utile?\n• Sì\n• No"


def test_opening_the_case_sends_one_read_receipt(
    cast: personas.Cast,
    whatsapp: Channel,
    graph_sandbox: GraphSandbox,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        ticket = whatsapp_case(whatsapp, django_capture_on_commit_callbacks)
        clock.shift(timedelta(minutes=1))
        with django_capture_on_commit_callbacks(execute=True):
            write(whatsapp, "whatsapp", NUMBER, "Aggiungo una foto.", "wamid.IN2")
        assert graph_sandbox.requests == []  # taken in, not yet seen by anyone

        client = Client()
        client.force_login(cast.operator)
        url = reverse("console:case", args=[ticket.code])
        with django_capture_on_commit_callbacks(execute=True):
            assert client.get(url).status_code == 200
        with django_capture_on_commit_callbacks(execute=True):
            assert client.get(url).status_code == 200

    [read] = graph_sandbox.sent()
    assert read.body == {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": "wamid.IN2",  # the latest: Meta marks the earlier ones read with it
    }
    statuses = set(
        Message.objects.filter(direction=Message.Direction.INBOUND).values_list("status", flat=True)
    )
    assert statuses == {Message.Status.READ}


@pytest.fixture
def messenger(cast: personas.Cast) -> Channel:
    return personas.make_channel(
        "messenger",
        "messenger",
        "Messenger del Comune",
        {"page_id": PAGE_ID, "opens_cases": True, "human_agent": True},
    )


def test_messenger_replies_in_the_window_then_as_human_agent_then_not(
    cast: personas.Cast,
    messenger: Channel,
    graph_sandbox: GraphSandbox,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        with django_capture_on_commit_callbacks(execute=True):
            ticket = write(messenger, "facebook_psid", "6789012345", "Buche in via Roma.", "m_IN1")
        first = _reply(ticket, "Segnalato.", cast.operator, django_capture_on_commit_callbacks)
        clock.shift(timedelta(days=3))
        second = _reply(ticket, "Riparato.", cast.operator, django_capture_on_commit_callbacks)
        clock.shift(timedelta(days=4, minutes=1))
        window = reply_window(ticket.conversations.get())
        assert window is not None and not window.is_open and not window.needs_template
        with pytest.raises(DomainError, match="Meta non consente più risposte"):
            _reply(ticket, "Troppo tardi.", cast.operator, django_capture_on_commit_callbacks)

    one, two = graph_sandbox.sent()
    assert one.path == two.path == f"/v23.0/{PAGE_ID}/messages"
    assert one.body == {
        "recipient": {"id": "6789012345"},
        "messaging_type": "RESPONSE",
        "message": {"text": "Segnalato."},
    }
    assert (two.body["messaging_type"], two.body["tag"]) == ("MESSAGE_TAG", "HUMAN_AGENT")
    for message in (first, second):
        message.refresh_from_db()
        assert message.status == Message.Status.SENT
        assert message.external_id.startswith("m_")


def test_instagram_replies_only_within_24_hours_without_human_agent(
    cast: personas.Cast, graph_sandbox: GraphSandbox, django_capture_on_commit_callbacks: Any
) -> None:
    instagram = personas.make_channel(
        "instagram", "instagram", "Instagram del Comune", {"page_id": PAGE_ID, "opens_cases": True}
    )
    with time_machine.travel(T0, tick=False) as clock:
        with django_capture_on_commit_callbacks(execute=True):
            ticket = write(instagram, "instagram_id", "17841400000", "Orari?", "ig_IN1")
        reply = _reply(
            ticket, "Dalle 9 alle 12.", cast.operator, django_capture_on_commit_callbacks
        )
        clock.shift(timedelta(hours=25))
        with pytest.raises(DomainError, match="Meta non consente più risposte"):
            _reply(ticket, "Tardi.", cast.operator, django_capture_on_commit_callbacks)
        with pytest.raises(InvalidInput, match="troppo lunga per Instagram"):
            clock.shift(timedelta(hours=-24))
            _reply(ticket, "x" * 1001, cast.operator, django_capture_on_commit_callbacks)
    [request] = graph_sandbox.sent()
    assert request.body["messaging_type"] == "RESPONSE"
    reply.refresh_from_db()
    assert reply.status == Message.Status.SENT


@pytest.mark.parametrize(
    ("templates", "field"),
    [
        ([{"name": "a", "body": "Pratica {{1}} e {{3}}"}], "templates.0.body"),
        ([{"name": "Nome Con Spazi", "body": "x"}], "templates.0.name"),
        ([{"name": "a", "body": "x"}, {"name": "a", "body": "y"}], "templates"),
        ([{"name": "a", "language": "italiano", "body": "x"}], "templates.0.language"),
    ],
)
def test_wrong_templates_are_refused_when_the_channel_is_saved(
    templates: list[dict[str, str]], field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        validate_config("whatsapp", {"phone_number_id": "1234567890", "templates": templates})
    assert f"{field}: " in refused.value.message


def test_a_comment_thread_has_no_messaging_window(cast: personas.Cast) -> None:
    instagram = personas.make_channel(
        "instagram", "instagram", "Instagram del Comune", {"page_id": PAGE_ID, "opens_cases": True}
    )
    with time_machine.travel(T0, tick=False) as clock:
        received = channel_actions.receive(
            InboundMessage(
                channel=instagram.code,
                external_id="17890001",
                handle_kind="instagram_id",
                handle="17841400000",
                text="Quando riapre il parco?",
                thread_id="17890001",
                raw={"social": {"comment_id": "17890001"}},
            )
        )
        conversation = received.conversation
        clock.shift(timedelta(days=30))
        assert reply_window(conversation) is None
        # Nor does a comment open the window of the citizen's direct messages.
        dm = write(instagram, "instagram_id", "17841400000", "Ciao", "ig_DM1")
        clock.shift(timedelta(hours=25))
        window = reply_window(dm.conversations.get())
        assert window is not None and not window.is_open
        assert window.last_inbound_at == T0 + timedelta(days=30)


def test_a_reply_on_a_comment_thread_is_left_to_the_comments_adapter(
    cast: personas.Cast, graph_sandbox: GraphSandbox, django_capture_on_commit_callbacks: Any
) -> None:
    instagram = personas.make_channel(
        "instagram", "instagram", "Instagram del Comune", {"page_id": PAGE_ID, "opens_cases": True}
    )
    with time_machine.travel(T0, tick=False):
        received = channel_actions.receive(
            InboundMessage(
                channel=instagram.code,
                external_id="17890002",
                handle_kind="instagram_id",
                handle="17841400000",
                text="Il parco è chiuso?",
                thread_id="17890002",
                raw={"social": {"comment_id": "17890002"}},
            )
        )
        assert received.ticket_id is not None
        ticket = Ticket.objects.get(pk=received.ticket_id)
        reply = _reply(ticket, "Riapre domani.", cast.operator, django_capture_on_commit_callbacks)
    reply.refresh_from_db()
    # Never a direct message: the comments adapter (the social triage's) answers under the
    # comment; without one registered, the reply fails with the reason.
    assert graph_sandbox.sent("/messages") == []
    if reply.status == Message.Status.FAILED:
        assert "coda dei social" in reply.last_error
    else:
        assert reply.status == Message.Status.SENT
        assert [r.path for r in graph_sandbox.sent("/replies")] == ["/v23.0/17890002/replies"]


class _Recorder:
    """A comments adapter that records what it was handed."""

    def __init__(self) -> None:
        self.handed: list[int] = []

    def send(self, message: Message) -> str:
        self.handed.append(message.pk)
        return "17890099"


def test_the_meta_adapter_hands_comment_replies_to_the_comments_adapter(
    cast: personas.Cast, graph_sandbox: GraphSandbox, django_capture_on_commit_callbacks: Any
) -> None:
    from ascolto.channels.adapters.meta.adapter import MetaAdapter

    instagram = personas.make_channel(
        "instagram", "instagram", "Instagram del Comune", {"page_id": PAGE_ID, "opens_cases": True}
    )
    with time_machine.travel(T0, tick=False):
        received = channel_actions.receive(
            InboundMessage(
                channel=instagram.code,
                external_id="17890003",
                handle_kind="instagram_id",
                handle="17841400000",
                text="Il parco è chiuso?",
                thread_id="17890003",
                raw={"social": {"comment_id": "17890003"}},
            )
        )
        message = channel_actions.send_message(received.conversation, "Riapre domani.")
    comments = _Recorder()
    assert MetaAdapter(comments=comments).send(message) == "17890099"
    assert comments.handed == [message.pk]
    assert graph_sandbox.requests == []
