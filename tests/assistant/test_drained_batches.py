"""A drained batch of many citizens' messages: its turns read and write together (the queries
do not grow with the batch), a citizen with two messages in one batch is answered in order,
a message delivered twice in one batch is answered once; the replies are sent right after the
commit by a thread of the draining process where tasks are deferred, and by the tick when that
process died before sending them."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ascolto.assistant import actions, sender
from ascolto.assistant.models import MenuVersion, Reply, Session, Turn
from ascolto.channels.adapters.meta import deliveries
from ascolto.channels.adapters.meta.sandbox import GraphSandbox
from tests import personas
from tests.assistant.conftest import PHONE_NUMBER_ID, body_text, build_menu, text_delivery
from tests.meta.inbound.conftest import APP_SECRET

DUMMY_TASKS = {
    "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}
}


def _accept(*bodies: dict[str, Any]) -> None:
    """Queue deliveries as the webhook does, the drain it schedules left for the test to run."""
    for body in bodies:
        deliveries.accept("whatsapp", json.dumps(body))


def _sent(graph: GraphSandbox) -> list[dict[str, Any]]:
    return [
        r.body
        for r in graph.requests
        if r.method == "POST" and r.path.endswith(f"/{PHONE_NUMBER_ID}/messages")
    ]


def _to(graph: GraphSandbox, wa_id: str) -> list[str]:
    return [body_text(m) for m in _sent(graph) if m["to"] == wa_id]


@pytest.fixture
def assistant_channel(
    cast: personas.Cast, graph_sandbox: GraphSandbox, monkeypatch: pytest.MonkeyPatch
) -> MenuVersion:
    monkeypatch.setenv("ASCOLTO_META_APP_SECRET", APP_SECRET)
    cast.whatsapp.config = {**cast.whatsapp.config, "assistant_menu": "comune"}
    cast.whatsapp.full_clean()
    cast.whatsapp.save()
    return build_menu(cast.administrator)


@pytest.mark.django_db
def test_a_batch_costs_the_same_queries_for_two_citizens_or_eight(
    assistant_channel: MenuVersion,
    graph_sandbox: GraphSandbox,
    django_capture_on_commit_callbacks: Any,
) -> None:
    few = [f"39333000000{i}" for i in range(2)]
    many = [f"39333100000{i}" for i in range(8)]
    counted = {}
    for group in (few, many):
        with django_capture_on_commit_callbacks(execute=False):
            _accept(*(text_delivery("ciao", wa_id=w) for w in group))
        with django_capture_on_commit_callbacks(execute=True):
            deliveries.drain()
        with django_capture_on_commit_callbacks(execute=False):
            _accept(*(text_delivery("A", wa_id=w) for w in group))
        with django_capture_on_commit_callbacks(execute=True):
            with CaptureQueriesContext(connection) as queries:
                assert deliveries.drain().processed == len(group)
        counted[len(group)] = len(queries)
    assert counted[2] == counted[8], counted
    for wa_id in few + many:  # the greeting and the menu, then the submenu
        texts = _to(graph_sandbox, wa_id)
        assert len(texts) == 3 and texts[2] == "Servizi dell'anagrafe:"
    assert Turn.objects.filter(direction="in").count() == 20
    assert not Reply.objects.filter(purpose="reply", status="queued").exists()
    assert Reply.objects.filter(purpose="survey", status="queued").count() == 10


@pytest.mark.django_db
def test_two_messages_of_a_citizen_in_one_batch_are_answered_in_order_and_a_repeat_once(
    assistant_channel: MenuVersion,
    graph_sandbox: GraphSandbox,
    django_capture_on_commit_callbacks: Any,
) -> None:
    wa_id = "393334445556"
    with django_capture_on_commit_callbacks(execute=False):
        _accept(
            text_delivery("ciao", wa_id=wa_id),
            text_delivery("A", wa_id=wa_id, wamid="wamid.SAME"),
            text_delivery("A", wa_id=wa_id, wamid="wamid.SAME"),  # Meta delivers it again
            text_delivery("indietro", wa_id=wa_id),
        )
    with django_capture_on_commit_callbacks(execute=True):
        assert deliveries.drain().processed == 4
    texts = _to(graph_sandbox, wa_id)
    assert len(texts) == 4
    assert "non conservo il tuo nome né il tuo numero" in texts[0]
    assert texts[2] == "Servizi dell'anagrafe:"
    assert texts[3] != texts[2]  # back to the top menu
    session = Session.objects.get()
    assert Turn.objects.filter(session=session, direction="in").count() == 3
    assert session.state.get("menu") == ""
    # Nothing of the citizen is kept once sent.
    assert not Reply.objects.filter(status="sent").exclude(recipient="").exists()


@pytest.mark.django_db(transaction=True)
def test_where_tasks_are_deferred_a_thread_sends_the_replies_right_after_the_commit(
    assistant_channel: MenuVersion, graph_sandbox: GraphSandbox, settings: Any
) -> None:
    settings.TASKS = DUMMY_TASKS  # a task enqueued would never run: only the thread can send
    assert sender.in_background()
    _accept(text_delivery("ciao", wa_id="393335550001"))
    assert deliveries.drain().processed == 1
    assert sender.flush(timeout=10)
    assert len(_to(graph_sandbox, "393335550001")) == 2
    assert Reply.objects.filter(status="sent", recipient="").count() == 2


@pytest.fixture
def left_for_the_tick(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tasks deferred, and the draining process dies right after its commit: its replies are
    queued, sent by no thread of it, left for the tick."""
    settings.TASKS = DUMMY_TASKS
    monkeypatch.setattr(sender, "submit", lambda ids: None)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("left_for_the_tick")
