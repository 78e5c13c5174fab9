"""Sessions over time: the survey after 10 minutes of inactivity (once, inside the 24-hour
window, answers stored per session and menu path), a menu published while a session is in
progress, a re-delivered message taken once, a failed send retried."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command

from ascolto.assistant import actions, menus
from ascolto.assistant.models import MenuNode, MenuVersion, Reply, Session, SurveyAnswer, Turn
from tests import personas
from tests.assistant.conftest import Citizen, body_text, choices, node

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


def test_the_survey_comes_after_ten_minutes_once_and_its_answers_are_kept(
    citizen: Citizen, menu: MenuVersion
) -> None:
    with time_machine.travel(T0, tick=False):
        citizen.say("ciao")
        citizen.say("A")
    with time_machine.travel(T0 + timedelta(minutes=8), tick=False):
        citizen.say("A")  # the card of the identity card: inactivity counts from here
    with time_machine.travel(T0 + timedelta(minutes=17), tick=False):
        call_command("assistant_tick")
        assert citizen.sent() == []  # 9 minutes only
    with time_machine.travel(T0 + timedelta(minutes=18, seconds=5), tick=False):
        call_command("assistant_tick")
        [survey] = citizen.sent()
    assert body_text(survey) == "Ti sono stato utile?"
    session = Session.objects.get()
    assert [t for _i, t in choices(survey)] == ["Sì", "No"]
    assert choices(survey)[0][0] == f"survey:yes:{session.pk}"
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        call_command("assistant_tick")
        assert citizen.sent() == []  # once per session
        [question] = citizen.tap(f"survey:yes:{session.pk}", "Sì", kind="button_reply")
        assert "argomenti che avresti voluto trovare" in body_text(question)
        [thanks] = citizen.say("Gli orari delle piscine")
        assert "Grazie" in body_text(thanks)
    answer = SurveyAnswer.objects.get()
    assert answer.session == session and answer.useful is True
    assert answer.suggestion == "Gli orari delle piscine"
    assert answer.path == "A.A" and answer.answered_at is not None
    # Answering the survey does not ask it again.
    with time_machine.travel(T0 + timedelta(minutes=50), tick=False):
        call_command("assistant_tick")
        assert citizen.sent() == []


def test_no_survey_outside_the_24_hour_window(citizen: Citizen, menu: MenuVersion) -> None:
    with time_machine.travel(T0, tick=False):
        citizen.say("ciao")
    with time_machine.travel(T0 + timedelta(hours=25), tick=False):
        actions.tick()
    assert citizen.sent() == []
    assert Reply.objects.get(purpose=Reply.Purpose.SURVEY).status == Reply.Status.CANCELLED
    assert not SurveyAnswer.objects.exists()


def test_a_menu_published_during_a_session_does_not_break_it(
    citizen: Citizen, menu: MenuVersion, cast: personas.Cast
) -> None:
    citizen.say("ciao")
    [submenu] = citizen.say("A")
    draft = menus.draft_from(menu, cast.administrator)
    # The editors rename the submenu's entries and remove the link.
    node(draft, "A.A").delete()
    node(draft, "A.B").delete()
    MenuNode.objects.create(
        version=draft,
        parent=node(draft, "A"),
        letter="A",
        label="Residenza",
        kind="link",
        url="https://www.comune.example.it/residenza",
    )
    menus.publish(draft, cast.administrator)

    # The session in progress still runs on the version it started with.
    [card] = citizen.say("B")
    assert "https://www.comune.example.it/certificati" in body_text(card)
    assert Session.objects.get().version == menu
    # Back at the top, it moves to the published version.
    [top] = citizen.say("menu")
    session = Session.objects.get()
    assert session.version == draft
    [submenu] = citizen.say("A")
    assert [t for _i, t in choices(submenu)] == ["A. Residenza"]


def test_a_re_delivered_message_is_one_turn(citizen: Citizen, menu: MenuVersion) -> None:
    citizen.say("ciao", wamid="wamid.FIRST")
    turns = Turn.objects.count()
    assert citizen.say("ciao", wamid="wamid.FIRST") == []
    assert Turn.objects.count() == turns
    assert Reply.objects.filter(purpose=Reply.Purpose.REPLY).count() == 2


def test_a_reply_the_graph_api_fails_is_retried_and_sent_in_order(
    citizen: Citizen, menu: MenuVersion
) -> None:
    citizen.graph.fail_next(status=500)
    with time_machine.travel(T0, tick=False):
        # The greeting's send failed (the server recorded the try); the menu waits behind it.
        assert len(citizen.say("ciao")) == 1
        queued = Reply.objects.filter(status=Reply.Status.QUEUED, purpose="reply")
        assert queued.count() == 2
        assert [r.recipient for r in queued] == ["393331234567"] * 2
    with time_machine.travel(T0 + timedelta(minutes=2), tick=False):
        actions.tick()
    greeting, top = citizen.sent()[-2:]
    assert "assistente virtuale" in body_text(greeting)
    assert len(choices(top)) == 6
    sent = Reply.objects.filter(purpose="reply")
    assert {r.status for r in sent} == {Reply.Status.SENT}
    assert {r.recipient for r in sent} == {""}


def test_a_new_turns_replies_wait_behind_a_reply_still_to_retry(
    citizen: Citizen, menu: MenuVersion
) -> None:
    citizen.graph.fail_next(status=500)
    with time_machine.travel(T0, tick=False):
        assert len(citizen.say("ciao")) == 1  # the greeting failed: it and the menu wait
    with time_machine.travel(T0 + timedelta(seconds=5), tick=False):
        # The citizen writes again before the retry: the answer does not overtake them.
        assert citizen.tap("B", "Rifiuti e TARI") == []
        actions.tick()
        assert citizen.sent() == []
    with time_machine.travel(T0 + timedelta(minutes=2), tick=False):
        actions.tick()
    greeting, top, card = citizen.sent()
    assert "assistente virtuale" in body_text(greeting)
    assert len(choices(top)) == 6
    assert "due rate" in body_text(card)
    assert not Reply.objects.filter(purpose="reply").exclude(status="sent").exists()
