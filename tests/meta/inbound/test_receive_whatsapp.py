"""WhatsApp messages delivered by Meta's webhook become messages of the WhatsApp channel: text,
replies to our buttons and lists, locations and contacts as readable text; reactions and what
WhatsApp cannot show handled without a failure; a re-delivery stored once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ascolto.channels.adapters.meta import deliveries
from ascolto.channels.models import Conversation, Message, WebhookDelivery
from ascolto.citizens.actions import find_or_create_citizen, link_identity, resolve_identity
from ascolto.citizens.models import Citizen, Identity
from tests.meta.inbound.conftest import Meta, payload

pytestmark = pytest.mark.django_db

BSUID = "IT.13491208655302741918"


def _take_in(meta: Meta, *names: str) -> list[Message]:
    for name in names:
        assert meta.deliver(name).status_code == 200
    done = deliveries.drain()
    assert done.failed == 0, WebhookDelivery.objects.values_list("last_error", flat=True)
    return list(Message.objects.filter(direction=Message.Direction.INBOUND).order_by("pk"))


def test_a_text_message_is_taken_in_under_the_senders_whatsapp_user_id(meta: Meta) -> None:
    [message] = _take_in(meta, "whatsapp_text")
    assert message.channel == meta.whatsapp
    assert message.external_id.startswith("wamid.")
    assert message.text.startswith("Buongiorno, il cassonetto di via Padova 12")
    assert message.sent_at == datetime.fromtimestamp(1780000000, UTC)
    assert message.raw["whatsapp"]["contact"]["wa_id"] == "393331234567"
    identity = message.conversation.identity
    assert (identity.kind, identity.value) == (Identity.Kind.WHATSAPP_BSUID, BSUID)
    assert identity.display_name == "Giulia Bianchi"
    # The number is an identity of the same person too; no citizen is invented for either.
    number = Identity.objects.get(kind=Identity.Kind.WHATSAPP, value="+393331234567")
    assert number.citizen is None and identity.citizen is None
    assert not Citizen.objects.exists()
    assert WebhookDelivery.objects.get().processed_at is not None


def test_a_sender_known_only_by_number_is_keyed_on_the_number(meta: Meta) -> None:
    [message] = _take_in(meta, "whatsapp_text_phone_only")
    identity = message.conversation.identity
    assert (identity.kind, identity.value) == (Identity.Kind.WHATSAPP, "+393471112233")


def test_a_sender_with_a_username_and_no_number_is_keyed_on_the_user_id(meta: Meta) -> None:
    [message] = _take_in(meta, "whatsapp_text_username_only")
    identity = message.conversation.identity
    assert identity.kind == Identity.Kind.WHATSAPP_BSUID
    assert not Identity.objects.filter(kind=Identity.Kind.WHATSAPP).exists()


def test_a_citizen_known_by_number_is_recognised_when_the_user_id_arrives(meta: Meta) -> None:
    citizen = find_or_create_citizen(first_name="Giulia", last_name="Bianchi")
    link_identity(resolve_identity(Identity.Kind.WHATSAPP, "393331234567"), citizen)

    [message] = _take_in(meta, "whatsapp_text")

    assert message.conversation.identity.kind == Identity.Kind.WHATSAPP_BSUID
    assert message.conversation.identity.citizen == citizen


def test_a_citizen_known_by_user_id_gets_the_number_too(meta: Meta) -> None:
    citizen = find_or_create_citizen(first_name="Giulia", last_name="Bianchi")
    link_identity(resolve_identity(Identity.Kind.WHATSAPP_BSUID, BSUID), citizen)

    _take_in(meta, "whatsapp_text")

    number = Identity.objects.get(kind=Identity.Kind.WHATSAPP, value="+393331234567")
    assert number.citizen == citizen


def test_two_citizens_of_the_two_handles_stay_as_they_are(meta: Meta) -> None:
    one = find_or_create_citizen(first_name="Giulia", last_name="Bianchi")
    other = find_or_create_citizen(first_name="Giulia", last_name="Rossi")
    link_identity(resolve_identity(Identity.Kind.WHATSAPP_BSUID, BSUID), one)
    link_identity(resolve_identity(Identity.Kind.WHATSAPP, "393331234567"), other)

    [message] = _take_in(meta, "whatsapp_text")

    assert message.conversation.identity.citizen == one
    assert Identity.objects.get(kind=Identity.Kind.WHATSAPP).citizen == other


def test_replies_to_our_buttons_and_lists_read_as_what_the_citizen_tapped(meta: Meta) -> None:
    button, row, template = _take_in(
        meta, "whatsapp_button_reply", "whatsapp_list_reply", "whatsapp_template_button"
    )
    assert button.text == "TARI"
    assert button.raw["whatsapp"]["message"]["interactive"]["button_reply"]["id"] == "menu-tari"
    assert row.text == "Anagrafe — Certificati e residenza"
    assert template.text == "Sì, grazie"
    # One session: the three are one conversation with the citizen.
    assert Conversation.objects.count() == 1


def test_a_location_and_a_contact_become_readable_text(meta: Meta) -> None:
    place, contact = _take_in(meta, "whatsapp_location", "whatsapp_contacts")
    assert place.text == (
        "Posizione condivisa: Piazza del Duomo, Piazza del Duomo, 20122 Milano MI "
        "(45.464211, 9.191383) "
        "https://www.openstreetmap.org/?mlat=45.464211&mlon=9.191383#map=17"
    )
    assert contact.text == "Contatto condiviso: Anna Rossi +39 333 765 4321, anna.rossi@example.it"


def test_a_reaction_is_not_a_message_and_fails_nothing(meta: Meta) -> None:
    assert _take_in(meta, "whatsapp_reaction") == []
    assert WebhookDelivery.objects.get().processed_at is not None


def test_a_message_whatsapp_cannot_show_is_kept_with_a_note(meta: Meta) -> None:
    [message] = _take_in(meta, "whatsapp_unsupported")
    assert message.text == (
        "[Messaggio WhatsApp di tipo «unsupported», non gestito: Message type unknown.]"
    )


def test_a_re_delivered_message_is_stored_once(meta: Meta) -> None:
    _take_in(meta, "whatsapp_text", "whatsapp_text")
    _take_in(meta, "whatsapp_text")  # again, in a later drain
    assert Message.objects.filter(direction=Message.Direction.INBOUND).count() == 1
    assert WebhookDelivery.objects.filter(processed_at__isnull=False).count() == 3


def test_a_batched_delivery_is_taken_in_whole_and_entries_for_no_channel_skipped(
    meta: Meta,
) -> None:
    messages = _take_in(meta, "whatsapp_batch")
    assert [m.external_id for m in messages] == ["wamid.BATCH-1", "wamid.BATCH-2", "wamid.BATCH-3"]
    assert not Message.objects.filter(external_id="wamid.OTHER-NUMBER-1").exists()
    assert Conversation.objects.count() == 2  # two citizens
    assert WebhookDelivery.objects.get().processed_at is not None


def test_an_inactive_channel_takes_nothing_in(meta: Meta) -> None:
    assert meta.deliver("whatsapp_text").status_code == 200
    meta.whatsapp.is_active = False
    meta.whatsapp.save()
    assert deliveries.drain().processed == 1  # its entries are skipped, the delivery is done
    assert not Message.objects.exists()


def test_a_body_that_is_not_a_delivery_waits_for_an_administrator(meta: Meta) -> None:
    assert meta.deliver(b"not json").status_code == 200  # signed: accepted as it came
    done = deliveries.drain()
    assert (done.processed, done.failed) == (0, 1)
    row = WebhookDelivery.objects.get()
    assert row.attempts == 1 and "not JSON" in row.last_error and row.next_attempt_at


def test_the_channel_of_another_meta_app_is_not_fed(
    meta: Meta, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A delivery signed with one app's secret reaches only the channels of that app."""
    monkeypatch.setenv("ASCOLTO_OTHER_APP_SECRET", "un-altro-segreto")
    meta.whatsapp.config["app_secret_env"] = "ASCOLTO_OTHER_APP_SECRET"
    meta.whatsapp.save()
    meta.deliver(payload("whatsapp_text"), channel="messenger")  # signed by the first app
    assert deliveries.drain().processed == 1
    assert not Message.objects.exists()


