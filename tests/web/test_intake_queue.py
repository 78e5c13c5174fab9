"""The intake queue: an accepted submission is never lost, and draining twice makes one case."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from django.core.management import call_command

from ascolto.channels import intake, queue
from ascolto.channels.models import PendingInbound
from ascolto.core.errors import InvalidInput, NotFound
from ascolto.tickets import codes
from ascolto.tickets.models import Ticket
from tests import factories, personas

pytestmark = pytest.mark.django_db


def test_a_drain_takes_in_the_queue_with_the_pre_assigned_codes(cast: personas.Cast) -> None:
    wanted = [codes.new_code() for _ in range(3)]
    for code in wanted:
        queue.accept(factories.scrivi_message(theme="tari"), code)
    assert queue.pending() == 3

    done = queue.drain()

    assert (done.processed, done.failed) == (3, 0)
    assert set(Ticket.objects.values_list("code", flat=True)) == set(wanted)
    assert queue.pending() == 0


def test_an_accepted_submission_survives_a_failing_drain(
    cast: personas.Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = codes.new_code()
    queue.accept(factories.scrivi_message(), code)
    real = intake._store

    def crash(items: Any) -> Any:
        real(items)  # the case is written ... then the process fails before the commit
        raise RuntimeError("worker killed")

    monkeypatch.setattr(intake, "_store", crash)
    done = queue.drain()
    assert done.processed == 0
    assert not Ticket.objects.exists()
    row = PendingInbound.objects.get(code=code)
    assert row.processed_at is None
    assert row.attempts == 1
    assert "worker killed" in row.last_error

    monkeypatch.setattr(intake, "_store", real)
    assert queue.drain().processed == 1
    assert Ticket.objects.get().code == code


def test_draining_twice_creates_one_case(cast: personas.Cast) -> None:
    inbound = factories.scrivi_message()
    code = codes.new_code()
    queue.accept(inbound, code)
    assert queue.drain().processed == 1
    # The same row processed again (a worker that died after committing and was retried).
    PendingInbound.objects.update(processed_at=None)
    assert queue.drain().processed == 1
    assert Ticket.objects.filter(code=code).count() == 1
    assert queue.drain().processed == 0


def test_the_same_message_is_accepted_once(cast: personas.Cast) -> None:
    inbound = factories.scrivi_message()
    queue.accept(inbound, codes.new_code())
    with pytest.raises(InvalidInput):
        queue.accept(inbound, codes.new_code())


def test_a_message_intake_refuses_stays_pending_with_its_reason(cast: personas.Cast) -> None:
    queue.accept(factories.scrivi_message(theme="no-such-theme"), codes.new_code())
    queue.accept(factories.scrivi_message(), codes.new_code())
    done = queue.drain()
    assert (done.processed, done.failed) == (1, 1)
    refused = PendingInbound.objects.get(processed_at__isnull=True)
    assert "Unknown category" in refused.last_error


def test_the_command_drains_the_queue(cast: personas.Cast, capsys: Any) -> None:
    queue.accept(factories.scrivi_message(), codes.new_code())
    call_command("drain_inbound")
    assert "1 queued message(s) taken in" in capsys.readouterr().out
    assert Ticket.objects.count() == 1


def test_accepting_enqueues_a_drain_after_commit(
    cast: personas.Cast, django_capture_on_commit_callbacks: Any
) -> None:
    code = codes.new_code()
    with django_capture_on_commit_callbacks(execute=True):
        queue.accept(factories.scrivi_message(), code)
    assert Ticket.objects.get().code == code  # the immediate backend drained inline


def test_with_a_worker_backend_the_drain_is_enqueued_once_a_second_and_deferred(
    cast: personas.Cast, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    from django.core.cache import cache
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    cache.clear()
    queue._last_scheduled = 0.0
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            queue.accept(factories.scrivi_message(), codes.new_code())
    drains = DBTaskResult.objects.filter(task_path="ascolto.channels.tasks.drain_inbound")
    assert drains.count() == 1
    assert drains.get().run_after is not None
    assert not Ticket.objects.exists()  # the web process only accepted
    assert queue.pending() == 3


def test_what_intake_would_refuse_is_refused_at_accept_not_at_the_drain(
    cast: personas.Cast, settings: Any
) -> None:
    settings.ASCOLTO_MAX_MESSAGE_CHARS = 50
    too_long = factories.scrivi_message(
        "Una richiesta molto più lunga di cinquanta caratteri, davvero."
    )
    with pytest.raises(InvalidInput, match="at most 50"):
        queue.accept(too_long, codes.new_code())
    unknown = dataclasses.replace(factories.scrivi_message(), channel="no-such-channel")
    with pytest.raises(NotFound):
        queue.accept(unknown, codes.new_code())
    assert not PendingInbound.objects.exists()