def test_replies_of_a_process_that_died_before_sending_them_are_sent_by_the_tick(
    assistant_channel: MenuVersion, graph_sandbox: GraphSandbox
) -> None:
    _accept(text_delivery("ciao", wa_id="393335550002"))
    assert deliveries.drain().processed == 1
    assert _sent(graph_sandbox) == []
    assert Reply.objects.filter(purpose="reply", status="queued").count() == 2
    sent, _ended = actions.tick()
    assert sent == 2
    assert len(_to(graph_sandbox, "393335550002")) == 2
    assert actions.tick() == (0, 0)  # sent once
    assert len(_sent(graph_sandbox)) == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("left_for_the_tick")
def test_the_tick_sends_sessions_side_by_side_each_in_order_and_a_failure_holds_only_its_own(
    assistant_channel: MenuVersion, graph_sandbox: GraphSandbox, settings: Any
) -> None:
    settings.ASCOLTO_ASSISTANT_SENDERS = 4
    citizens = [f"39333555{n:04d}" for n in range(6)]
    _accept(*(text_delivery("ciao", wa_id=wa_id) for wa_id in citizens))
    assert deliveries.drain().processed == 6
    graph_sandbox.fail_next(status=500)  # one send of the twelve fails: which one, no matter

    assert actions.tick()[0] == 11 - 1  # the failed reply's session holds its menu back
    tried = [r.body["to"] for r in graph_sandbox.sent()]
    assert len(tried) == 11 and set(tried) == set(citizens)
    short = [wa_id for wa_id in citizens if len(_to(graph_sandbox, wa_id)) < 2]
    assert len(short) == 1  # the session whose greeting failed: its menu was not tried
    held = Reply.objects.filter(purpose="reply", status="queued")
    assert held.count() == 2 and {r.recipient for r in held} == {short[0]}
    for wa_id in citizens:  # each session's replies went in order: greeting, then the menu
        texts = _to(graph_sandbox, wa_id)
        assert texts == sorted(texts, key=lambda t: "assistente virtuale" not in t), texts

    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=False):
        assert actions.tick()[0] == 2
    texts = _to(graph_sandbox, short[0])
    assert len(texts) == 3 and "assistente virtuale" in texts[1]  # greeting again, then menu
    assert not Reply.objects.filter(purpose="reply").exclude(status="sent").exists()
