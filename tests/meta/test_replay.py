"""The builders of Meta-shaped deliveries (`channels/adapters/meta/replay.py`): the shapes Meta
documents (protocols C2), the bytes and their signature."""

from __future__ import annotations

import json

import pytest

from ascolto.channels.adapters.meta import replay

AT = 1_764_999_000  # 2025-12-06 05:30 UTC


def test_signed_is_the_hmac_sha256_of_the_raw_body() -> None:
    # Computed independently (hmac.new(b"demo-secret", body, sha256).hexdigest()).
    expected = "sha256=4d5542446158b2ac3594083198709bf46c74834b4c28b5ebc0471ab122ee06a7"
    assert replay.signed(b'{"object":"page"}', "demo-secret") == expected
    assert replay.signed(b'{"object": "page"}', "demo-secret") != expected


def test_body_is_compact_ascii_json_as_meta_writes_it() -> None:
    raw = replay.body({"text": "Perché è chiuso?"})
    assert raw == b'{"text":"Perch\\u00e9 \\u00e8 chiuso?"}'
    assert json.loads(raw) == {"text": "Perché è chiuso?"}


def test_whatsapp_text_message_with_contact_and_metadata() -> None:
    payload = replay.whatsapp(
        "104857600020202",
        display_phone_number="+39 02 0202",
        messages=[replay.wa_text("wamid.A1", "+393331234567", "Ciao", AT)],
        contacts=[replay.wa_contact("+393331234567", "Anna")],
    )
    assert payload["object"] == "whatsapp_business_account"
    (entry,) = payload["entry"]
    (change,) = entry["changes"]
    assert change["field"] == "messages"
    value = change["value"]
    assert value["messaging_product"] == "whatsapp"
    assert value["metadata"] == {
        "display_phone_number": "39020202",
        "phone_number_id": "104857600020202",
    }
    assert value["contacts"] == [{"profile": {"name": "Anna"}, "wa_id": "393331234567"}]
    assert value["messages"] == [
        {
            "from": "393331234567",
            "id": "wamid.A1",
            "timestamp": str(AT),
            "type": "text",
            "text": {"body": "Ciao"},
        }
    ]
    assert "statuses" not in value


def test_whatsapp_interactive_replies_and_statuses() -> None:
    button = replay.wa_interactive("wamid.B", "39333", "menu-a", "Anagrafe", AT, context="wamid.O")
    assert button["type"] == "interactive"
    assert button["interactive"] == {
        "type": "button_reply",
        "button_reply": {"id": "menu-a", "title": "Anagrafe"},
    }
    assert button["context"] == {"id": "wamid.O"}
    row = replay.wa_interactive(
        "wamid.C", "39333", "r1", "Tari", AT, kind="list_reply", description="Tassa"
    )
    assert row["interactive"]["list_reply"] == {"id": "r1", "title": "Tari", "description": "Tassa"}
    with pytest.raises(ValueError, match="nfm_reply"):
        replay.wa_interactive("wamid.D", "39333", "x", "y", AT, kind="nfm_reply")

    read = replay.wa_status("wamid.OUT", "read", "39333", AT)
    assert read["status"] == "read" and read["timestamp"] == str(AT)
    assert read["pricing"]["category"] == "service"
    failed = replay.wa_status("wamid.OUT", "failed", "39333", AT, error=(131047, "Re-engagement"))
    assert failed["errors"][0]["code"] == 131047 and "pricing" not in failed
    with pytest.raises(ValueError, match="unknown"):
        replay.wa_status("wamid.OUT", "seen", "39333", AT)
    payload = replay.whatsapp("1048", statuses=[read])
    value = payload["entry"][0]["changes"][0]["value"]
    assert value["statuses"] == [read] and "messages" not in value and "contacts" not in value


def test_messenger_and_instagram_direct_messages_carry_milliseconds() -> None:
    event = replay.direct_message("2468", "160600020202", "m_1", "Buongiorno", AT, quick_reply="Q")
    payload = replay.page("160600020202", AT, messaging=[event])
    assert payload["object"] == "page"
    (entry,) = payload["entry"]
    assert entry["id"] == "160600020202" and entry["time"] == AT * 1000
    assert entry["messaging"] == [
        {
            "sender": {"id": "2468"},
            "recipient": {"id": "160600020202"},
            "timestamp": AT * 1000,
            "message": {"mid": "m_1", "text": "Buongiorno", "quick_reply": {"payload": "Q"}},
        }
    ]
    direct = replay.instagram("178414000202020", AT, messaging=[event])
    assert direct["object"] == "instagram" and "changes" not in direct["entry"][0]
    with pytest.raises(ValueError, match="not both"):
        replay.page("1606", AT, messaging=[event], changes=[{"field": "feed"}])


def test_page_feed_and_instagram_comments() -> None:
    change = replay.feed_comment(
        "160600020202", "160600020202_55", "55_7", "2468", "Carla R.", "Lampione spento", AT
    )
    payload = replay.page("160600020202", AT, changes=[change])
    entry = payload["entry"][0]
    assert entry["time"] == AT and entry["changes"] == [change]
    value = change["value"]
    assert change["field"] == "feed"
    assert (value["item"], value["verb"]) == ("comment", "add")
    assert value["parent_id"] == value["post_id"] == "160600020202_55"  # a top-level comment
    assert value["from"] == {"id": "2468", "name": "Carla R."}
    assert value["created_time"] == AT
    reply = replay.feed_comment(
        "1606", "1606_55", "55_8", "13", "B", "Anche qui", AT, parent_id="55_7"
    )
    assert reply["value"]["parent_id"] == "55_7"

    comment = replay.ig_comment("1786", "2323", "marta.b", "Parco chiuso?", "18000", AT)
    assert comment == {
        "field": "comments",
        "value": {
            "from": {"id": "2323", "username": "marta.b"},
            "media": {"id": "18000", "media_product_type": "FEED"},
            "id": "1786",
            "text": "Parco chiuso?",
            "timestamp": AT,
        },
    }
    assert "timestamp" not in replay.ig_comment("1787", "2323", "m", "x", "18000")["value"]
    assert replay.instagram("1784", AT, changes=[comment])["entry"][0]["changes"] == [comment]
