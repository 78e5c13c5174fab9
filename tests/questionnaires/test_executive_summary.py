"""The executive summary's figures on a small sample whose every number is computed by hand:
the sample, each distribution, the top reasons, a cross-tabulation with its chi-square flag,
and the effect of weighting."""

from __future__ import annotations

from pathlib import Path

import pytest
from scipy.stats import chi2

from ascolto.surveys import actions, building
from ascolto.surveys.models import ExecutiveSummary, PopulationMargins, Survey
from ascolto.surveys.summary import generate_summary
from tests.questionnaires.helpers import QUESTIONS, make_questionnaire

pytestmark = pytest.mark.django_db

SAMPLE = """genere,eta,municipio,soddisfazione,motivi,servizi_usati
F,30,1,5,Traffico;Salute,si
F,30,1,4,Traffico,si
F,50,1,4,Salute,no
F,50,2,5,Traffico,si
M,30,2,2,Lavoro,no
M,30,2,1,Lavoro;Traffico,no
M,50,2,2,Sicurezza,no
M,50,1,3,,no
M,200,1,3,,no
"""


@pytest.fixture
def survey(tmp_path: Path) -> Survey:
    questions = [q for q in QUESTIONS if q["code"] not in ("quali_servizi", "nps", "commenti")]
    survey = make_questionnaire(questions=questions)
    path = tmp_path / "sample.csv"
    path.write_text(SAMPLE, encoding="utf-8")
    report = actions.import_questionnaire(survey, path)
    assert report.accepted == 8  # the age 200 is refused
    return survey


def question(content: dict, code: str) -> dict:
    return next(q for q in content["questions"] if q["code"] == code)


def crosstab(entry: dict, dimension: str) -> dict:
    return next(c for c in entry["crosstabs"] if c["dimension"] == dimension)


def test_sample_and_distributions(survey: Survey) -> None:
    content = generate_summary(survey)

    assert content["sample"]["received"] == 9
    assert content["sample"]["valid"] == 8
    gender = content["sample"]["dimensions"][0]
    assert gender["dimension"] == "gender"
    assert [(r["value"], r["n"], r["share"]) for r in gender["rows"]] == [
        ("F", 4, 50.0),
        ("M", 4, 50.0),
        ("X", 0, 0.0),
    ]
    age = content["sample"]["dimensions"][1]
    assert {r["value"]: r["n"] for r in age["rows"] if r["n"]} == {"25-34": 4, "45-54": 4}

    rating = question(content, "soddisfazione")
    assert rating["n"] == 8
    assert [o["share"] for o in rating["options"]] == [12.5, 25.0, 12.5, 25.0, 25.0]
    assert rating["mean"] == 3.25  # 26 / 8

    reasons = question(content, "motivi")
    assert reasons["n"] == 7  # one respondent chose none
    assert {o["value"]: o["share"] for o in reasons["options"]} == {
        "traffico": 57.1,
        "sicurezza": 14.3,
        "lavoro": 28.6,
        "salute": 28.6,
        "casa": 0.0,
    }
    top = content["top_reasons"][0]
    assert top["code"] == "motivi" and top["options"][0]["value"] == "traffico"
    assert [o["value"] for o in top["options"]][:1] == ["traffico"]
    assert "genere" not in [q["code"] for q in content["questions"]]  # dimensions: the sample


def test_crosstab_shares_and_chi_square_flag(survey: Survey) -> None:
    used = question(generate_summary(survey), "servizi_usati")

    by_gender = crosstab(used, "gender")
    # women: 3 yes, 1 no; men: 0 yes, 4 no. Expected 1.5 / 2.5 in each row:
    # X² = 2·(1.5²/1.5 + 1.5²/2.5) = 4.8, one degree of freedom, p = 0.0285.
    assert by_gender["counts"][:2] == [[3, 1], [0, 4]]
    assert by_gender["shares"][:2] == [[75.0, 25.0], [0.0, 100.0]]
    assert by_gender["chi2"] == pytest.approx(4.8)
    assert by_gender["p"] == pytest.approx(chi2.sf(4.8, 1), rel=1e-3)
    assert by_gender["significant"] is True
    assert by_gender["sparse"] is True  # every expected count is below 5: said, not hidden

    by_district = crosstab(used, "district")
    # municipio 1: 2 yes 2 no; municipio 2: 1 yes 3 no: X² = 0.533, p = 0.465
    assert by_district["chi2"] == pytest.approx(0.5333, abs=1e-3)
    assert by_district["significant"] is False


