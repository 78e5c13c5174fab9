"""The open interfaces' tables that grow every day are pruned by the nightly `prune_tables`:
the outgoing webhook calls delivered or given up (after `ASCOLTO_RETENTION_WEBHOOK_CALLS_DAYS`),
never a pending one, and the idempotency keys past their 24 hours (docs/deploy.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.test import override_settings

from ascolto.api import webhooks
from ascolto.api.models import IdempotencyKey, WebhookCall
from ascolto.api.tokens import issue_token
from ascolto.core import maintenance

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)
Status = WebhookCall.Status


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def call(subscription: object, name: str, **fields: object) -> WebhookCall:
    return WebhookCall.objects.create(
        subscription=subscription,
        event_id=f"evt_{name}",
        event="case.opened",
        payload={"id": f"evt_{name}"},
        created_at=ago(60),
        **fields,
    )


@override_settings(ASCOLTO_RETENTION_WEBHOOK_CALLS_DAYS=30)
def test_delivered_and_failed_calls_go_after_the_retention_pending_ones_never() -> None:
    portal = webhooks.create_subscription(
        "Portale", "https://portale.example.it/hooks", ["case.opened"]
    )
    delivered_old = call(portal, "a", status=Status.DELIVERED, delivered_at=ago(31))
    delivered_new = call(portal, "b", status=Status.DELIVERED, delivered_at=ago(29))
    failed_old = call(portal, "c", status=Status.FAILED, failed_at=ago(31), attempts=12)
    failed_new = call(portal, "d", status=Status.FAILED, failed_at=ago(3), attempts=12)
    pending_old = call(portal, "e", status=Status.PENDING, attempts=11)

    with time_machine.travel(NOW, tick=False):
        assert maintenance.prune_tables(only=["webhook_calls"], dry_run=True) == {
            "webhook_calls": 2
        }
        assert WebhookCall.objects.count() == 5
        assert maintenance.prune_tables(only=["webhook_calls"]) == {"webhook_calls": 2}

    assert set(WebhookCall.objects.values_list("pk", flat=True)) == {
        delivered_new.pk,
        failed_new.pk,
        pending_old.pk,
    }
    assert not WebhookCall.objects.filter(pk__in=[delivered_old.pk, failed_old.pk]).exists()


@override_settings(ASCOLTO_RETENTION_WEBHOOK_CALLS_DAYS=7)
def test_the_calls_retention_is_a_setting() -> None:
    portal = webhooks.create_subscription(
        "Portale", "https://portale.example.it/hooks", ["case.opened"]
    )
    call(portal, "a", status=Status.DELIVERED, delivered_at=ago(8))
    with time_machine.travel(NOW, tick=False):
        assert maintenance.prune_tables(only=["webhook_calls"]) == {"webhook_calls": 1}
    assert not WebhookCall.objects.exists()


def test_idempotency_keys_go_after_their_24_hours() -> None:
    token, _plaintext = issue_token("Portale", ["cases:write"])

    def key(name: str, at: datetime) -> IdempotencyKey:
        return IdempotencyKey.objects.create(
            token=token, key=name, method="POST", path="/api/v1/cases", request_digest="0" * 64,
            status=202, created_at=at,
        )  # fmt: skip

    old = key("old", NOW - timedelta(hours=25))
    fresh = key("fresh", NOW - timedelta(hours=23))
    out = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("prune_tables", "--only", "idempotency_keys", stdout=out)
    assert "idempotency_keys" in out.getvalue()
    assert list(IdempotencyKey.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not IdempotencyKey.objects.filter(pk=old.pk).exists()
