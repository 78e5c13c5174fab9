"""The queue of Meta's deliveries: nothing accepted is lost, a failing delivery is retried with
backoff for ever and shown to administrators, a drain killed halfway loses and doubles nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ascolto.channels import intake
from ascolto.channels.adapters.meta import deliveries
from ascolto.channels.models import Message, WebhookDelivery
from ascolto.channels.queue import FLAG_AFTER, RETRY_CAP
from tests import factories, personas
from tests.drains import batch_reads, starts_above
from tests.meta.inbound.conftest import APP_SECRET, VERIFY_TOKEN, Meta, payload

T0 = datetime(2026, 5, 28, 9, 0, tzinfo=UTC)


def _crash(monkeypatch: pytest.MonkeyPatch) -> None:
    real = intake._store

    def crash(items: Any) -> Any:
        real(items)  # the messages are written ... then the process fails before the commit
        raise RuntimeError("worker killed")

    monkeypatch.setattr(intake, "_store", crash)


@pytest.mark.django_db
def test_a_delivery_survives_a_failing_drain_and_is_retried_with_backoff(
    meta: Meta, monkeypatch: pytest.MonkeyPatch
) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        meta.deliver("whatsapp_text")
        _crash(monkeypatch)
        assert deliveries.drain().processed == 0
        row = WebhookDelivery.objects.get()
        assert (row.attempts, row.processed_at) == (1, None)
        assert "worker killed" in row.last_error
        assert not Message.objects.exists()  # rolled back whole

        monkeypatch.undo()
        assert deliveries.drain().processed == 0  # waiting for its retry
        assert row.next_attempt_at is not None
        clock.move_to(row.next_attempt_at)
        assert deliveries.drain().processed == 1
        assert Message.objects.count() == 1


@pytest.mark.django_db
def test_a_delivery_failing_again_and_again_is_shown_to_administrators_and_retried_now(
    meta: Meta, monkeypatch: pytest.MonkeyPatch, client: Client
) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        meta.deliver("whatsapp_text")
        _crash(monkeypatch)
        waits = []
        for _ in range(FLAG_AFTER):
            deliveries.drain()
            row = WebhookDelivery.objects.get()
            assert row.next_attempt_at is not None
            waits.append(row.next_attempt_at - timezone.now())
            clock.move_to(row.next_attempt_at)
        assert waits == sorted(waits) and waits[-1] <= RETRY_CAP * 1.1
        assert list(deliveries.needs_attention()) == [row]
        monkeypatch.undo()

        client.force_login(meta.cast.administrator)
        url = reverse("admin:channels_webhookdelivery_changelist")
        page = client.get(url, {"attention": "yes"})
        assert page.status_code == 200 and "worker killed" in page.content.decode()
        clock.shift(-RETRY_CAP * 2)  # not due: an administrator retries it now
        done = client.post(url, {"action": "retry_now", "_selected_action": [row.pk]}, follow=True)
        assert "1 consegna presa in carico" in done.content.decode()
        assert Message.objects.count() == 1
        assert not deliveries.needs_attention().exists()


@pytest.mark.django_db
def test_each_batch_of_a_drain_starts_above_the_last_and_the_next_drain_from_the_lowest(
    meta: Meta,
) -> None:
    from django.test.utils import CaptureQueriesContext

    with time_machine.travel(T0, tick=False):
        for _ in range(5):
            meta.deliver("whatsapp_text")  # re-deliveries: five rows, one message
        first, *rest = WebhookDelivery.objects.order_by("id").values_list("id", flat=True)
        # The lowest is not due yet (a retry later): the drain takes the others.
        WebhookDelivery.objects.filter(pk=first).update(next_attempt_at=T0 + RETRY_CAP)
        with CaptureQueriesContext(connection) as queries:
            assert deliveries.drain_all(2) == 4
        batches = batch_reads(queries.captured_queries, WebhookDelivery)
        # Three batches (2, 2, none): each after the first asks for ids above the last one's.
        assert len(batches) == 3
        assert starts_above(batches[1], WebhookDelivery, rest[1])
        assert starts_above(batches[2], WebhookDelivery, rest[3])
        assert Message.objects.count() == 1

        # Due now, under the lowest id: the next drain starts from the lowest again.
        WebhookDelivery.objects.filter(pk=first).update(next_attempt_at=None)
        assert deliveries.drain_all(2) == 1
        assert not WebhookDelivery.objects.filter(processed_at__isnull=True).exists()


@pytest.mark.django_db
def test_an_administrator_marks_a_delivery_handled_by_hand(meta: Meta, client: Client) -> None:
    meta.deliver(b"{}")  # signed, but no delivery: fails at every drain
    deliveries.drain()
    row = WebhookDelivery.objects.get()
    client.force_login(meta.cast.administrator)
    url = reverse("admin:channels_webhookdelivery_changelist")
    client.post(url, {"action": "mark_handled", "_selected_action": [row.pk]})
    row.refresh_from_db()
    assert row.handled_by == meta.cast.administrator
    assert deliveries.pending() == 0
    client.post(url, {"action": "delete_selected", "_selected_action": [row.pk]})
    assert WebhookDelivery.objects.filter(pk=row.pk).exists()  # never deleted


@pytest.mark.django_db
def test_the_drain_command_takes_in_the_deliveries(meta: Meta, capsys: Any) -> None:
    meta.deliver("whatsapp_text")
    meta.deliver("messenger_text", channel="messenger")
    call_command("drain_inbound")
    assert "2 Meta webhook delivery(ies) taken in" in capsys.readouterr().out
    assert Message.objects.count() == 2


@pytest.mark.django_db
def test_accepting_enqueues_a_drain_after_commit(
    meta: Meta, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        meta.deliver("whatsapp_text")
    assert len(callbacks) == 1
    assert Message.objects.count() == 1  # the immediate backend of the tests drained at once
    assert deliveries.pending() == 0


# --- a worker killed in the middle of a drain (PostgreSQL) ---------------------------------------

DELIVERIES = 300
PER_DELIVERY = 3


def _batch(n: int) -> bytes:
    data = payload("whatsapp_text")
    value = data["entry"][0]["changes"][0]["value"]
    template = value["messages"][0]
    value["messages"] = [
        {**template, "id": f"wamid.KILL-{n}-{i}", "text": {"body": f"Messaggio {n}/{i}"}}
        for i in range(PER_DELIVERY)
    ]
    return json.dumps(data).encode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_drain_killed_halfway_loses_nothing_and_doubles_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    factories.ensure_taxonomy()
    cast = personas.build_cast()
    monkeypatch.setenv("ASCOLTO_META_APP_SECRET", APP_SECRET)
    monkeypatch.setenv("ASCOLTO_META_VERIFY_TOKEN", VERIFY_TOKEN)
    bodies = [_batch(n) for n in range(DELIVERIES)]
    # Every delivery sent twice (Meta re-delivers), accepted as the webhook does.
    WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(channel=cast.whatsapp.code, body=b.decode()) for b in bodies * 2]
    )
    name = connection.settings_dict["NAME"]
    url = f"postgres://{connection.settings_dict['USER']}@127.0.0.1:5432/{name}"
    env = {**os.environ, "DATABASE_URL": url, "ASCOLTO_TASK_BACKEND": "immediate"}
    worker = subprocess.Popen(  # noqa: S603 (our own command)
        [sys.executable, "-m", "ascolto", "drain_inbound", "--limit", "20", "--loop"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            done = WebhookDelivery.objects.filter(processed_at__isnull=False).count()
            if done >= 40:
                break
            assert worker.poll() is None, worker.stderr.read() if worker.stderr else ""
            time.sleep(0.05)
        os.kill(worker.pid, signal.SIGKILL)  # mid-drain: it was still taking batches in
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    halfway = WebhookDelivery.objects.filter(processed_at__isnull=False).count()
    assert 0 < halfway < 2 * DELIVERIES, "the worker was not killed in the middle"

    assert deliveries.drain_all(50) == 2 * DELIVERIES - halfway

    inbound = Message.objects.filter(direction=Message.Direction.INBOUND)
    assert inbound.count() == DELIVERIES * PER_DELIVERY  # nothing lost, nothing doubled
    assert inbound.values("external_id").distinct().count() == DELIVERIES * PER_DELIVERY
    assert deliveries.pending() == 0
    assert settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