def test_weighting_to_margins_and_its_effect(survey: Survey) -> None:
    margins = PopulationMargins.objects.create(
        name="Città",
        source="prova",
        margins={"gender": {"F": 0.5, "M": 0.5}, "age": {"25-34": 0.25, "45-54": 0.75}},
    )
    content = generate_summary(survey, margins=margins)

    weighting = content["weighting"]
    # Every gender × age cell has two respondents: the young weigh 0.5, the old 1.5.
    assert weighting["converged"] and weighting["dimensions"] == ["gender", "age"]
    assert weighting["design_effect"] == 1.25
    assert weighting["effective_n"] == 6.4
    assert (weighting["min_weight"], weighting["max_weight"]) == (0.5, 1.5)
    # (5+4+2+1)·0.5 + (4+5+2+3)·1.5 = 27, over 8
    assert question(content, "soddisfazione")["mean"] == 3.38
    effect = next(e for e in weighting["effects"] if e["code"] == "servizi_usati")
    # "no" (5 of 8 = 62.5 %) weighted: young 2·0.5 + old 3·1.5 = 5.5 of 8
    assert (effect["label"], effect["unweighted"], effect["weighted"]) == ("No", 62.5, 68.8)
    age = content["sample"]["dimensions"][1]
    assert {r["value"]: r["share"] for r in age["rows"] if r["n"]} == {"25-34": 25.0, "45-54": 75.0}
    assert crosstab(question(content, "servizi_usati"), "gender")["test"] == "kish"


def test_summary_is_edited_weighted_and_published(survey: Survey) -> None:
    summary = actions.create_summary(survey, title="Milano Ti Ascolta 2020")
    assert summary.slug == "milano-ti-ascolta-2020"
    assert summary.status == ExecutiveSummary.Status.DRAFT
    assert summary.content["sample"]["valid"] == 8 and summary.content["weighting"] is None

    margins = PopulationMargins.objects.create(name="Città", margins={"gender": {"F": 1, "M": 3}})
    actions.edit_summary(
        summary,
        title="Milano Ti Ascolta",
        intro="Come abbiamo vissuto il lockdown.",
        notes={"soddisfazione": "Buona.", "inventata": "no"},
        weighted=True,
        margins=margins,
    )
    summary.refresh_from_db()
    assert summary.notes == {"soddisfazione": "Buona."}
    assert summary.content["weighting"]["margins"] == "Città"
    gender = summary.content["sample"]["dimensions"][0]["rows"]
    assert [r["share"] for r in gender[:2]] == [25.0, 75.0]

    actions.publish_summary(summary)
    summary.refresh_from_db()
    assert summary.status == ExecutiveSummary.Status.PUBLISHED and summary.published_at

    second = actions.create_summary(survey, title="Milano Ti Ascolta 2020")
    assert second.slug == "milano-ti-ascolta-2020-2"


def test_nps_groups_free_text_and_answers_to_an_older_version(tmp_path: Path) -> None:
    survey = make_questionnaire()  # every question of the helper: NPS and free text too
    first = tmp_path / "first.csv"
    first.write_text(
        "genere,soddisfazione,nps,commenti\nF,4,10,Bene\nF,5,9,\nM,3,7,Lento\nM,2,0,\n",
        encoding="utf-8",
    )
    assert actions.import_questionnaire(survey, first).accepted == 4
    building.draft_version(survey)
    building.publish_survey(survey)  # version 2: the same questions, new rows
    survey.refresh_from_db()
    assert survey.current_version.number == 2
    second = tmp_path / "second.csv"
    second.write_text("genere,soddisfazione,nps,commenti\nF,4,10,Ok\nM,1,3,\n", encoding="utf-8")
    assert actions.import_questionnaire(survey, second).accepted == 2

    content = generate_summary(survey)

    assert content["sample"]["valid"] == 6
    # NPS 10, 9, 7, 0 (version 1) and 10, 3 (version 2): 2 detractors (0-6), 1 passive (7-8),
    # 3 promoters (9-10); NPS = 100·(3 - 2)/6.
    nps = question(content, "nps")
    assert nps["n"] == 6
    assert [(o["value"], o["n"], o["share"]) for o in nps["options"]] == [
        ("detractors", 2, 33.3),
        ("passives", 1, 16.7),
        ("promoters", 3, 50.0),
    ]
    assert nps["nps"] == 16.7
    assert question(content, "soddisfazione")["mean"] == 3.17  # 19 / 6
    comments = question(content, "commenti")
    assert (comments["n"], comments["options"], comments["crosstabs"]) == (3, [], [])
    by_gender = crosstab(nps, "gender")
    assert by_gender["counts"][:2] == [[0, 0, 3], [2, 1, 0]]  # women 10, 9, 10; men 7, 0, 3
