"""Messenger and Instagram Direct: a citizen's private message becomes a message of the page's
channel; our own messages come back as echoes and are not; delivery and read receipts move our
replies forward, never back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from ascolto.channels.actions import send_message
from ascolto.channels.adapters.meta import deliveries
from ascolto.channels.adapters.meta.sandbox import GraphSandbox
from ascolto.channels.models import Channel, Conversation, Message, WebhookDelivery
from ascolto.citizens.models import Citizen, Identity
from tests.meta.inbound.conftest import Meta, payload

pytestmark = pytest.mark.django_db

PSID = "2400000000000001"
IGSID = "1790000000000002"


def _take_in(meta: Meta, channel: str, *names: str | dict[str, Any]) -> list[Message]:
    for name in names:
        assert meta.deliver(name, channel=channel).status_code == 200
    assert deliveries.drain().failed == 0
    return list(Message.objects.filter(direction=Message.Direction.INBOUND).order_by("pk"))


@pytest.fixture
def send(
    graph_sandbox: GraphSandbox, django_capture_on_commit_callbacks: Any
) -> Callable[[Channel, int], Message]:
    """Reply at `at` (Unix seconds) through the outbox and the adapter to the local Graph
    server: the reply is "sent" with the mid the server gave back."""

    def reply(channel: Channel, at: int) -> Message:
        conversation = Conversation.objects.get(channel=channel)
        with (
            time_machine.travel(datetime.fromtimestamp(at, UTC), tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            message = send_message(conversation, "Grazie, la segnalazione è stata inoltrata.")
        message.refresh_from_db()
        assert message.status == Message.Status.SENT and message.external_id
        return message

    return reply


def _about(name: str, key: str, **changes: Any) -> dict[str, Any]:
    data = payload(name)
    data["entry"][0]["messaging"][0][key].update(changes)
    return data


def test_a_messenger_message_is_taken_in_on_the_messenger_channel(meta: Meta) -> None:
    [message] = _take_in(meta, "messenger", "messenger_text")
    assert message.channel == meta.messenger
    assert message.external_id == "m_AbCdEfGhIjKlMnOpQrStUv0001"
    assert message.text == "Salve, a chi segnalo un lampione spento?"
    assert message.raw["messenger"]["message"]["quick_reply"]["payload"] == "SEGNALAZIONE"
    assert message.sent_at == datetime.fromtimestamp(1780003000, UTC)
    identity = message.conversation.identity
    assert (identity.kind, identity.value) == (Identity.Kind.FACEBOOK_PSID, PSID)
    assert not Citizen.objects.exists()


def test_a_shared_link_stays_a_link_with_its_type(meta: Meta) -> None:
    shared = payload("messenger_attachment")
    [item] = shared["entry"][0]["messaging"][0]["message"]["attachments"]
    item.update(type="fallback", title="Orari", payload={"url": "https://comune.example.it/o"})
    [message] = _take_in(meta, "messenger", shared)
    [attachment] = message.attachments
    assert (attachment["name"], attachment["content_type"]) == ("Orari", "fallback")
    assert attachment["url"] == "https://comune.example.it/o"


def test_an_echo_of_our_own_message_is_not_taken_in(meta: Meta) -> None:
    assert _take_in(meta, "messenger", "messenger_echo") == []
    assert _take_in(meta, "instagram", "instagram_echo") == []
    assert WebhookDelivery.objects.filter(processed_at__isnull=True).count() == 0


def test_a_tapped_button_is_taken_in_with_its_title(meta: Meta) -> None:
    [message] = _take_in(meta, "messenger", "messenger_postback")
    assert (message.external_id, message.text) == ("m_POSTBACK-1", "Parla con un operatore")


def test_an_instagram_message_is_taken_in_on_the_instagram_channel(meta: Meta) -> None:
    [message] = _take_in(meta, "instagram", "instagram_text")
    assert message.channel == meta.instagram
    assert message.text == "Ciao! Orari della biblioteca Sormani?"
    identity = message.conversation.identity
    assert (identity.kind, identity.value) == (Identity.Kind.INSTAGRAM_ID, IGSID)


def test_a_re_delivered_direct_message_is_stored_once(meta: Meta) -> None:
    _take_in(meta, "messenger", "messenger_text", "messenger_text")
    _take_in(meta, "instagram", "instagram_text", "instagram_text")
    assert Message.objects.count() == 2


def test_messenger_receipts_move_our_replies_forward_never_back(
    meta: Meta, send: Callable[[Channel, int], Message]
) -> None:
    _take_in(meta, "messenger", "messenger_text")
    first = send(meta.messenger, 1780003300)
    later = send(meta.messenger, 1780003495)  # after the read watermark

    _take_in(meta, "messenger", "messenger_read")  # read before delivered
    first.refresh_from_db()
    later.refresh_from_db()
    assert (first.status, later.status) == ("read", "sent")

    delivery = _about("messenger_delivery", "delivery", mids=[first.external_id, later.external_id])
    _take_in(meta, "messenger", delivery)
    first.refresh_from_db()
    later.refresh_from_db()
    assert first.status == "read"  # the late delivery receipt does not move it back
    assert later.status == "delivered"  # named by its id


def test_instagram_seen_marks_the_message_and_those_before_it_read(
    meta: Meta, send: Callable[[Channel, int], Message]
) -> None:
    _take_in(meta, "instagram", "instagram_text")
    earlier = send(meta.instagram, 1780004100)
    seen = send(meta.instagram, 1780004150)
    after = send(meta.instagram, 1780004190)

    _take_in(meta, "instagram", _about("instagram_seen", "read", mid=seen.external_id))

    for message in (earlier, seen, after):
        message.refresh_from_db()
    assert (earlier.status, seen.status, after.status) == ("read", "read", "sent")


def test_one_app_feeds_its_page_and_its_instagram_account_from_one_url(meta: Meta) -> None:
    """The app's webhook URL may be any of its channels': entries go where their ids say."""
    _take_in(meta, "whatsapp", "messenger_text", "instagram_text")
    assert {m.channel.code for m in Message.objects.all()} == {"messenger", "instagram"}
