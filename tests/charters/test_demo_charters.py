"""The demo city's three charters and survey plan, seeded on the demo's reference data: every
indicator is valid for its formula and measures without error, and the plan covers the seeds'
departments with a mix of states and school years."""

from __future__ import annotations

from datetime import date

import pytest

from ascolto.charters import indicators
from ascolto.charters.models import ServiceCharter
from ascolto.demo.charters import seed_charters
from ascolto.demo.seed import seed_reference
from ascolto.demo.survey_plan import seed_survey_plan
from ascolto.surveys.models import Service, SurveyPlanEntry

pytestmark = pytest.mark.django_db

END = date(2026, 10, 31)


def test_the_demo_seeds_three_published_charters_and_the_plan_twice_alike() -> None:
    seed_reference(END, reset_passwords=False)
    # The reference data made the charters' services (demo/surveys.py); the charters take them.
    assert Service.objects.filter(code="nidi-infanzia").update(
        name="Nidi (made by the surveys' seeds)"
    )
    for _ in range(2):  # a second run rewrites, it does not add
        assert seed_charters(END) == "3 service charters, 12 indicators"
        seed_survey_plan(END)
    charters = ServiceCharter.objects.filter(published=True)
    assert sorted(c.slug for c in charters) == [
        "igiene-ambientale",
        "nidi-infanzia",
        "ristorazione-scolastica",
    ]
    assert Service.objects.get(code="nidi-infanzia").name.startswith("Nidi (made")
    for charter in charters:
        for indicator in charter.indicators.all():
            assert indicator.parameters == indicators.validate_parameters(
                indicator.formula, indicator.parameters
            )
            assert len(indicators.trend(indicator, END)) in (4, 12)

    entries = SurveyPlanEntry.objects.filter(year=2026)
    assert entries.count() == 10
    assert entries.values("department").distinct().count() == 7
    states = set(entries.values_list("state", flat=True))
    assert states == {"done", "running", "planning", "suspended"}
    assert set(entries.exclude(school_year="").values_list("school_year", flat=True)) == {
        "2025/2026",
        "2026/2027",
    }
