"""Erasing citizens' personal data leaves every figure of the reports as it was: the monthly
report, the themes dashboard and the complaints report read the same before and after, rebuilt
from the rows (the daily summaries forgotten), on the small city counted by hand."""

from __future__ import annotations

import pytest
from django.db.models import Q

from ascolto.analytics import summaries
from ascolto.analytics.complaints import complaints_report
from ascolto.analytics.dashboards import themes
from ascolto.analytics.report import as_dashboard, monthly_report
from ascolto.citizens.models import Citizen
from ascolto.core.tables import dashboard_csv
from ascolto.privacy.actions import erase_citizen
from ascolto.tickets.models import Ticket
from tests import personas
from tests.analytics.conftest import HandBuilt

pytestmark = pytest.mark.django_db


def figures(built: HandBuilt) -> list[str]:
    summaries.forget()  # every figure recomputed from the cases and calls themselves
    return [
        dashboard_csv(as_dashboard(monthly_report(built.period))),
        dashboard_csv(themes(built.period)),
        dashboard_csv(complaints_report(built.period.end.year)),
    ]


def test_the_reports_give_the_same_figures_before_and_after_erasure(
    hand_built: HandBuilt, cast: personas.Cast
) -> None:
    before = figures(hand_built)
    assert "Tasso di risposta" in before[0]
    citizens = list(Citizen.objects.filter(merged_into__isnull=True))
    assert len(citizens) >= 7
    for citizen in citizens:
        erase_citizen(citizen, actor=cast.administrator, reason="Prova")

    erased = Ticket.objects.filter(citizen__in=citizens)
    assert erased.count() == 7 and not erased.filter(~Q(description="")).exists()
    assert figures(hand_built) == before
