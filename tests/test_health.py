"""`/healthz` and `/readyz`: what a load balancer asks before sending traffic (core/health.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client, override_settings
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from ascolto.channels.models import PendingInbound
from ascolto.core.models import OutboxEvent

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 8, 14, 23, 50, tzinfo=UTC)
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def ready(client: Client) -> tuple[int, dict[str, Any]]:
    with time_machine.travel(NOW, tick=False):
        response = client.get("/readyz")
    return response.status_code, response.json()


def test_healthz_answers_without_touching_the_database(
    client: Client, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_a_fresh_system_is_ready_and_says_what_it_checked(client: Client) -> None:
    status, body = ready(client)
    assert status == 200, body
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "migrations", "outbox", "tasks", "intake_queue"}
    assert all(check["ok"] for check in body["checks"].values())


@override_settings(ASCOLTO_READY_QUEUE_LAG=120)
def test_a_request_waiting_in_the_intake_queue_too_long_makes_it_not_ready(
    client: Client,
) -> None:
    row = PendingInbound.objects.create(
        channel="web",
        external_id="x",
        payload={},
        code="C-1",
        accepted_at=NOW - timedelta(seconds=100),
    )
    assert ready(client)[0] == 200
    PendingInbound.objects.filter(pk=row.pk).update(accepted_at=NOW - timedelta(seconds=121))

    status, body = ready(client)

    assert status == 503
    assert body["status"] == "not ready"
    assert body["checks"]["intake_queue"] == {"ok": False, "detail": "121 s (limit 120 s)"}
    # A row that failed waits for its retry (administrators see it): not the node's fault.
    PendingInbound.objects.filter(pk=row.pk).update(attempts=1, last_error="boom")
    assert ready(client)[0] == 200


@override_settings(ASCOLTO_READY_OUTBOX_LAG=300)
def test_an_outbox_event_never_tried_for_too_long_makes_it_not_ready(client: Client) -> None:
    event = OutboxEvent.objects.create(topic="ticket.opened", payload={})
    OutboxEvent.objects.filter(pk=event.pk).update(created_at=NOW - timedelta(minutes=6))

    status, body = ready(client)
    assert status == 503
    assert body["checks"]["outbox"]["ok"] is False

    # One waiting for its retry (the mail server is down) does not take the node out of service.
    OutboxEvent.objects.filter(pk=event.pk).update(
        attempts=3, next_attempt_at=NOW + timedelta(hours=1)
    )
    assert ready(client)[0] == 200


@override_settings(TASKS=DB_TASKS, ASCOLTO_READY_TASK_LAG=300)
def test_a_due_task_no_worker_started_makes_it_not_ready(client: Client) -> None:
    def task(**fields: Any) -> DBTaskResult:
        return DBTaskResult.objects.create(
            id=uuid.uuid4(),
            status=TaskResultStatus.READY,
            args_kwargs={"args": [], "kwargs": {}},
            task_path="ascolto.core.tasks.process_outbox_event",
            backend_name="default",
            exception_class_path="",
            traceback="",
            **fields,
        )

    later = task(run_after=NOW + timedelta(hours=2))
    assert ready(client)[0] == 200  # not due yet
    queued = task(run_after=get_date_max())
    DBTaskResult.objects.filter(pk=queued.pk).update(enqueued_at=NOW - timedelta(minutes=10))

    status, body = ready(client)

    assert status == 503
    assert body["checks"]["tasks"] == {"ok": False, "detail": "600 s (limit 300 s)"}
    DBTaskResult.objects.filter(pk=queued.pk).update(status=TaskResultStatus.RUNNING)
    assert ready(client)[0] == 200
    assert later.pk


def test_readiness_costs_a_handful_of_queries(
    client: Client, django_assert_max_num_queries: Any
) -> None:
    ready(client)  # the migrations are checked once per process
    with django_assert_max_num_queries(6):
        assert ready(client)[0] == 200


def test_only_get_and_head(client: Client) -> None:
    assert client.post("/readyz").status_code == 405
    assert client.head("/healthz").status_code == 200
