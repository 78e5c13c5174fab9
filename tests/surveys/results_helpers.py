"""A satisfaction survey with its questions, and responses written as rows with given scores:
the results read aggregates of exactly these rows, so the expected figures are computed by
hand in the tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from ascolto.organisation.models import Office
from ascolto.surveys.models import (
    Answer,
    Invitation,
    Question,
    Response,
    Service,
    Survey,
    SurveyVersion,
)

IMPROVE = [
    {"value": "tempi", "label": "Tempi di attesa", "label_en": "Waiting times"},
    {"value": "chiarezza", "label": "Chiarezza delle informazioni", "label_en": "Clarity"},
    {"value": "sito", "label": "Facilità d'uso del sito", "label_en": "Ease of use"},
]


def make_survey(code: str = "dopo-pratica", office: Office | None = None, **kw: Any) -> Survey:
    survey = Survey.objects.create(
        code=code,
        title=kw.pop("title", "Com'è andata la tua richiesta?"),
        status=Survey.Status.OPEN,
        trigger=kw.pop("trigger", Survey.Trigger.CASE_RESOLVED),
        office=office,
        **kw,
    )
    version = SurveyVersion.objects.create(survey=survey, number=1, published_at=timezone.now())
    for position, (qcode, kind, text, extra) in enumerate(
        [
            ("voto", Question.Kind.RATING, "Quanto sei soddisfatto?", {}),
            ("consiglio", Question.Kind.NPS, "Ci consiglieresti?", {}),
            (
                "migliorare",
                Question.Kind.MULTIPLE,
                "Cosa possiamo migliorare?",
                {"choices": IMPROVE},
            ),
            (
                "facilita",
                Question.Kind.SCALE,
                "Quanto è stato facile?",
                {"scale_min": 1, "scale_max": 7},
            ),
            ("commento", Question.Kind.TEXT, "Vuoi dirci altro?", {}),
        ]
    ):
        Question.objects.create(
            version=version, position=position, code=qcode, kind=kind, text=text, **extra
        )
    survey.current_version = version
    survey.save(update_fields=["current_version"])
    return survey


def question(survey: Survey, code: str) -> Question:
    return Question.objects.get(version=survey.current_version, code=code)


def respond(
    survey: Survey,
    at: datetime,
    *,
    csat: int | None = None,
    nps: int | None = None,
    improve: list[str] = (),  # type: ignore[assignment]
    ease: int | None = None,
    text: str = "",
    source: str = Response.Source.WEB,
    via: str = Invitation.Via.EMAIL,
    **dims: Any,
) -> Response:
    version = survey.current_version
    assert version is not None
    response = Response.objects.create(
        survey=survey,
        version=version,
        source=source,
        via=via,
        csat=csat,
        nps=nps,
        submitted_at=at,
        **dims,
    )
    rows = []
    if csat is not None:
        rows.append(Answer(response=response, question=question(survey, "voto"), number=csat))
    if nps is not None:
        rows.append(Answer(response=response, question=question(survey, "consiglio"), number=nps))
    for value in improve:
        rows.append(Answer(response=response, question=question(survey, "migliorare"), value=value))
    if ease is not None:
        rows.append(Answer(response=response, question=question(survey, "facilita"), number=ease))
    if text:
        rows.append(Answer(response=response, question=question(survey, "commento"), value=text))
    Answer.objects.bulk_create(rows)
    return response


def invite(
    survey: Survey,
    at: datetime,
    *,
    answered: bool = False,
    service: Service | None = None,
    **dims: Any,
) -> Invitation:
    return Invitation.objects.create(
        survey=survey,
        via=Invitation.Via.EMAIL,
        created_at=at,
        expires_at=at + timedelta(days=30),
        answered_at=at + timedelta(hours=2) if answered else None,
        service=service,
        **dims,
    )
