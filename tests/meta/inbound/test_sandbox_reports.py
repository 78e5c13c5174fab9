"""The local Graph server reports on the messages it accepted as Meta does: signed status
webhooks (delivered, then read) posted to the app's webhook, which the drain applies; or kept
for the demo's generation to post once its messages are written."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from ascolto.channels.actions import send_message
from ascolto.channels.adapters.meta import deliveries, replay
from ascolto.channels.adapters.meta.graph import GraphClient
from ascolto.channels.adapters.meta.sandbox import GraphSandbox, Reports
from ascolto.channels.adapters.meta.signature import sign
from ascolto.channels.models import Conversation, Message, WebhookDelivery
from tests.meta.inbound.conftest import APP_SECRET, INSTAGRAM_ID, Meta

AN_HOUR_LATER = datetime.fromtimestamp(1780003600, UTC)  # the fixture's citizen wrote at ...000


@pytest.fixture
def reporting(live_server: Any, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A Graph sandbox of its own that posts its reports to the live server's webhook."""
    server = GraphSandbox(
        reports=Reports(
            url=f"{live_server.url}/webhooks/meta/whatsapp/",
            app_secret=APP_SECRET,
            instagram_accounts=frozenset({INSTAGRAM_ID}),
            delay=0.2,
        )
    ).start()
    settings.ASCOLTO_META_GRAPH_URL = server.url
    monkeypatch.setenv("ASCOLTO_WHATSAPP_TOKEN", server.token)
    monkeypatch.setenv("ASCOLTO_META_PAGE_TOKEN", server.token)
    yield server
    server.stop()


def _until(condition: Any, seconds: float = 60.0) -> None:  # a loaded 2-core machine
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the sandbox's reports did not arrive"
        time.sleep(0.1)


@pytest.mark.django_db(transaction=True)
def test_a_whatsapp_and_a_messenger_reply_are_reported_delivered_then_read(
    meta: Meta, reporting: GraphSandbox, django_capture_on_commit_callbacks: Any
) -> None:
    for channel, name in (("whatsapp", "whatsapp_text"), ("messenger", "messenger_text")):
        assert meta.deliver(name, channel=channel).status_code == 200
    deliveries.drain_all()
    replies = []
    # The reports wait for the sends to end: on SQLite the live server shares this thread's
    # connection, which two threads must not use at once.
    with reporting.holding_reports():
        for channel in (meta.whatsapp, meta.messenger):
            conversation = Conversation.objects.get(channel=channel)
            with (
                time_machine.travel(AN_HOUR_LATER, tick=False),
                django_capture_on_commit_callbacks(execute=True),
            ):
                replies.append(send_message(conversation, "Grazie, la segnalazione è inoltrata."))
    _until(lambda: reporting.reported == 4)  # each answered 200 by the webhook
    deliveries.drain_all()
    for reply in replies:
        reply.refresh_from_db()
        assert reply.status == Message.Status.READ, reply.channel
    bodies = list(WebhookDelivery.objects.order_by("id").values_list("body", flat=True))
    statuses = [b for b in bodies if '"statuses"' in b]
    assert ['"delivered"' in b for b in statuses] == [True, False]  # delivered, then read
    receipts = [b for b in bodies if '"watermark"' in b]  # the Messenger receipts
    assert ['"delivery"' in b for b in receipts] == [True, False]


@pytest.mark.django_db(transaction=True)
def test_a_report_the_webhook_refuses_is_not_taken_in(
    meta: Meta, live_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = GraphSandbox(
        reports=Reports(
            url=f"{live_server.url}/webhooks/meta/whatsapp/",
            app_secret="not-the-app-secret",
            delay=0.05,
            tries=2,
        )
    ).start()
    try:
        with GraphClient(wrong.token, base_url=wrong.url) as graph:
            graph.send_text(str(meta.whatsapp.config["phone_number_id"]), "393331234567", "Ciao")
        time.sleep(1.0)
    finally:
        wrong.stop()
    assert wrong.reported == 0
    assert not WebhookDelivery.objects.exists()


def test_without_a_url_the_reports_are_kept_and_batched() -> None:
    server = GraphSandbox(reports=Reports(instagram_accounts=frozenset({INSTAGRAM_ID}))).start()
    try:
        with GraphClient(server.token, base_url=server.url) as graph:
            wamids = [graph.send_text("104857600020202", "393331234567", "Ciao") for _ in range(3)]
            mid = graph.send_page_text(INSTAGRAM_ID, "1790000000000002", "Salve")
            graph.private_reply("100200300400", "555_1", "In privato")  # on a comment: none
        reports = server.take_reports(batch=4)
    finally:
        server.stop()
    assert [r["object"] for r in reports] == [
        "whatsapp_business_account",
        "whatsapp_business_account",
        "instagram",
    ]
    statuses = [
        (s["id"], s["status"])
        for r in reports[:2]
        for s in r["entry"][0]["changes"][0]["value"]["statuses"]
    ]
    assert statuses == [(w, status) for w in wamids for status in ("delivered", "read")]
    events = reports[2]["entry"][0]["messaging"]
    assert [event["delivery"]["mids"] for event in events if "delivery" in event] == [[mid]]
    assert [event["read"]["mid"] for event in events if "read" in event] == [mid]
    assert server.take_reports() == []
    raw = replay.body(reports[0])
    assert sign(APP_SECRET, raw).startswith("sha256=")
