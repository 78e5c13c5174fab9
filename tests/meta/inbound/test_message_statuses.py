"""Meta's receipts move our replies forward (sent → delivered → read, or failed with Meta's
reason) and never back, in whatever order Meta delivers them."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ascolto.channels.actions import send_message
from ascolto.channels.adapters.meta import deliveries
from ascolto.channels.models import Conversation, Message
from tests.meta.inbound.conftest import Meta, payload

pytestmark = pytest.mark.django_db


def _reply(meta: Meta, external_id: str, fixture: str = "whatsapp_text") -> Message:
    """A reply the adapter has sent: what its send recorded (the id the channel gave back)."""
    meta.deliver(fixture)
    deliveries.drain()
    conversation = Conversation.objects.get(channel=meta.whatsapp)
    message = send_message(conversation, "Grazie, abbiamo inoltrato la segnalazione.")
    Message.objects.filter(pk=message.pk).update(external_id=external_id, status="sent")
    return message


def _status(name: str, **changes: Any) -> dict[str, Any]:
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


def test_delivered_then_read(meta: Meta) -> None:
    reply = _reply(meta, "wamid.OUT-1")
    _apply(meta, "whatsapp_status_delivered")
    assert _state(reply) == ("delivered", "")
    _apply(meta, "whatsapp_status_read")
    assert _state(reply) == ("read", "")


def test_read_before_delivered_stays_read(meta: Meta) -> None:
    reply = _reply(meta, "wamid.OUT-1")
    _apply(meta, "whatsapp_status_read")
    assert _state(reply) == ("read", "")
    _apply(meta, "whatsapp_status_delivered")  # late: it must not move the reply back
    assert _state(reply) == ("read", "")
    _apply(meta, _status("whatsapp_status_delivered", status="sent"))
    assert _state(reply) == ("read", "")


def test_delivered_and_read_in_one_delivery_in_the_wrong_order(meta: Meta) -> None:
    reply = _reply(meta, "wamid.OUT-1")
    both = payload("whatsapp_status_read")
    both["entry"][0]["changes"][0]["value"]["statuses"].append(
        payload("whatsapp_status_delivered")["entry"][0]["changes"][0]["value"]["statuses"][0]
    )
    _apply(meta, both)
    assert _state(reply) == ("read", "")


def test_a_failure_keeps_metas_reason(meta: Meta) -> None:
    reply = _reply(meta, "wamid.OUT-1")
    _apply(meta, "whatsapp_status_failed")
    status, error = _state(reply)
    assert status == "failed"
    assert error == (
        "Re-engagement message (131047): Message failed to send because more than 24 hours "
        "have passed since the customer last replied to this number."
    )


def test_a_failure_after_read_changes_nothing_and_delivered_after_failed_wins(meta: Meta) -> None:
    read = _reply(meta, "wamid.OUT-1")
    _apply(meta, "whatsapp_status_read", "whatsapp_status_failed")
    assert _state(read) == ("read", "")

    other = _reply(meta, "wamid.OUT-2")
    _apply(meta, _status("whatsapp_status_failed", id="wamid.OUT-2"))
    assert _state(other)[0] == "failed"
    _apply(meta, _status("whatsapp_status_delivered", id="wamid.OUT-2"))
    assert _state(other) == ("delivered", "")  # it did reach the citizen after all


def test_a_status_of_a_message_we_never_sent_is_ignored(meta: Meta) -> None:
    _apply(meta, _status("whatsapp_status_read", id="wamid.NOT-OURS"))
    assert not Message.objects.filter(direction=Message.Direction.OUTBOUND).exists()
