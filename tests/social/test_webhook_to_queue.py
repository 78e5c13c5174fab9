"""End to end with Meta's inbound webhook (issue 13's `meta-in` part): a signed Page `feed`
delivery and an Instagram `comments` one, accepted by `/webhooks/meta/<channel>/` and drained,
reach the triage queue as threads; a re-delivery adds nothing. Skipped until the webhook is in
the tree (`channels/adapters/meta/deliveries.py`)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from ascolto.channels.models import Message
from ascolto.social import queue
from ascolto.social.models import SocialThread
from tests import personas
from tests.social.helpers import FIXTURES, instagram_channel, page_channel

deliveries = pytest.importorskip("ascolto.channels.adapters.meta.deliveries")
signature = pytest.importorskip("ascolto.channels.adapters.meta.signature")

pytestmark = pytest.mark.django_db
APP_SECRET = "segreto-app-meta-di-prova"


def _deliver(client: Client, channel: str, name: str) -> None:
    body = (FIXTURES / f"{name}.json").read_bytes()
    json.loads(body)  # a recorded delivery, well formed
    response = client.post(
        f"/webhooks/meta/{channel}/",
        data=body,
        content_type="application/json",
        headers={"X-Hub-Signature-256": signature.sign(APP_SECRET, body)},
    )
    assert response.status_code == 200


def test_comments_delivered_by_the_webhook_reach_the_queue_once(
    cast: personas.Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASCOLTO_META_APP_SECRET", APP_SECRET)
    page_channel()
    instagram_channel()
    client = Client()
    for name in ("feed_comment_add", "feed_comment_reply", "feed_page_own_comment"):
        _deliver(client, "facebook", name)
    _deliver(client, "instagram", "instagram_comment")
    _deliver(client, "facebook", "feed_comment_add")  # Meta delivers again
    assert deliveries.drain().failed == 0
    assert Message.objects.count() == 3
    queue.sync()
    threads = SocialThread.objects.select_related("conversation__channel")
    assert sorted(t.conversation.channel.kind for t in threads) == ["facebook", "instagram"]
    _deliver(client, "facebook", "feed_comment_edited")
    assert deliveries.drain().failed == 0
    edited = Message.objects.get(external_id="555000111_700000001")
    assert edited.text.endswith("(lato parco).")
