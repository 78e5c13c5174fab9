"""`prune_webhooks`: processed deliveries older than the retention go, pending ones never do;
kept statuses that never found their message go after a week."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command

from ascolto.channels.adapters.meta import deliveries
from ascolto.channels.models import Message, PendingStatus, WebhookDelivery
from tests.meta.inbound.conftest import Meta

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _prune(*args: str) -> str:
    out = StringIO()
    call_command("prune_webhooks", *args, stdout=out)
    return out.getvalue()


def test_processed_deliveries_older_than_the_retention_are_deleted(
    meta: Meta, settings: Any
) -> None:
    settings.ASCOLTO_WEBHOOK_RETENTION_DAYS = 30
    with time_machine.travel(START, tick=False):
        meta.deliver("whatsapp_text")
        meta.deliver("messenger_text", channel="messenger")
        deliveries.drain()
        meta.deliver(b"not a delivery")  # never taken in: pending, kept whatever its age
        assert deliveries.drain().failed == 1
    with time_machine.travel(START + timedelta(days=20), tick=False):
        meta.deliver("whatsapp_button_reply")
        deliveries.drain()
    assert WebhookDelivery.objects.count() == 4

    with time_machine.travel(START + timedelta(days=31), tick=False):
        assert (
            _prune("--dry-run")
            == "2 webhook delivery(ies) and 0 kept status(es) would be deleted\n"
        )
        assert WebhookDelivery.objects.count() == 4
        assert _prune() == "2 webhook delivery(ies) and 0 kept status(es) deleted\n"
    left = list(WebhookDelivery.objects.order_by("received_at"))
    assert len(left) == 2
    assert any(row.processed_at is None for row in left)  # the pending one
    assert Message.objects.filter(direction="inbound").count() >= 2  # messages stay
    with time_machine.travel(START + timedelta(days=60), tick=False):
        _prune("--days", "10")
    assert [row.processed_at for row in WebhookDelivery.objects.all()] == [None]


def test_kept_statuses_go_after_a_week(meta: Meta) -> None:
    with time_machine.travel(START, tick=False):
        PendingStatus.objects.create(channel=meta.whatsapp, external_id="wamid.OLD", status="read")
    with time_machine.travel(START + timedelta(days=6), tick=False):
        PendingStatus.objects.create(channel=meta.whatsapp, external_id="wamid.NEW", status="sent")
    with time_machine.travel(START + timedelta(days=8), tick=False):
        assert _prune() == "0 webhook delivery(ies) and 1 kept status(es) deleted\n"
    assert list(PendingStatus.objects.values_list("external_id", flat=True)) == ["wamid.NEW"]


def test_a_retention_below_one_day_is_refused(meta: Meta) -> None:
    with pytest.raises(CommandError, match="at least one day"):
        _prune("--days", "0")
