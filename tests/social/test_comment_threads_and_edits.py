"""Comments delivered by the webhook, as Meta batches them: comments and replies under a
visitor's post share the post's thread; an edit or removal delivered with (or after) its
comment is applied in order, never lost."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ascolto.channels.adapters.meta import deliveries, replay
from ascolto.channels.models import Conversation, Message
from ascolto.social import queue
from ascolto.social.models import SocialThread
from tests import personas
from tests.social.helpers import PAGE_ID, page_channel

pytestmark = pytest.mark.django_db
APP_SECRET = "segreto-app-meta-di-prova"
AT = 1765004000
POST = f"{PAGE_ID}_555000999"  # a visitor's post on the page
OUR_POST = f"{PAGE_ID}_555000111"  # one of the page's own posts


@pytest.fixture
def deliver(cast: personas.Cast, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("ASCOLTO_META_APP_SECRET", APP_SECRET)
    page_channel()
    client = Client()

    def post(*changes: dict[str, Any]) -> None:
        raw = replay.body(replay.page(PAGE_ID, AT, changes=changes))
        response = client.post(
            "/webhooks/meta/facebook/",
            data=raw,
            content_type="application/json",
            headers={replay.SIGNATURE_HEADER: replay.signed(raw, APP_SECRET)},
        )
        assert response.status_code == 200

    return post


def _visitor_post() -> dict[str, Any]:
    return {
        "field": "feed",
        "value": {
            "from": {"id": "97531086420", "name": "Giorgio Sala"},
            "message": "Quando riapre la biblioteca di quartiere?",
            "post_id": POST,
            "created_time": AT,
            "item": "status",
            "verb": "add",
        },
    }


def _comment(comment_id: str, who: str, text: str, **extra: Any) -> dict[str, Any]:
    post = extra.pop("post", POST)
    return replay.feed_comment(PAGE_ID, post, comment_id, who, who.title(), text, AT, **extra)


def _threads() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for message in Message.objects.filter(direction="inbound").order_by("pk"):
        out.setdefault(message.conversation.external_thread_id, []).append(message.external_id)
    return out


def test_comments_and_replies_under_a_visitor_post_share_its_thread(deliver: Any) -> None:
    deliver(_visitor_post())
    assert deliveries.drain().failed == 0
    deliver(_comment("555000999_1", "24680135790", "Anche io vorrei saperlo."))
    deliver(
        _comment("555000999_2", "11122233344", "Riapre lunedì.", parent_id="555000999_1"),
        _comment("555000111_9", "24680135790", "Sotto un post del Comune", post=OUR_POST),
    )
    assert deliveries.drain().failed == 0
    assert _threads() == {
        POST: [POST, "555000999_1", "555000999_2"],
        "555000111_9": ["555000111_9"],  # under the page's own post: a thread of its own
    }
    queue.sync()
    assert SocialThread.objects.count() == 2


def test_a_visitor_post_and_its_comments_in_one_batch_share_its_thread(deliver: Any) -> None:
    deliver(_comment("555000999_1", "24680135790", "Anche io."), _visitor_post())
    deliver(_comment("555000999_2", "11122233344", "Lunedì.", parent_id="555000999_1"))
    assert deliveries.drain().failed == 0
    assert _threads() == {POST: ["555000999_1", POST, "555000999_2"]}
    assert Conversation.objects.count() == 1


def test_an_edit_in_the_same_delivery_as_its_comment_is_applied(deliver: Any) -> None:
    deliver(
        _comment("555000111_1", "24680135790", "Lampione spento in via Padova", post=OUR_POST),
        _comment(
            "555000111_1",
            "24680135790",
            "Lampione spento in via Padova 42",
            post=OUR_POST,
            verb="edited",
        ),
    )
    assert deliveries.drain().failed == 0
    [message] = Message.objects.filter(direction="inbound")
    assert message.text == "Lampione spento in via Padova 42"
    assert message.raw["edits"][0]["text"] == "Lampione spento in via Padova"


def test_an_edit_and_a_removal_in_later_deliveries_of_one_batch_are_applied_in_order(
    deliver: Any,
) -> None:
    deliver(_comment("555000111_1", "24680135790", "Prima versione", post=OUR_POST))
    deliver(_comment("555000111_1", "24680135790", "Seconda", post=OUR_POST, verb="edited"))
    deliver(_comment("555000111_1", "24680135790", "Terza", post=OUR_POST, verb="edited"))
    deliver(_comment("555000111_1", "24680135790", "", post=OUR_POST, verb="remove"))
    assert deliveries.drain().processed == 4
    [message] = Message.objects.filter(direction="inbound")
    assert message.text == "Terza"
    assert [e["text"] for e in message.raw["edits"]] == ["Prima versione", "Seconda"]
    assert message.raw["withdrawn"]["verb"] == "remove"


def test_an_edit_whose_comment_never_came_is_taken_in_once(deliver: Any) -> None:
    deliver(
        _comment("555000111_1", "24680135790", "Solo la modifica", post=OUR_POST, verb="edited")
    )
    assert deliveries.drain().failed == 0
    [message] = Message.objects.filter(direction="inbound")
    assert message.text == "Solo la modifica"
    assert "edits" not in message.raw
