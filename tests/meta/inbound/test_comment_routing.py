"""Comment changes go to the social triage's parser with the channel their entry names: a
page's `feed` to its facebook channel, an Instagram account's `comments` to its instagram
channel; other change fields and unknown pages are skipped."""

from __future__ import annotations

from typing import Any

import pytest

from ascolto.channels.adapters.meta import comments, deliveries
from ascolto.channels.inbound import InboundMessage
from ascolto.channels.models import Channel, Message
from tests import personas
from tests.meta.inbound.conftest import INSTAGRAM_ID, PAGE_ID, Meta

pytestmark = pytest.mark.django_db


def _change(field: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"field": field, "value": value}


def test_comment_changes_reach_the_comment_parser_of_the_right_channel(
    meta: Meta, monkeypatch: pytest.MonkeyPatch
) -> None:
    facebook = personas.make_channel(
        "facebook", "facebook", "Facebook del Comune", {"page_id": PAGE_ID}
    )
    calls: list[tuple[str, str, str]] = []

    def parse_change(
        channel: Channel, entry_id: str, change: dict[str, Any], **_options: Any
    ) -> list[Any]:
        calls.append((channel.code, entry_id, change["field"]))
        comment_id = str(change["value"].get("comment_id") or change["value"].get("id"))
        return [
            InboundMessage(
                channel=channel.code,
                external_id=comment_id,
                handle_kind="facebook_psid" if channel.kind == "facebook" else "instagram_id",
                handle="2400000000000009",
                text="Un commento",
                thread_id=f"post-{comment_id}",
            )
        ]

    monkeypatch.setattr(comments, "parse_change", parse_change)
    feed = _change(
        "feed",
        {
            "item": "comment",
            "verb": "add",
            "comment_id": f"{PAGE_ID}_111_222",
            "post_id": f"{PAGE_ID}_111",
            "from": {"id": "2400000000000009", "name": "Cittadino"},
            "message": "Un commento",
        },
    )
    page = {
        "object": "page",
        "entry": [
            {"id": PAGE_ID, "time": 1780005000, "changes": [feed, _change("ratings", {})]},
            {"id": "999999999", "time": 1780005000, "changes": [feed]},  # no such page
        ],
    }
    instagram = {
        "object": "instagram",
        "entry": [
            {
                "id": INSTAGRAM_ID,
                "time": 1780005000,
                "changes": [
                    _change(
                        "comments",
                        {
                            "id": "17865799348089039",
                            "from": {"id": "1790000000000002", "username": "cittadina"},
                            "text": "Un commento",
                            "media": {"id": "17887498072083520", "media_product_type": "FEED"},
                        },
                    )
                ],
            }
        ],
    }
    meta.deliver(page, channel="messenger")
    meta.deliver(instagram, channel="instagram")
    assert deliveries.drain().processed == 2

    assert calls == [("facebook", PAGE_ID, "feed"), ("instagram", INSTAGRAM_ID, "comments")]
    assert set(Message.objects.values_list("channel__code", "external_id")) == {
        (facebook.code, f"{PAGE_ID}_111_222"),
        ("instagram", "17865799348089039"),
    }
