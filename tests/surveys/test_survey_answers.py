"""Answering a survey (`surveys.actions.submit_response`): each kind's values, branching,
required questions, one answer per invitation, expiry, anonymity and versions."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
import time_machine
from django.db import connection

from ascolto.core.models import OutboxEvent
from ascolto.surveys import actions, building
from ascolto.surveys.actions import (
    AnswersInvalid,
    InvitationExpired,
    InvitationUsed,
    SurveyNotOpen,
    shown_questions,
    submit_response,
)
from ascolto.surveys.models import Answer, Invitation, Response, Survey
from tests import factories, personas
from tests.surveys.helpers import branching_survey, invite

pytestmark = pytest.mark.django_db

HAPPY = {"voto": 5, "consiglio": 9, "ufficio": "tributi", "facilita": 6, "commento": "Bene"}


def _errors(survey: Survey, answers: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(AnswersInvalid) as caught:
        submit_response(survey, answers)
    return caught.value.errors


def _answers(response: Response) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for answer in (
        Answer.objects.filter(response=response).select_related("question").order_by("pk")
    ):
        value = answer.number if answer.number is not None else answer.value
        found.setdefault(answer.question.code, []).append(value)
    return found


def test_a_complete_answer_is_stored_with_its_csat_and_nps() -> None:
    survey = branching_survey()
    response = submit_response(survey, HAPPY)

    assert response.version_id == survey.current_version_id
    assert (response.csat, response.nps) == (5, 9)
    assert _answers(response) == {
        "voto": [5],
        "consiglio": [9],
        "ufficio": ["tributi"],
        "facilita": [6],
        "commento": ["Bene"],
    }
    event = OutboxEvent.objects.get(topic="survey.answered")
    assert event.payload["response_id"] == response.pk


@pytest.mark.parametrize("good", [1, 5, "3", " 4 "])
def test_a_rating_takes_one_to_five_stars(good: Any) -> None:
    response = submit_response(branching_survey(), {**HAPPY, "voto": good, "problemi": ["tempi"]})
    assert response.csat == int(str(good))


@pytest.mark.parametrize("bad", [0, 6, "cinque", 3.5, True, [4]])
def test_a_rating_outside_one_to_five_is_refused(bad: Any) -> None:
    assert "voto" in _errors(branching_survey(), {**HAPPY, "voto": bad})


@pytest.mark.parametrize(
    ("value", "ok"), [(0, True), (10, True), ("7", True), (11, False), (-1, False)]
)
def test_nps_takes_zero_to_ten(value: Any, ok: bool) -> None:
    survey = branching_survey()
    if ok:
        assert submit_response(survey, {**HAPPY, "consiglio": value}).nps == int(value)
    else:
        assert "consiglio" in _errors(survey, {**HAPPY, "consiglio": value})


@pytest.mark.parametrize(("value", "ok"), [(1, True), (7, True), (0, False), (8, False)])
def test_a_scale_takes_its_own_minimum_to_maximum(value: int, ok: bool) -> None:
    survey = branching_survey()
    if ok:
        assert _answers(submit_response(survey, {**HAPPY, "facilita": value}))["facilita"] == [
            value
        ]
    else:
        assert "facilita" in _errors(survey, {**HAPPY, "facilita": value})


def test_a_single_choice_takes_exactly_one_of_its_values() -> None:
    survey = branching_survey()
    assert "ufficio" in _errors(survey, {**HAPPY, "ufficio": "polizia"})
    assert "ufficio" in _errors(survey, {**HAPPY, "ufficio": ["anagrafe", "tributi"]})
    assert _answers(submit_response(survey, {**HAPPY, "ufficio": "anagrafe"}))["ufficio"] == [
        "anagrafe"
    ]


def test_a_multiple_choice_takes_a_subset_stored_one_row_per_option() -> None:
    survey = branching_survey()
    low = {**HAPPY, "voto": 2}
    assert "problemi" in _errors(survey, {**low, "problemi": ["tempi", "rumore"]})
    response = submit_response(survey, {**low, "problemi": ["cortesia", "tempi", "tempi"]})
    assert _answers(response)["problemi"] == ["tempi", "cortesia"]


def test_a_free_text_is_kept_up_to_its_limit() -> None:
    survey = branching_survey()
    assert "commento" in _errors(survey, {**HAPPY, "commento": "x" * (actions.MAX_TEXT + 1)})
    assert "commento" in _errors(survey, {**HAPPY, "commento": 42})
    text = "y" * actions.MAX_TEXT
    assert _answers(submit_response(survey, {**HAPPY, "commento": f"  {text} "}))["commento"] == [
        text
    ]


def test_a_required_question_left_blank_is_named_and_nothing_is_stored() -> None:
    survey = branching_survey()
    errors = _errors(survey, {"voto": "", "consiglio": 42})
    assert set(errors) == {"voto", "consiglio"}
    assert Response.objects.count() == 0


def test_a_hidden_question_is_not_required_and_its_answer_is_dropped() -> None:
    survey = branching_survey()
    # 5 stars: "what went wrong" is not asked, although required; its answer is dropped.
    response = submit_response(survey, {**HAPPY, "problemi": ["tempi"], "quale": "Polizia"})
    assert "problemi" not in _answers(response)
    assert "quale" not in _answers(response)


def test_a_question_shown_by_an_earlier_answer_becomes_required() -> None:
    survey = branching_survey()
    assert set(_errors(survey, {**HAPPY, "voto": 1})) == {"problemi"}
    assert set(_errors(survey, {**HAPPY, "ufficio": "altro"})) == {"quale"}
    response = submit_response(
        survey,
        {**HAPPY, "voto": 1, "problemi": "chiarezza", "ufficio": "altro", "quale": "Polizia"},
    )
    assert _answers(response)["problemi"] == ["chiarezza"]
    assert _answers(response)["quale"] == ["Polizia"]


def test_shown_questions_follow_the_answers_given() -> None:
    version = branching_survey().current_version
    assert version is not None
    codes = [q.code for q in shown_questions(version, {"voto": "2", "ufficio": "tributi"})]
    assert codes == ["voto", "problemi", "consiglio", "ufficio", "facilita", "commento"]
    codes = [q.code for q in shown_questions(version, {"ufficio": "altro"})]
    assert codes == ["voto", "consiglio", "ufficio", "quale", "facilita", "commento"]


def test_an_invitation_gives_the_response_its_dimensions_but_not_the_person(
    cast: personas.Cast,
) -> None:
    survey = branching_survey()
    ticket = factories.open_case()
    invitation = invite(
        survey,
        ticket=ticket,
        citizen=ticket.citizen,
        channel_kind="email",
        office=cast.tari,
        theme=ticket.theme,
    )
    response = submit_response(survey, HAPPY, invitation=invitation)

    assert (response.via, response.channel_kind, response.office_id) == (
        "email",
        "email",
        cast.tari.pk,
    )
    assert response.ticket_id is None and response.citizen_id is None
    invitation.refresh_from_db()
    assert invitation.answered_at == response.submitted_at


def test_a_survey_that_is_not_anonymous_keeps_the_case_and_the_citizen(
    cast: personas.Cast,
) -> None:
    survey = branching_survey(anonymous=False)
    ticket = factories.open_case()
    invitation = invite(survey, ticket=ticket, citizen=ticket.citizen)
    response = submit_response(survey, HAPPY, invitation=invitation)
    assert response.ticket_id == ticket.pk
    assert response.citizen_id == ticket.citizen_id


def test_an_invitation_is_answered_once() -> None:
    survey = branching_survey()
    invitation = invite(survey)
    submit_response(survey, HAPPY, invitation=invitation)
    with pytest.raises(InvitationUsed):
        submit_response(survey, HAPPY, invitation=Invitation.objects.get(pk=invitation.pk))
    # An old copy of the row, read before the first answer, is refused by the update too.
    stale = Invitation.objects.get(pk=invitation.pk)
    stale.answered_at = None
    with pytest.raises(InvitationUsed):
        submit_response(survey, HAPPY, invitation=stale)
    assert Response.objects.count() == 1


def test_an_expired_invitation_is_refused() -> None:
    with time_machine.travel("2026-03-02 10:00 +01:00", tick=False):
        survey = branching_survey()
        invitation = invite(survey, days=7)
    with time_machine.travel("2026-03-09 10:00 +01:00", tick=False):
        with pytest.raises(InvitationExpired):
            submit_response(survey, HAPPY, invitation=invitation)
    with time_machine.travel("2026-03-09 09:59 +01:00", tick=False):
        assert submit_response(survey, HAPPY, invitation=invitation).pk


def test_a_closed_or_draft_survey_takes_no_answer() -> None:
    survey = branching_survey()
    building.close_survey(survey)
    survey.refresh_from_db()
    with pytest.raises(SurveyNotOpen):
        submit_response(survey, HAPPY)
    draft = building.create_survey("bozza", "Bozza")
    with pytest.raises(SurveyNotOpen):
        submit_response(draft, {})


def test_a_response_keeps_its_version_after_a_new_one_is_published() -> None:
    survey = branching_survey()
    first = submit_response(survey, HAPPY)
    old_version = first.version

    draft = building.draft_version(survey)
    assert draft.number == 2
    comment = draft.questions.get(code="commento")
    building.edit_question(comment, text="Che cosa possiamo migliorare?")
    building.publish_survey(survey)
    survey.refresh_from_db()
    second = submit_response(survey, HAPPY)

    first.refresh_from_db()
    assert first.version_id == old_version.pk
    assert second.version_id == survey.current_version_id != old_version.pk
    assert old_version.questions.get(code="commento").text == "Un commento?"
    assert Answer.objects.get(response=first, question__code="commento").question.version_id == (
        old_version.pk
    )


def test_the_online_service_of_the_survey_is_the_answers_service() -> None:
    from ascolto.surveys.models import Service

    service = Service.objects.create(code="certificati", name="Certificati anagrafici", online=True)
    survey = branching_survey(trigger="online_service", service=service)
    assert submit_response(survey, HAPPY).service_id == service.pk


# --- Two submissions of one invitation at once (PostgreSQL: real concurrent transactions) ---


def _race(calls: list[Callable[[], Any]]) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = calls[index]()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_racing_submissions_of_one_invitation_store_one_answer() -> None:
    survey = branching_survey()
    for _round in range(5):
        invitation = invite(survey)
        copies = [Invitation.objects.get(pk=invitation.pk) for _ in range(2)]
        results = _race(
            [partial(submit_response, survey, HAPPY, invitation=copy) for copy in copies]
        )
        stored = [r for r in results if isinstance(r, Response)]
        refused = [r for r in results if isinstance(r, InvitationUsed)]
        assert (len(stored), len(refused)) == (1, 1), results
    assert Response.objects.count() == 5
    assert OutboxEvent.objects.filter(topic="survey.answered").count() == 5


def test_expiry_is_checked_against_the_submission_time() -> None:
    survey = branching_survey()
    invitation = invite(survey, days=1)
    later = invitation.expires_at + timedelta(seconds=1)
    with pytest.raises(InvitationExpired):
        submit_response(survey, HAPPY, invitation=invitation, submitted_at=later)


def test_a_link_prefills_only_what_the_version_takes() -> None:
    """The WhatsApp tap's rating carried in a link (decision 0028) is shown only where the
    current version can take it: a question gone, a value out of range or a free text is left
    out, never shown chosen."""
    survey = branching_survey()
    version = survey.current_version
    assert version is not None
    assert actions.prefilled(version, {"voto": 4}) == {"voto": "4"}
    assert actions.prefilled(version, {"voto": "9", "consiglio": 10}) == {"consiglio": "10"}
    assert actions.prefilled(version, {"vecchia": 3, "commento": "scritto da altri"}) == {}
