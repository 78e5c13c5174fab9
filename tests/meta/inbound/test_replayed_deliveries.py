"""The builders of `channels/adapters/meta/replay.py` make deliveries the real webhook accepts
and the real drain takes in, each kind as Meta sends it (what the demo city and the webhook
benchmark rely on)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ascolto.channels.adapters.meta import deliveries
from ascolto.channels.adapters.meta import replay as meta_replay
from ascolto.channels.models import Channel, Message
from ascolto.citizens.models import Identity
from tests import personas
from tests.meta.inbound.conftest import APP_SECRET, INSTAGRAM_ID, PAGE_ID, Meta

AT = 1_764_999_000
WHEN = datetime.fromtimestamp(AT, UTC)

pytestmark = pytest.mark.django_db


def _post(meta: Meta, channel: str, payload: dict[str, Any]) -> None:
    raw = meta_replay.body(payload)
    response = meta.client.post(
        f"/webhooks/meta/{channel}/",
        data=raw,
        content_type="application/json",
        headers={meta_replay.SIGNATURE_HEADER: meta_replay.signed(raw, APP_SECRET)},
    )
    assert response.status_code == 200, response.content
    assert deliveries.drain().failed == 0


def test_the_signature_is_what_the_webhook_checks(meta: Meta) -> None:
    raw = meta_replay.body(meta_replay.whatsapp("1234567890"))
    forged = meta_replay.signed(raw, "another-secret")
    response = meta.client.post(
        "/webhooks/meta/whatsapp/",
        data=raw,
        content_type="application/json",
        headers={meta_replay.SIGNATURE_HEADER: forged},
    )
    assert response.status_code == 401


def test_whatsapp_texts_and_list_replies_are_taken_in_with_their_time_and_sender(
    meta: Meta,
) -> None:
    texts = [
        meta_replay.wa_text("wamid.T1", "+393331112233", "Buongiorno", AT),
        meta_replay.wa_interactive(
            "wamid.T2", "393331112233", "voto-4", "4", AT + 60, kind="list_reply"
        ),
        meta_replay.wa_text("wamid.T3", "393334445566", "Perché è chiuso?", AT + 5),
    ]
    contacts = [
        meta_replay.wa_contact("393331112233", "Anna"),
        meta_replay.wa_contact("393334445566", "Bruno"),
    ]
    _post(meta, "whatsapp", meta_replay.whatsapp("1234567890", messages=texts, contacts=contacts))

    stored = {m.external_id: m for m in Message.objects.select_related("conversation__identity")}
    assert stored["wamid.T1"].text == "Buongiorno" and stored["wamid.T1"].sent_at == WHEN
    assert stored["wamid.T2"].text == "4"  # the row tapped
    assert stored["wamid.T3"].text == "Perché è chiuso?"
    anna = stored["wamid.T1"].conversation.identity
    assert (anna.kind, anna.value, anna.display_name) == (
        Identity.Kind.WHATSAPP,
        "+393331112233",
        "Anna",
    )
    assert stored["wamid.T2"].conversation_id == stored["wamid.T1"].conversation_id


def test_whatsapp_statuses_move_our_message(meta: Meta) -> None:
    _post(
        meta,
        "whatsapp",
        meta_replay.whatsapp(
            "1234567890",
            messages=[meta_replay.wa_text("wamid.IN", "393331112233", "Ciao", AT)],
            contacts=[meta_replay.wa_contact("393331112233", "Anna")],
        ),
    )
    conversation = Message.objects.get(external_id="wamid.IN").conversation
    ours = Message.objects.create(
        conversation=conversation,
        channel=meta.whatsapp,
        external_id="wamid.OUT",
        direction=Message.Direction.OUTBOUND,
        text="Ecco il menu",
        sent_at=WHEN,
        status=Message.Status.SENT,
    )
    statuses = [
        meta_replay.wa_status("wamid.OUT", "read", "393331112233", AT + 30),
        meta_replay.wa_status("wamid.OUT", "delivered", "393331112233", AT + 10),
    ]
    _post(meta, "whatsapp", meta_replay.whatsapp("1234567890", statuses=statuses))
    ours.refresh_from_db()
    assert ours.status == Message.Status.READ


def test_messenger_and_instagram_direct_messages(meta: Meta) -> None:
    event = meta_replay.direct_message("2468013579", PAGE_ID, "m_A1", "Orari anagrafe?", AT)
    _post(meta, "messenger", meta_replay.page(PAGE_ID, AT, messaging=[event]))
    event = meta_replay.direct_message("17841499", INSTAGRAM_ID, "aWdf1", "Info TARI", AT)
    _post(meta, "instagram", meta_replay.instagram(INSTAGRAM_ID, AT, messaging=[event]))

    messenger = Message.objects.select_related("conversation__identity").get(external_id="m_A1")
    assert messenger.channel == meta.messenger and messenger.sent_at == WHEN
    assert messenger.conversation.identity.kind == Identity.Kind.FACEBOOK_PSID
    direct = Message.objects.select_related("conversation__identity").get(external_id="aWdf1")
    assert direct.channel == meta.instagram and direct.text == "Info TARI"
    assert direct.conversation.identity.kind == Identity.Kind.INSTAGRAM_ID


def test_page_feed_and_instagram_comments_thread_by_their_first_comment(meta: Meta) -> None:
    personas.make_channel("facebook", "facebook", "Facebook del Comune", {"page_id": PAGE_ID})
    post = f"{PAGE_ID}_555"
    first = meta_replay.feed_comment(PAGE_ID, post, "555_1", "2468", "Carla R.", "Lampione", AT)
    reply = meta_replay.feed_comment(
        PAGE_ID, post, "555_2", "1357", "Dario B.", "Anche qui", AT + 60, parent_id="555_1"
    )
    _post(meta, "facebook", meta_replay.page(PAGE_ID, AT + 60, changes=[first, reply]))
    comment = meta_replay.ig_comment("1786_1", "2323", "marta.b", "Parco chiuso?", "1800", AT)
    _post(meta, "instagram", meta_replay.instagram(INSTAGRAM_ID, AT, changes=[comment]))

    facebook = Channel.objects.get(code="facebook")
    stored = Message.objects.filter(channel=facebook).select_related("conversation")
    assert {m.external_id: m.conversation.external_thread_id for m in stored} == {
        "555_1": "555_1",
        "555_2": "555_1",
    }
    assert {m.sent_at for m in stored} == {WHEN, datetime.fromtimestamp(AT + 60, UTC)}
    instagram = Message.objects.select_related("conversation").get(external_id="1786_1")
    assert instagram.conversation.external_thread_id == "1786_1"
    assert instagram.sent_at == WHEN  # the `timestamp` the builder adds