def test_odd_shapes_are_skipped_and_never_stop_the_drain(meta: Meta) -> None:
    """What Meta might send one day, or a proxy might mangle: skipped or noted, never a crash,
    and the other deliveries of the drain are taken in (a delivery the parser cannot read at
    all waits in the queue for an administrator: test_a_body_that_is_not_a_delivery_...)."""
    odd = payload("whatsapp_text")
    value = odd["entry"][0]["changes"][0]["value"]
    value["contacts"] = "not a list"
    value["messages"] = [
        "not a message",
        {"id": "wamid.NO-SENDER", "type": "text", "text": {"body": "?"}},
        {**value["messages"][0], "id": "wamid.ODD-CONTACTS", "type": "contacts", "contacts": [1]},
        {**value["messages"][0], "id": "wamid.ODD-PLACE", "type": "location", "location": "x"},
        {**value["messages"][0], "id": "wamid.NEW-KIND", "type": "hologram", "hologram": {}},
    ]
    messenger = {
        "object": "page",
        "entry": [
            "not an entry",
            {
                "id": "100200300400",
                "messaging": [
                    {"sender": "2400000000000001", "message": {"mid": "m_1", "text": "?"}},
                    {"sender": {"id": "2400000000000001"}, "message": {"text": "no mid"}},
                    {"sender": {"id": "2400000000000001"}, "reaction": {"emoji": "x"}},
                ],
            },
        ],
    }
    meta.deliver(odd)
    meta.deliver(messenger, channel="messenger")
    meta.deliver("whatsapp_text_phone_only")
    done = deliveries.drain()
    assert (done.processed, done.failed) == (3, 0)
    texts = dict(Message.objects.values_list("external_id", "text"))
    assert texts["wamid.ODD-CONTACTS"] == "[Contatto condiviso, vuoto]"
    assert texts["wamid.ODD-PLACE"] == "[Posizione condivisa, senza coordinate leggibili]"
    assert texts["wamid.NEW-KIND"] == "[Messaggio WhatsApp di tipo «hologram», non gestito.]"
    assert "wamid.NO-SENDER" not in texts
    assert len(texts) == 4
