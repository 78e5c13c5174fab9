"""Messenger and Instagram Direct: a citizen's private message becomes a message of the page's
channel; our own messages come back as echoes and are not; delivery and read receipts move our
replies forward, never back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from ascolto.channels.actions import send_message
from ascolto.channels.adapters.meta import deliveries
from ascolto.channels.models import Channel, Conversation, Message, WebhookDelivery
from ascolto.citizens.models import Citizen, Identity
from tests.meta.inbound.conftest import Meta

pytestmark = pytest.mark.django_db

PSID = "2400000000000001"
IGSID = "1790000000000002"


def _take_in(meta: Meta, channel: str, *names: str) -> list[Message]:
    for name in names:
        assert meta.deliver(name, channel=channel).status_code == 200
    assert deliveries.drain().failed == 0
    return list(Message.objects.filter(direction=Message.Direction.INBOUND).order_by("pk"))


def _sent(channel: Channel, external_id: str, at: int) -> Message:
    """A reply sent at `at` (Unix seconds): what the adapter's send recorded."""
    conversation = Conversation.objects.get(channel=channel)
    with time_machine.travel(datetime.fromtimestamp(at, UTC), tick=False):
        message = send_message(conversation, "Grazie, la segnalazione è stata inoltrata.")
    Message.objects.filter(pk=message.pk).update(external_id=external_id, status="sent")
    return message


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


def test_an_attachment_keeps_its_url_and_type(meta: Meta) -> None:
    [message] = _take_in(meta, "messenger", "messenger_attachment")
    assert message.text == "[Immagine]"
    [attachment] = message.attachments
    assert attachment["content_type"] == "image/*"
    assert attachment["url"].startswith("https://scontent.xx.fbcdn.net/")


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


def test_messenger_receipts_move_our_replies_forward_never_back(meta: Meta) -> None:
    _take_in(meta, "messenger", "messenger_text")
    first = _sent(meta.messenger, "m_OUR-REPLY-1", 1780003300)
    later = _sent(meta.messenger, "m_OUR-REPLY-9", 1780003495)  # after the read watermark

    _take_in(meta, "messenger", "messenger_read")  # read before delivered
    first.refresh_from_db()
    later.refresh_from_db()
    assert (first.status, later.status) == ("read", "sent")

    _take_in(meta, "messenger", "messenger_delivery")
    first.refresh_from_db()
    assert first.status == "read"  # the late delivery receipt does not move it back


def test_instagram_seen_marks_the_message_and_those_before_it_read(meta: Meta) -> None:
    _take_in(meta, "instagram", "instagram_text")
    earlier = _sent(meta.instagram, "aWdfOUR-IG-REPLY-1", 1780004100)
    seen = _sent(meta.instagram, "aWdfOUR-IG-REPLY-2", 1780004150)
    after = _sent(meta.instagram, "aWdfOUR-IG-REPLY-3", 1780004190)

    _take_in(meta, "instagram", "instagram_seen")

    for message in (earlier, seen, after):
        message.refresh_from_db()
    assert (earlier.status, seen.status, after.status) == ("read", "read", "sent")


def test_one_app_feeds_its_page_and_its_instagram_account_from_one_url(meta: Meta) -> None:
    """The app's webhook URL may be any of its channels': entries go where their ids say."""
    _take_in(meta, "whatsapp", "messenger_text", "instagram_text")
    assert {m.channel.code for m in Message.objects.all()} == {"messenger", "instagram"}
