"""The demo city's satisfaction surveys: the services by their codes, a survey per online
service and the post-case survey with a year of invitations and answers, the post-case answers
on the dimensions of the demo's resolved cases, the same seed writing the same answers."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count

from ascolto.demo.surveys import CASE_TEXTS
from ascolto.surveys.models import (
    Answer,
    Invitation,
    Response,
    Service,
    Survey,
    SurveyVersion,
)
from ascolto.tickets.models import Ticket
from tests import factories

ARGS = ["--scale", "0.002", "--seed", "5", "--end", "2026-03-31"]
CODES = {
    "appuntamenti-online",
    "certificati-anagrafici",
    "certificati-stato-civile",
    "cambio-residenza",
    "dichiarazione-tari",
    "copie-pratiche-edilizie",
    "nidi-infanzia",
    "ristorazione-scolastica",
    "igiene-ambientale",
}


def survey_answers() -> list[tuple[object, ...]]:
    """The demo's survey answers in a stable order (`tests/test_demo_city.py` checks that the
    same seed writes them again)."""
    return list(
        Response.objects.order_by("survey__code", "submitted_at", "csat", "nps").values_list(
            "survey__code", "submitted_at", "csat", "nps", "office_id", "theme_id", "channel_kind"
        )
    )


@pytest.mark.django_db(transaction=True)
def test_the_demo_city_has_a_year_of_satisfaction_surveys() -> None:
    factories.ensure_taxonomy()
    call_command("generate_city", *ARGS, stdout=StringIO())

    assert set(Service.objects.values_list("code", flat=True)) == CODES
    assert set(Service.objects.filter(online=False).values_list("code", flat=True)) == {
        "nidi-infanzia",
        "ristorazione-scolastica",
        "igiene-ambientale",
    }
    surveys = Survey.objects.filter(status=Survey.Status.OPEN)
    assert surveys.filter(trigger=Survey.Trigger.ONLINE_SERVICE).count() == 6
    after_case = surveys.get(trigger=Survey.Trigger.CASE_RESOLVED)
    # Each open survey's version in use is published, and none has a draft to finish.
    assert not SurveyVersion.objects.filter(survey__in=surveys, published_at=None).exists()
    assert all(s.current_version.published_at for s in surveys.select_related("current_version"))
    # A year: answers in most months, invitations many more than answers. (The demo's large
    # questionnaire, imported, has its own answers: demo/questionnaire.py.)
    answers = Response.objects.filter(survey__kind=Survey.Kind.SATISFACTION)
    months = {r.month for r in answers.values_list("submitted_at", flat=True)}
    assert len(months) >= 10
    assert Invitation.objects.count() > 3 * answers.count() > 0
    assert all(
        date(2025, 4, 1) <= at.date() <= date(2026, 3, 31)
        for at in answers.values_list("submitted_at", flat=True)
    )
    # Every online service's survey has answers, with the questions the results read.
    per_survey = dict(answers.values_list("survey__code").annotate(n=Count("id")).order_by())
    assert all(per_survey.get(f"soddisfazione-{c}", 0) > 0 for c in CODES - {
        "nidi-infanzia", "ristorazione-scolastica", "igiene-ambientale"
    })  # fmt: skip
    assert Answer.objects.filter(question__kind="multiple").exists()
    assert Answer.objects.filter(question__kind="text").exclude(value="").exists()
    # After a case: anonymous answers on the dimensions of a resolved case, one invitation each.
    invited = Invitation.objects.filter(survey=after_case)
    assert invited.exists()
    assert not invited.exclude(ticket__status__in=["resolved", "closed"]).exists()
    cases = {
        (t.channel.kind, t.office_id, t.theme_id)
        for t in Ticket.objects.filter(pk__in=invited.values("ticket")).select_related("channel")
    }
    answered = answers.filter(survey=after_case)
    assert answered.exists() and not answered.exclude(ticket=None).exists()
    assert set(answered.values_list("channel_kind", "office_id", "theme_id")) <= cases
    assert invited.filter(answered_at__isnull=False).count() == answered.count()
    # Their comments' themes, suggested from the text: the case's taxonomy theme when the
    # comment speaks of its subject, none when it speaks only of the contact.
    comments = Answer.objects.filter(
        response__survey=after_case, question__kind="text"
    ).select_related("response__theme", "theme")
    themed = [c for c in comments if c.theme is not None]
    assert themed and all(c.theme_suggested for c in themed)
    assert all(
        c.response.theme is not None and c.response.theme.path.startswith(c.theme.path)
        for c in themed
    )
    assert not comments.filter(value__in=CASE_TEXTS, theme__isnull=False).exists()
