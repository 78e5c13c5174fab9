"""Meta's receipts move our replies forward (sent → delivered → read, or failed with Meta's
reason) and never back, in whatever order Meta delivers them."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from ascolto.channels.actions import send_message
from ascolto.channels.adapters.meta import deliveries
from ascolto.channels.adapters.meta.sandbox import GraphSandbox
from ascolto.channels.models import Conversation, Message
from tests.meta.inbound.conftest import Meta, payload

pytestmark = pytest.mark.django_db


@pytest.fixture
def reply(
    meta: Meta, graph_sandbox: GraphSandbox, django_capture_on_commit_callbacks: Any
) -> Callable[[], Message]:
    """Reply to the citizen who wrote on WhatsApp, through the outbox and the WhatsApp adapter
    to the local Graph server: the reply is "sent" with the wamid the server gave back."""
    meta.deliver("whatsapp_text")
    deliveries.drain()
    conversation = Conversation.objects.get(channel=meta.whatsapp)

    def send() -> Message:
        # An hour after the citizen wrote: inside WhatsApp's 24-hour window for a free reply.
        with (
            time_machine.travel(datetime.fromtimestamp(1780003600, UTC), tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            message = send_message(conversation, "Grazie, abbiamo inoltrato la segnalazione.")
        message.refresh_from_db()
        assert message.status == Message.Status.SENT and message.external_id.startswith("wamid.")
        return message

    return send


def _status(name: str, message: Message, **changes: Any) -> dict[str, Any]:
    """The fixture's status update, about `message`."""
    changes = {"id": message.external_id, **changes}
    data = copy.deepcopy(payload(name))
    data["entry"][0]["changes"][0]["value"]["statuses"][0].update(changes)
    return data


def _apply(meta: Meta, *bodies: dict[str, Any] | str) -> None:
    for body in bodies:
        assert meta.deliver(body).status_code == 200
    assert deliveries.drain().failed == 0


def _state(message: Message) -> tuple[str, str]:
    message.refresh_from_db()
    return message.status, message.last_error


def test_delivered_then_read(meta: Meta, reply: Callable[[], Message]) -> None:
    sent = reply()
    _apply(meta, _status("whatsapp_status_delivered", sent))
    assert _state(sent) == ("delivered", "")
    _apply(meta, _status("whatsapp_status_read", sent))
    assert _state(sent) == ("read", "")


def test_read_before_delivered_stays_read(meta: Meta, reply: Callable[[], Message]) -> None:
    sent = reply()
    _apply(meta, _status("whatsapp_status_read", sent))
    assert _state(sent) == ("read", "")
    _apply(meta, _status("whatsapp_status_delivered", sent))  # late: must not move it back
    assert _state(sent) == ("read", "")
    _apply(meta, _status("whatsapp_status_delivered", sent, status="sent"))
    assert _state(sent) == ("read", "")


def test_delivered_and_read_in_one_delivery_in_the_wrong_order(
    meta: Meta, reply: Callable[[], Message]
) -> None:
    sent = reply()
    both = _status("whatsapp_status_read", sent)
    both["entry"][0]["changes"][0]["value"]["statuses"].append(
        _status("whatsapp_status_delivered", sent)["entry"][0]["changes"][0]["value"]["statuses"][0]
    )
    _apply(meta, both)
    assert _state(sent) == ("read", "")


def test_a_failure_keeps_metas_reason(meta: Meta, reply: Callable[[], Message]) -> None:
    sent = reply()
    _apply(meta, _status("whatsapp_status_failed", sent))
    status, error = _state(sent)
    assert status == "failed"
    assert error == (
        "Re-engagement message (131047): Message failed to send because more than 24 hours "
        "have passed since the customer last replied to this number."
    )


def test_a_failure_after_read_changes_nothing_and_delivered_after_failed_wins(
    meta: Meta, reply: Callable[[], Message]
) -> None:
    read = reply()
    _apply(meta, _status("whatsapp_status_read", read), _status("whatsapp_status_failed", read))
    assert _state(read) == ("read", "")

    other = reply()
    _apply(meta, _status("whatsapp_status_failed", other))
    assert _state(other)[0] == "failed"
    _apply(meta, _status("whatsapp_status_delivered", other))
    assert _state(other) == ("delivered", "")  # it did reach the citizen after all


def test_a_status_of_a_message_we_never_sent_is_ignored(
    meta: Meta, reply: Callable[[], Message]
) -> None:
    sent = reply()
    _apply(meta, _status("whatsapp_status_read", sent, id="wamid.NOT-OURS"))
    assert _state(sent) == ("sent", "")
