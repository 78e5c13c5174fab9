"""Building a survey: the rules of `surveys.building` (codes, choices, scales, branching,
versions, anonymity) and the console's builder pages `/console/questionari/` that call them."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ascolto.core.errors import InvalidInput
from ascolto.surveys import building
from ascolto.surveys.actions import submit_response
from ascolto.surveys.building import SurveyInvalid, SurveyNotEditable
from ascolto.surveys.models import Question, Survey
from tests import factories, personas
from tests.surveys.helpers import SERVIZI, branching_survey

pytestmark = pytest.mark.django_db


def _problems(survey: Survey) -> list[str]:
    with pytest.raises(SurveyInvalid) as caught:
        building.publish_survey(survey)
    return caught.value.problems


def test_a_new_survey_is_a_draft_with_an_empty_first_version() -> None:
    survey = building.create_survey("nidi-2026", "Nidi d'infanzia")
    assert survey.status == Survey.Status.DRAFT
    assert survey.current_version is None
    assert [v.number for v in survey.versions.all()] == [1]
    assert _problems(survey) == ["Il questionario non ha domande."]
    with pytest.raises(InvalidInput):
        building.create_survey("nidi-2026", "Ancora")
    with pytest.raises(InvalidInput):
        building.create_survey("Nidi 2026", "Spazi e maiuscole")


@pytest.mark.parametrize(
    ("kind", "fields", "field"),
    [
        ("single", {"choices": [{"value": "a", "label": "A"}]}, "choices"),
        (
            "multiple",
            {"choices": [{"value": "a", "label": "A"}, {"value": "a", "label": "B"}]},
            "choices",
        ),
        ("scale", {"scale_min": 5, "scale_max": 5}, "scale_min"),
        ("scale", {"scale_min": 1}, "scale_min"),
        ("rating", {"show_if": "prima"}, "show_if_values"),
        ("bogus", {}, "kind"),
    ],
)
def test_a_question_is_checked_when_written(kind: str, fields: dict[str, Any], field: str) -> None:
    survey = building.create_survey("prova", "Prova")
    with pytest.raises(InvalidInput) as caught:
        building.add_question(survey, kind, "domanda", "Una domanda?", **fields)
    assert caught.value.field == field


def test_codes_are_unique_within_a_version() -> None:
    survey = building.create_survey("prova", "Prova")
    building.add_question(survey, "rating", "voto", "Voto?")
    with pytest.raises(InvalidInput):
        building.add_question(survey, "nps", "voto", "Consiglio?")
    other = building.add_question(survey, "nps", "consiglio", "Consiglio?")
    with pytest.raises(InvalidInput):
        building.edit_question(other, code="voto")


def test_branching_must_name_an_earlier_question_with_values_it_can_take() -> None:
    survey = building.create_survey("prova", "Prova")
    building.add_question(survey, "text", "testo", "Perché?")
    building.add_question(survey, "single", "esito", "Risolto?", choices=SERVIZI)
    later = building.add_question(
        survey, "rating", "dopo", "Voto?", show_if="nps", show_if_values=["9"]
    )
    building.add_question(survey, "nps", "nps", "Consiglio?")
    building.add_question(
        survey, "rating", "su-testo", "Voto?", show_if="testo", show_if_values="x"
    )
    building.add_question(
        survey, "rating", "valore", "Voto?", show_if="esito", show_if_values=["forse"]
    )
    problems = _problems(survey)
    assert len(problems) == 3
    assert "non è una domanda precedente" in problems[0]  # "nps" comes after "dopo"
    assert "testo libero" in problems[1]
    assert "forse" in problems[2]
    # Moved after the NPS question, "dopo" is fine; the others still are not.
    building.move_question(later, 1)
    assert len(_problems(survey)) == 2


def test_publishing_opens_the_survey_and_editing_it_makes_a_new_version() -> None:
    survey = branching_survey()
    first = survey.current_version
    assert first is not None and first.published_at is not None
    assert survey.status == Survey.Status.OPEN
    published = first.questions.get(code="voto")
    with pytest.raises(SurveyNotEditable):
        building.edit_question(published, text="Cambiata?")
    with pytest.raises(SurveyNotEditable):
        building.remove_question(published)

    building.add_question(survey, "text", "altro", "Altro da dire?")
    draft = building.draft_version(survey)
    assert draft.number == 2
    assert [q.code for q in draft.questions.all()] == [
        *[q.code for q in first.questions.all()],
        "altro",
    ]
    survey.refresh_from_db()
    assert survey.current_version_id == first.pk  # the draft is not in use until published
    building.publish_survey(survey)
    survey.refresh_from_db()
    assert survey.current_version_id == draft.pk


def test_a_draft_of_a_published_survey_can_be_discarded() -> None:
    survey = branching_survey()
    building.draft_version(survey)
    building.discard_draft(survey)
    assert survey.versions.count() == 1
    with pytest.raises(SurveyNotEditable):
        building.publish_survey(survey)


def test_anonymity_is_fixed_at_the_first_publication() -> None:
    draft = building.create_survey("prova", "Prova")
    building.update_survey(draft, anonymous=False)
    survey = branching_survey()
    with pytest.raises(SurveyNotEditable):
        building.update_survey(survey, anonymous=False)
    building.update_survey(survey, title="Nuovo titolo", anonymous=True)


def test_questions_are_reordered_by_their_codes() -> None:
    survey = building.create_survey("prova", "Prova")
    for code in ("a", "b", "c"):
        building.add_question(survey, "rating", code, f"{code}?")
    building.reorder_questions(survey, ["c", "a", "b"])
    version = building.draft_version(survey)
    assert [q.code for q in version.questions.all()] == ["c", "a", "b"]
    with pytest.raises(InvalidInput):
        building.reorder_questions(survey, ["a", "b"])


# --- The console pages ---------------------------------------------------------------------


def test_an_analyst_builds_publishes_and_closes_a_survey(
    client: Client, cast: personas.Cast
) -> None:
    client.force_login(cast.analyst)
    page = client.post(
        reverse("console:survey-new"),
        {
            "code": "anagrafe-online",
            "title": "Certificati online",
            "title_en": "Online certificates",
            "kind": "satisfaction",
            "trigger": "none",
            "anonymous": "on",
            "sample_percent": "100",
            "fatigue_days": "30",
            "valid_days": "30",
        },
    )
    survey = Survey.objects.get(code="anagrafe-online")
    assert page["Location"] == reverse("console:survey", args=[survey.pk])
    new_question = reverse("console:survey-question-new", args=[survey.pk])
    assert client.get(new_question + "?tipo=nps").status_code == 200
    client.post(
        new_question,
        {
            "kind": "rating",
            "code": "voto",
            "text": "Soddisfatto?",
            "text_en": "Satisfied?",
            "required": "on",
        },
    )
    client.post(
        new_question,
        {
            "kind": "single",
            "code": "esito",
            "text": "Hai ottenuto il certificato?",
            "choices": "si | Sì | Yes\nno | No | No",
        },
    )
    page = client.post(
        new_question,
        {
            "kind": "text",
            "code": "perche",
            "text": "Perché no?",
            "show_if": "esito",
            "show_if_values": "no",
        },
    )
    assert page.status_code == 302
    bad = client.post(new_question, {"kind": "single", "code": "vuota", "text": "Senza opzioni"})
    assert bad.status_code == 400
    assert "Una domanda a scelta ha almeno due opzioni." in bad.content.decode()

    version = survey.versions.get()
    assert [q.code for q in version.questions.all()] == ["voto", "esito", "perche"]
    assert version.questions.get(code="esito").choices == [
        {"value": "si", "label": "Sì", "label_en": "Yes"},
        {"value": "no", "label": "No", "label_en": "No"},
    ]
    preview = client.get(reverse("console:survey-preview", args=[survey.pk]) + "?lingua=en")
    assert "Satisfied?" in preview.content.decode()

    page = client.post(reverse("console:survey-publish", args=[survey.pk]))
    assert page.status_code == 302
    survey.refresh_from_db()
    assert survey.status == Survey.Status.OPEN
    answered = submit_response(survey, {"voto": 4, "esito": "no", "perche": "Errore"})
    listing = client.get(reverse("console:surveys")).content.decode()
    assert "Certificati online" in listing and "Aperto" in listing

    client.post(reverse("console:survey-redraft", args=[survey.pk]))
    draft = survey.versions.get(number=2)
    question = draft.questions.get(code="perche")
    client.post(
        reverse("console:survey-question", args=[survey.pk, question.pk]),
        {
            "kind": "text",
            "code": "perche",
            "text": "Che cosa è andato storto?",
            "show_if": "esito",
            "show_if_values": "no",
        },
    )
    client.post(reverse("console:survey-publish", args=[survey.pk]))
    client.post(reverse("console:survey-close", args=[survey.pk]))
    survey.refresh_from_db()
    assert survey.status == Survey.Status.CLOSED
    assert survey.current_version_id == draft.pk
    answered.refresh_from_db()
    assert answered.version.number == 1
    assert answered.version.questions.get(code="perche").text == "Perché no?"


def test_publishing_a_broken_draft_lists_what_to_fix(client: Client, cast: personas.Cast) -> None:
    client.force_login(cast.administrator)
    survey = building.create_survey("prova", "Prova")
    building.add_question(survey, "rating", "dopo", "Voto?", show_if="nps", show_if_values="9")
    page = client.post(reverse("console:survey-publish", args=[survey.pk]))
    assert page.status_code == 400
    assert "non è una domanda precedente" in page.content.decode()
    assert Survey.objects.get(pk=survey.pk).status == Survey.Status.DRAFT


def test_questions_move_and_go_from_the_draft(client: Client, cast: personas.Cast) -> None:
    client.force_login(cast.analyst)
    survey = building.create_survey("prova", "Prova")
    a = building.add_question(survey, "rating", "a", "A?")
    b = building.add_question(survey, "rating", "b", "B?")
    client.post(reverse("console:survey-question-move", args=[survey.pk, b.pk]), {"verso": "su"})
    assert list(Question.objects.order_by("position").values_list("code", flat=True)) == [
        "b",
        "a",
    ]
    client.post(reverse("console:survey-question-remove", args=[survey.pk, a.pk]))
    assert list(Question.objects.values_list("code", flat=True)) == ["b"]


def test_the_survey_list_costs_the_same_few_queries_for_many_surveys(
    client: Client, cast: personas.Cast, django_assert_max_num_queries: Any
) -> None:
    for n in range(8):
        survey = branching_survey(f"questionario-{n}")
    for _ in range(3):
        submit_response(survey, {"voto": 4, "ufficio": "tributi"})
    building.draft_version(survey)
    client.force_login(cast.analyst)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("console:surveys"))
    html = page.content.decode()
    assert html.count("questionario-") == 8
    at = html.index("questionario-7")
    row = html[html.rindex("<tr>", 0, at) : html.index("</tr>", at)]
    assert "bozza in corso" in row
    assert '<td class="text-end">3</td>' in row


def test_supervisors_and_operators_do_not_build_surveys(
    client: Client, cast: personas.Cast
) -> None:
    for user in (cast.supervisor, cast.operator, cast.office_operator):
        client.force_login(user)
        assert client.get(reverse("console:surveys")).status_code == 403


def test_the_builder_edits_the_channels_and_themes_of_the_cases_invited(
    client: Client, cast: personas.Cast
) -> None:
    factories.ensure_taxonomy()
    survey = branching_survey(trigger="case_resolved")
    client.force_login(cast.analyst)
    settings = {
        "title": survey.title,
        "kind": "satisfaction",
        "trigger": "case_resolved",
        "anonymous": "on",
        "sample_percent": "50",
        "fatigue_days": "30",
        "valid_days": "30",
    }
    page = client.post(
        reverse("console:survey", args=[survey.pk]),
        {**settings, "channels": ["whatsapp", "email"], "themes": ["tari", "anagrafe"]},
    )
    assert page.status_code == 302
    survey.refresh_from_db()
    assert survey.channels == ["email", "whatsapp"]
    assert sorted(t.code for t in survey.themes.all()) == ["anagrafe", "tari"]
    html = client.get(reverse("console:survey", args=[survey.pk])).content.decode()
    assert 'value="whatsapp" id="id_channels_' in html and "checked" in html
    assert '<option value="tari" selected>' in html

    # An unknown channel or theme is refused on its field; nothing changes.
    bad = client.post(
        reverse("console:survey", args=[survey.pk]),
        {**settings, "channels": ["telegram"], "themes": ["non-esiste"]},
    )
    assert bad.status_code == 400
    assert 'id="channels-error"' in bad.content.decode()
    assert "themes-error" in bad.content.decode()
    survey.refresh_from_db()
    assert survey.channels == ["email", "whatsapp"]

    # None chosen: every channel and theme.
    client.post(reverse("console:survey", args=[survey.pk]), settings)
    survey.refresh_from_db()
    assert (survey.channels, survey.themes.count()) == ([], 0)


def test_the_actions_refuse_unknown_channels() -> None:
    with pytest.raises(InvalidInput) as caught:
        building.create_survey("x-1", "X", channels=["telegram"])
    assert caught.value.field == "channels"
