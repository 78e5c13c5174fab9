"""The demo city's "Milano Ti Ascolta": imported through the console's action from a generated
CSV, weighted to Milan's (approximate) population and published, with the differences the
generator put in found significant."""

from __future__ import annotations

import numpy as np
import pytest

from ascolto.demo.questionnaire import CODE, write_questionnaire
from ascolto.surveys.models import ExecutiveSummary, QuestionnaireImport, Survey

pytestmark = pytest.mark.django_db


def test_milano_ti_ascolta_is_imported_summarised_and_published() -> None:
    line = write_questionnaire(2026, np.random.default_rng(7))

    run = QuestionnaireImport.objects.get(survey__code=CODE)
    assert (run.rows, run.accepted, len(run.refusals)) == (5000, 4964, 36)
    assert {r["reason"] for r in run.refusals} == {"bad_age", "missing_required", "not_a_choice"}
    assert line == "4,964 answers imported, 36 rows refused"
    summary = ExecutiveSummary.objects.get(survey__code=CODE)
    assert summary.status == ExecutiveSummary.Status.PUBLISHED and summary.slug == CODE
    content = summary.content
    weighting = content["weighting"]
    assert weighting["converged"] and weighting["design_effect"] > 1.05
    worries = next(q for q in content["questions"] if q["code"] == "preoccupazioni")
    by_age = next(c for c in worries["crosstabs"] if c["dimension"] == "age")
    assert by_age["significant"]  # the old worry about health, the young about work
    assert content["top_reasons"][0]["options"][0]["value"] == "salute"
    ages = next(d for d in content["sample"]["dimensions"] if d["dimension"] == "age")
    over_75 = next(r for r in ages["rows"] if r["value"] == "75+")
    assert over_75["share_unweighted"] < 8 and over_75["share"] == pytest.approx(11.0, abs=0.2)

    again = write_questionnaire(2026, np.random.default_rng(7))  # a second run replaces it
    assert again == line and Survey.objects.filter(code=CODE).count() == 1
