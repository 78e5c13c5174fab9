"""A WhatsApp status that arrives before our send has recorded the message's id is kept, and
applied (never backwards) when the message gets that id: by the send itself, or by the next
drain when the two raced."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from ascolto.channels.actions import send_message
from ascolto.channels.adapters.meta import deliveries, replay
from ascolto.channels.adapters.meta.sandbox import GraphSandbox
from ascolto.channels.models import Conversation, Message, PendingStatus
from tests.meta.inbound.conftest import Meta

pytestmark = pytest.mark.django_db

WAMID = "wamid.HBgMMzkzMzMxMjM0NTY3FQIAERgSRUFSTFkA"
NUMBER = "393331234567"
AN_HOUR_LATER = datetime.fromtimestamp(1780003600, UTC)  # the fixture's citizen wrote at ...000


def _statuses(meta: Meta, *items: tuple[str, str]) -> None:
    phone_number_id = str(meta.whatsapp.config["phone_number_id"])
    body = replay.whatsapp(
        phone_number_id,
        statuses=[replay.wa_status(wamid, status, NUMBER, 1780003700) for wamid, status in items],
    )
    assert meta.deliver(replay.body(body)).status_code == 200
    assert deliveries.drain().failed == 0


@pytest.fixture
def conversation(meta: Meta, graph_sandbox: GraphSandbox) -> Conversation:
    meta.deliver("whatsapp_text")
    deliveries.drain()
    return Conversation.objects.get(channel=meta.whatsapp)


def _send(conversation: Conversation, capture: Any) -> Message:
    with time_machine.travel(AN_HOUR_LATER, tick=False), capture(execute=True):
        message = send_message(conversation, "Grazie, abbiamo inoltrato la segnalazione.")
    message.refresh_from_db()
    return message


def test_a_read_arriving_before_the_send_is_applied_when_the_send_records_the_id(
    meta: Meta,
    graph_sandbox: GraphSandbox,
    conversation: Conversation,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _statuses(meta, (WAMID, "delivered"), (WAMID, "read"), (WAMID, "sent"))
    [kept] = PendingStatus.objects.all()
    assert (kept.external_id, kept.status) == (WAMID, "read")
    _statuses(meta, (WAMID, "delivered"))  # a late, lower one does not move it back
    assert PendingStatus.objects.get().status == "read"

    graph_sandbox.assign_ids(WAMID)
    message = _send(conversation, django_capture_on_commit_callbacks)
    assert (message.external_id, message.status) == (WAMID, "read")
    assert not PendingStatus.objects.exists()


def test_a_failure_kept_early_fails_the_message_with_metas_reason(
    meta: Meta,
    graph_sandbox: GraphSandbox,
    conversation: Conversation,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _statuses(meta, (WAMID, "failed"))
    graph_sandbox.assign_ids(WAMID)
    message = _send(conversation, django_capture_on_commit_callbacks)
    assert message.status == "failed"
    assert message.last_error.startswith("Message undeliverable (131026)")


def test_a_status_that_raced_the_send_is_applied_by_the_next_drain(
    meta: Meta,
    graph_sandbox: GraphSandbox,
    conversation: Conversation,
    django_capture_on_commit_callbacks: Any,
) -> None:
    message = _send(conversation, django_capture_on_commit_callbacks)
    assert message.status == "sent"
    # The send looked for kept statuses before the drain that keeps this one committed.
    PendingStatus.objects.create(
        channel=meta.whatsapp, external_id=message.external_id, status="delivered"
    )
    _statuses(meta, ("wamid.SOMETHING-ELSE", "read"))
    message.refresh_from_db()
    assert message.status == "delivered"
    assert list(PendingStatus.objects.values_list("external_id", flat=True)) == [
        "wamid.SOMETHING-ELSE"
    ]
