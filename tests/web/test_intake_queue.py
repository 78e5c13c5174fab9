"""The intake queue: an accepted submission is never lost, and draining twice makes one case."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ascolto.channels import intake, queue
from ascolto.channels.models import Channel, PendingInbound
from ascolto.core.errors import InvalidInput, NotFound
from ascolto.tickets import codes
from ascolto.tickets.models import Campaign, Theme, Ticket
from tests import factories, personas
from tests.drains import batch_reads, starts_above

pytestmark = pytest.mark.django_db


def test_a_drain_takes_in_the_queue_with_the_pre_assigned_codes(cast: personas.Cast) -> None:
    wanted = [codes.new_code() for _ in range(3)]
    for code in wanted:
        queue.accept(factories.scrivi_message(theme="tari", code=code))
    assert queue.pending() == 3

    done = queue.drain()

    assert (done.processed, done.failed) == (3, 0)
    assert set(Ticket.objects.values_list("code", flat=True)) == set(wanted)
    assert queue.pending() == 0


def test_an_accepted_submission_survives_a_failing_drain(
    cast: personas.Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = codes.new_code()
    queue.accept(factories.scrivi_message(code=code))
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
    assert queue.drain().processed == 0  # it waits for its retry (backoff)
    assert row.next_attempt_at is not None
    with time_machine.travel(row.next_attempt_at):
        assert queue.drain().processed == 1
    assert Ticket.objects.get().code == code


def test_each_batch_of_a_drain_starts_above_the_last_and_the_next_drain_from_the_lowest(
    cast: personas.Cast,
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(5):
        queue.accept(factories.scrivi_message(theme="tari", code=codes.new_code()))
    first, *rest = PendingInbound.objects.order_by("id").values_list("id", flat=True)
    # The lowest is not due yet (waiting for a retry): the drain takes the others.
    later = timezone.now() + queue.RETRY_CAP
    PendingInbound.objects.filter(pk=first).update(next_attempt_at=later)
    with CaptureQueriesContext(connection) as queries:
        assert queue.drain_all(2) == 4
    batches = batch_reads(queries.captured_queries, PendingInbound)
    # Three batches (2, 2, none): each after the first asks for ids above the last one's.
    assert len(batches) == 3
    assert starts_above(batches[1], PendingInbound, rest[1])
    assert starts_above(batches[2], PendingInbound, rest[3])

    # Due now, under the lowest id: the next drain starts from the lowest again.
    PendingInbound.objects.filter(pk=first).update(next_attempt_at=None)
    assert queue.drain_all(2) == 1
    assert queue.pending() == 0


def test_draining_twice_creates_one_case(cast: personas.Cast) -> None:
    code = codes.new_code()
    queue.accept(factories.scrivi_message(code=code))
    assert queue.drain().processed == 1
    # The same row processed again (a worker that died after committing and was retried).
    PendingInbound.objects.update(processed_at=None)
    assert queue.drain().processed == 1
    assert Ticket.objects.filter(code=code).count() == 1
    assert queue.drain().processed == 0


def test_the_same_message_is_accepted_once(cast: personas.Cast) -> None:
    inbound = factories.scrivi_message(code=codes.new_code())
    queue.accept(inbound)
    again = dataclasses.replace(
        inbound, hints=dataclasses.replace(inbound.hints, code=codes.new_code())
    )
    with pytest.raises(queue.AlreadyAccepted):
        queue.accept(again)


def test_the_message_carries_its_tracking_code_through_the_queue(cast: personas.Cast) -> None:
    code = codes.new_code()
    row = queue.accept(factories.scrivi_message(code=code))
    assert row.code == row.payload["hints"]["code"] == code
    with pytest.raises(InvalidInput, match="codice mostrato al cittadino"):
        queue.accept(factories.scrivi_message())  # no code shown to the citizen: not queued
    assert PendingInbound.objects.count() == 1


def test_a_message_intake_refuses_stays_pending_with_its_reason(cast: personas.Cast) -> None:
    queue.accept(factories.scrivi_message(code=codes.new_code(), channel="buoni-spesa"))
    queue.accept(factories.scrivi_message(code=codes.new_code()))
    Channel.objects.filter(code="buoni-spesa").update(is_active=False)
    done = queue.drain()
    assert (done.processed, done.failed) == (1, 1)
    refused = PendingInbound.objects.get(processed_at__isnull=True)
    assert "non è attivo" in refused.last_error


@pytest.mark.parametrize(
    ("hints", "error"),
    [
        ({"theme": "no-such-theme"}, "Categoria sconosciuta"),
        ({"theme": "altro-generico-disattivato"}, "Categoria sconosciuta"),
        ({"campaign": "bonus-2019"}, "Campagna sconosciuta"),
        ({"kind": "lamentela"}, "Tipo di richiesta sconosciuto"),
        ({"code": "ABCD"}, "Codice di tracciamento non valido"),
    ],
)
def test_case_hints_intake_would_refuse_are_refused_at_accept(
    cast: personas.Cast, hints: dict[str, str], error: str
) -> None:
    Theme.objects.create(
        code="altro-generico-disattivato",
        name="Disattivato",
        parent=Theme.objects.get(code="altro"),
        is_active=False,
    )
    inbound = factories.scrivi_message(code=codes.new_code())
    inbound = dataclasses.replace(inbound, hints=dataclasses.replace(inbound.hints, **hints))
    with pytest.raises(InvalidInput, match=error):
        queue.accept(inbound)
    assert not PendingInbound.objects.exists()


def test_an_accepted_request_is_not_refused_for_a_category_or_campaign_removed_since(
    cast: personas.Cast,
) -> None:
    campaign = Campaign.objects.create(
        code="bonus-2026", name="Bonus 2026", starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31)
    )
    theme = Theme.objects.create(
        code="bonus-casa", name="Bonus casa", parent=Theme.objects.get(code="altro")
    )
    code = codes.new_code()
    queue.accept(factories.scrivi_message(theme=theme.code, campaign=campaign.code, code=code))
    campaign.delete()
    theme.delete()

    assert queue.drain() == queue.Drained(1, 0)

    ticket = Ticket.objects.get(code=code)
    assert (ticket.theme, ticket.campaign) == (None, None)


def test_the_command_drains_the_queue(cast: personas.Cast, capsys: Any) -> None:
    queue.accept(factories.scrivi_message(code=codes.new_code()))
    call_command("drain_inbound")
    assert "1 queued message(s) taken in" in capsys.readouterr().out
    assert Ticket.objects.count() == 1


def test_accepting_enqueues_a_drain_after_commit(
    cast: personas.Cast, django_capture_on_commit_callbacks: Any
) -> None:
    code = codes.new_code()
    with django_capture_on_commit_callbacks(execute=True):
        queue.accept(factories.scrivi_message(code=code))
    assert Ticket.objects.get().code == code  # the immediate backend drained inline


def test_with_a_worker_backend_the_drain_is_enqueued_once_a_second_and_deferred(
    cast: personas.Cast, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    from django.core.cache import cache
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    cache.clear()
    queue._quiet_until = 0.0
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            queue.accept(factories.scrivi_message(code=codes.new_code()))
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
        "Una richiesta molto più lunga di cinquanta caratteri, davvero.", code=codes.new_code()
    )
    with pytest.raises(InvalidInput, match="al massimo 50"):
        queue.accept(too_long)
    unknown = dataclasses.replace(
        factories.scrivi_message(code=codes.new_code()), channel="no-such-channel"
    )
    with pytest.raises(NotFound):
        queue.accept(unknown)
    assert not PendingInbound.objects.exists()


T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _failing_intake(monkeypatch: pytest.MonkeyPatch) -> None:
    def down(items: Any) -> Any:
        raise RuntimeError("database refused the batch")

    monkeypatch.setattr(intake, "_store", down)


def test_a_failing_row_backs_off_exponentially_and_is_never_given_up(
    cast: personas.Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        code = codes.new_code()
        queue.accept(factories.scrivi_message(code=code))
        _failing_intake(monkeypatch)
        delays: list[float] = []
        for attempt in range(1, 16):
            done = queue.drain()
            assert (done.processed, done.failed) == (0, 1)
            row = PendingInbound.objects.get(code=code)
            assert row.attempts == attempt
            assert row.next_attempt_at is not None
            delays.append((row.next_attempt_at - timezone.now()).total_seconds())
            # `drain_inbound --loop` polls every second: a row not yet due is left alone.
            assert queue.drain_all() == 0
            assert queue.drain() == queue.Drained(0, 0)
            assert PendingInbound.objects.get(code=code).attempts == attempt
            clock.move_to(row.next_attempt_at)
        # Exponential (with jitter) from about half a minute, up to a cap of hours.
        first = queue.RETRY_BASE.total_seconds()
        assert first * 0.75 <= delays[0] <= first * 1.25
        assert 1.4 <= delays[3] / delays[2] <= 2.9
        assert max(delays) <= queue.RETRY_CAP.total_seconds() * 1.25
        assert delays[-1] >= queue.RETRY_CAP.total_seconds() * 0.75
        # Fifteen failures later the request is still there, and administrators are told.
        assert list(queue.needs_attention()) == [PendingInbound.objects.get(code=code)]

        monkeypatch.undo()
        assert queue.drain().processed == 1
        assert Ticket.objects.get().code == code
        assert not queue.needs_attention().exists()


def test_a_row_is_flagged_for_administrators_after_a_few_failures(
    cast: personas.Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        queue.accept(factories.scrivi_message(code=codes.new_code()))
        _failing_intake(monkeypatch)
        for _ in range(queue.FLAG_AFTER - 1):
            queue.drain()
            clock.shift(queue.RETRY_CAP * 2)
        assert not queue.needs_attention().exists()
        queue.drain()
        assert queue.needs_attention().count() == 1


def test_a_request_accepted_under_a_category_deactivated_since_falls_back_to_its_area(
    cast: personas.Cast,
) -> None:
    first, second = codes.new_code(), codes.new_code()
    queue.accept(factories.scrivi_message(theme="tari", code=first))
    queue.accept(factories.scrivi_message(theme="tari", email="luca@example.it", code=second))
    Theme.objects.filter(code="tari").update(is_active=False)

    assert queue.drain().processed == 2

    assert Ticket.objects.get(code=first).theme == Theme.objects.get(code="tributi")
    assert not PendingInbound.objects.filter(processed_at__isnull=True).exists()


def test_a_request_whose_whole_branch_was_deactivated_goes_to_triage(
    cast: personas.Cast,
) -> None:
    code = codes.new_code()
    queue.accept(factories.scrivi_message(theme="tari-dichiarazione", code=code))
    Theme.objects.filter(path__startswith="/tributi/").update(is_active=False)

    assert queue.drain().processed == 1

    assert Ticket.objects.get(code=code).theme is None


def _flagged(monkeypatch: pytest.MonkeyPatch, clock: Any, *codes_: str) -> None:
    _failing_intake(monkeypatch)
    for _ in range(queue.FLAG_AFTER):
        queue.drain()
        clock.shift(queue.RETRY_CAP * 2)
    assert queue.needs_attention().count() == len(codes_)
    monkeypatch.undo()


def test_an_administrator_sees_a_stuck_request_with_its_error_and_retries_it_now(
    cast: personas.Cast, monkeypatch: pytest.MonkeyPatch, client: Client
) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        code = codes.new_code()
        queue.accept(factories.scrivi_message(code=code))
        _flagged(monkeypatch, clock, code)
        row = PendingInbound.objects.get(code=code)
        clock.shift(-queue.RETRY_CAP * 2)  # not yet due again
        client.force_login(cast.administrator)
        url = reverse("admin:channels_pendinginbound_changelist")

        page = client.get(url, {"attention": "yes"})
        assert page.status_code == 200
        html = page.content.decode()
        assert code in html and "database refused the batch" in html

        done = client.post(url, {"action": "retry_now", "_selected_action": [row.pk]}, follow=True)
        assert done.status_code == 200
        assert "1 richiesta presa in carico" in done.content.decode()
        assert Ticket.objects.get().code == code
        assert not queue.needs_attention().exists()


def test_an_administrator_marks_a_stuck_request_handled_by_hand(
    cast: personas.Cast, monkeypatch: pytest.MonkeyPatch, client: Client
) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        code = codes.new_code()
        queue.accept(factories.scrivi_message(code=code))
        _flagged(monkeypatch, clock, code)
        row = PendingInbound.objects.get(code=code)
        client.force_login(cast.administrator)
        url = reverse("admin:channels_pendinginbound_changelist")

        client.post(url, {"action": "mark_handled", "_selected_action": [row.pk]})

        row.refresh_from_db()
        assert row.handled_at == timezone.now() and row.handled_by == cast.administrator
        assert not queue.needs_attention().exists()
        assert queue.drain() == queue.Drained(0, 0)  # no longer retried
        assert not Ticket.objects.exists()
        # The admin cannot delete what a citizen sent.
        assert client.post(url, {"action": "delete_selected", "_selected_action": [row.pk]})
        assert PendingInbound.objects.filter(pk=row.pk).exists()


def test_acting_on_the_queue_needs_the_right_to_change_it_not_only_to_view_it(
    cast: personas.Cast,
) -> None:
    from django.contrib import admin
    from django.contrib.auth.models import Permission
    from django.test import RequestFactory

    from ascolto.organisation.models import User

    viewer = cast.analyst
    viewer.is_staff = True
    viewer.save(update_fields=["is_staff"])
    viewer.user_permissions.set(Permission.objects.filter(codename="view_pendinginbound"))
    model_admin = admin.site._registry[PendingInbound]
    request = RequestFactory().get("/")
    request.user = User.objects.get(pk=viewer.pk)
    assert not {"retry_now", "mark_handled"} & set(model_admin.get_actions(request))
    request.user = cast.administrator
    assert {"retry_now", "mark_handled"} <= set(model_admin.get_actions(request))


def test_a_row_queued_before_consents_were_recorded_is_still_taken_in(
    cast: personas.Cast,
) -> None:
    code = codes.new_code()
    row = queue.accept(factories.scrivi_message(code=code))
    old = dict(row.payload)
    old["sender"] = {**old["sender"], "privacy_consent": True}  # the bare flag of those rows
    del old["privacy_notice"]
    PendingInbound.objects.filter(pk=row.pk).update(payload=old)

    assert queue.drain() == queue.Drained(1, 0)

    assert Ticket.objects.get(code=code).citizen is not None


def test_a_process_that_finds_a_drain_scheduled_asks_the_cache_again_only_after_it_runs(
    cast: personas.Cast, settings: Any, monkeypatch: pytest.MonkeyPatch, time_machine: Any
) -> None:
    import time

    from django.core.cache import cache
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    cache.clear()
    queue._quiet_until = 0.0
    # Another web process scheduled a drain for 0.5 s from now.
    cache.add(queue.DEBOUNCE_KEY, time.time() + 0.5, timeout=queue.DEBOUNCE_SECONDS)
    asked: list[str] = []
    add, get = cache.add, cache.get
    monkeypatch.setattr(cache, "add", lambda *a, **k: asked.append("add") or add(*a, **k))
    monkeypatch.setattr(cache, "get", lambda *a, **k: asked.append("get") or get(*a, **k))

    queue.schedule_drain()
    assert asked == ["get", "add", "get"]  # no drain loop; a drain found, and when it runs
    queue.schedule_drain()
    queue.schedule_drain()
    assert asked == ["get", "add", "get"]  # that drain takes what these commit: no round trip
    assert not DBTaskResult.objects.exists()

    queue._quiet_until = 0.0  # (as once that drain's time has come)
    cache.delete(queue.DEBOUNCE_KEY)
    queue.schedule_drain()
    assert asked[-1] == "add"
    assert (
        DBTaskResult.objects.filter(task_path="ascolto.channels.tasks.drain_inbound").count() == 1
    )


def test_while_a_drain_loop_runs_the_webhook_enqueues_no_drain_task(
    cast: personas.Cast, settings: Any, time_machine: Any
) -> None:
    from django.core.cache import cache
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    drains = DBTaskResult.objects.filter(task_path="ascolto.channels.tasks.drain_inbound")
    time_machine.move_to("2026-03-02 10:00:00+01:00", tick=False)
    cache.clear()
    queue._quiet_until = 0.0
    queue.note_loop_alive(0.05)  # `drain_inbound --loop --interval 0.05` runs
    queue.schedule_drain()
    assert not drains.exists()  # the loop takes the row: a task would only drain beside it

    time_machine.shift(queue.LOOP_GRACE + 1)  # the loop died: its word expired
    queue._quiet_until = 0.0
    queue.schedule_drain()
    assert drains.count() == 1

    drains.delete()
    cache.clear()
    queue._quiet_until = 0.0
    queue.note_loop_alive(60.0)  # a loop slower than the debounced task says nothing
    queue.schedule_drain()
    assert drains.count() == 1
