"""The API's other resources: call records (bulk import), knowledge articles, survey answers,
the monthly report's figures.

    POST /calls                      import call records (scope calls:import)
    GET  /articles  GET /articles/{slug}                 (knowledge:read)
    POST /articles  PUT /articles/{slug}                 (knowledge:write)
    GET  /survey-answers  GET /survey-answers/{id}       (surveys:read)
    GET  /reports/monthly?year=&month=                   (reports:read)

Thin callers of `contactcenter.actions.import_call_records`, `knowledge.actions`,
`analytics.report.monthly_report`; survey answers are scoped by the answer's office like cases,
and an anonymous survey's answers never carry who answered.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, Literal

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.params.functions import Query as QueryParam
from pydantic import Field

from ascolto.analytics.period import Period
from ascolto.analytics.report import monthly_report
from ascolto.api import idempotency
from ascolto.api.auth import Caller, caller, scoped
from ascolto.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, page
from ascolto.api.problems import Problem
from ascolto.audit.actions import record_access
from ascolto.audit.models import AccessRecord
from ascolto.contactcenter.actions import import_call_records, payloads_records
from ascolto.core import access
from ascolto.core.errors import InvalidInput, NotFound
from ascolto.knowledge.actions import console_articles, save_article
from ascolto.knowledge.models import Article
from ascolto.organisation.models import Office
from ascolto.surveys.models import Response
from ascolto.tickets.models import Theme

router = Router()
ERRORS: dict[int, Any] = {400: Problem, 401: Problem, 403: Problem, 404: Problem, 429: Problem}
IDEMPOTENCY_HEADER = {
    "parameters": [
        {
            "name": "Idempotency-Key",
            "in": "header",
            "required": False,
            "schema": {"type": "string", "maxLength": idempotency.MAX_KEY},
            "description": "Sent again with the same body, the request does nothing twice.",
        }
    ]
}
MAX_CALLS = 5_000


# --- Call records ---------------------------------------------------------------------------


class CallIn(Schema):
    call_id: str = Field(max_length=100, examples=["c-2026-12-01-000123"])
    queue: str = Field(max_length=100, examples=["anagrafe"])
    arrived_at: str = Field(examples=["2026-12-01T09:00:00+01:00"])
    answered_at: str | None = Field(None, examples=["2026-12-01T09:00:40+01:00"])
    ended_at: str = Field(examples=["2026-12-01T09:05:10+01:00"])
    wait_seconds: int | None = Field(None, ge=0, examples=[40])
    talk_seconds: int | None = Field(None, ge=0, examples=[270])
    abandoned: bool = Field(examples=[False])
    caller: str | None = Field(None, max_length=40, examples=["+390288880000"])
    ivr_path: str | None = Field(None, max_length=200, examples=["1>3"])
    agent: str | None = Field(None, max_length=150, examples=["4021"])


class CallsIn(Schema):
    calls: list[CallIn] = Field(min_length=1, max_length=MAX_CALLS)


class RowErrorOut(Schema):
    line: int = Field(examples=[3], description="The call's place in the list, from 1.")
    column: str = Field(examples=["ended_at"])
    detail: str = Field(examples=["La fine precede l'arrivo."])


class CallsImported(Schema):
    rows: int = Field(examples=[120])
    created: int = Field(examples=[118])
    existing: int = Field(examples=[2])
    errors: list[RowErrorOut] = Field(examples=[[]])


@router.post(
    "/calls",
    auth=scoped("calls:import"),
    response={**ERRORS, 200: CallsImported, 400: CallsImported, 409: Problem, 422: Problem},
    tags=["calls"],
    summary="Import call records",
    openapi_extra=IDEMPOTENCY_HEADER,
)
def import_calls(request: HttpRequest, payload: CallsIn) -> HttpResponse:
    """Store the telephony system's call records, all or none: a list with one bad call stores
    nothing and answers 400 with every bad call (its place in the list, the column, why). A call
    already stored (same `call_id`) is left as it is."""
    who = caller(request)

    def work() -> HttpResponse:
        calls = [c.model_dump(exclude_none=True) for c in payload.calls]
        report = import_call_records(payloads_records(calls))
        body = {
            "rows": report.rows,
            "created": report.created,
            "existing": report.existing,
            "errors": [
                {"line": e.line, "column": e.column, "detail": e.message} for e in report.errors
            ],
        }
        return JsonResponse(body, status=200 if report.ok else 400)

    return idempotency.idempotent(request, who, work)


# --- Knowledge ------------------------------------------------------------------------------


class ArticleOut(Schema):
    slug: str = Field(examples=["carta-identita-elettronica"])
    title: str = Field(examples=["Carta d'identità elettronica"])
    summary: str = Field(examples=["Come e dove richiederla."])
    body: str = Field(examples=["Si richiede su appuntamento …"])
    theme: str | None = Field(examples=["anagrafe"])
    keywords: str = Field(examples=["cie, documento"])
    url: str = Field(examples=["https://www.comune.example.it/cie"])
    audience: str = Field(examples=["public"])
    kind: str = Field(examples=["information"])
    is_published: bool = Field(examples=[True])
    updated_at: datetime


class ArticleIn(Schema):
    title: str = Field(min_length=1, max_length=200, examples=["Carta d'identità elettronica"])
    summary: str = Field(min_length=1, max_length=300, examples=["Come e dove richiederla."])
    body: str = Field(min_length=1, max_length=100_000, examples=["Si richiede su appuntamento."])
    theme: str | None = Field(None, max_length=64, examples=["anagrafe"])
    keywords: str = Field("", max_length=300, examples=["cie, documento"])
    url: str = Field("", max_length=200, examples=["https://www.comune.example.it/cie"])
    audience: Literal["public", "internal"] = Field("public", examples=["public"])
    kind: Literal["information", "template"] = Field("information", examples=["information"])
    is_published: bool = Field(True, examples=[True])


def _article_out(article: Article) -> dict[str, Any]:
    return {
        "slug": article.slug,
        "title": article.title,
        "summary": article.summary,
        "body": article.body,
        "theme": article.theme.code if article.theme else None,
        "keywords": article.keywords,
        "url": article.url,
        "audience": article.audience,
        "kind": article.kind,
        "is_published": article.is_published,
        "updated_at": article.updated_at,
    }


def _theme(code: str | None) -> Theme | None:
    if not code:
        return None
    theme = Theme.objects.filter(code=code).first()
    if theme is None:
        raise NotFound(_("Nessun tema con codice «%(code)s».") % {"code": code[:64]}, field="theme")
    return theme


@router.get(
    "/articles",
    auth=scoped("knowledge:read"),
    response={200: list[ArticleOut], **ERRORS, 422: Problem},
    tags=["knowledge"],
)
def articles(
    request: HttpRequest,
    q: str = QueryParam("", max_length=200),  # noqa: B008
    theme: str | None = QueryParam(None, max_length=64),  # noqa: B008
    audience: Literal["public", "internal"] | None = None,
    kind: Literal["information", "template"] | None = None,
    limit: int = QueryParam(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),  # noqa: B008
) -> list[dict[str, Any]]:
    """The published articles, searched as the console searches them (every word of `q`)."""
    found = console_articles(
        q, kind=kind or "", audience=audience or "", theme=_theme(theme), limit=limit
    )
    return [_article_out(a) for a in found]


@router.get(
    "/articles/{slug}",
    auth=scoped("knowledge:read"),
    response={200: ArticleOut, **ERRORS},
    tags=["knowledge"],
)
def article(request: HttpRequest, slug: str) -> dict[str, Any]:
    found = Article.objects.select_related("theme").filter(slug=slug).first()
    if found is None:
        raise NotFound(_("Nessun articolo con questo codice."), field="slug")
    return _article_out(found)


def _article_data(payload: ArticleIn) -> dict[str, Any]:
    data = payload.model_dump()
    data["theme"] = _theme(payload.theme)
    return data


@router.post(
    "/articles",
    auth=scoped("knowledge:write"),
    response={201: ArticleOut, **ERRORS, 409: Problem, 422: Problem},
    tags=["knowledge"],
    openapi_extra=IDEMPOTENCY_HEADER,
)
def create_article(request: HttpRequest, payload: ArticleIn) -> HttpResponse:
    """Write a new article (`knowledge.actions.save_article`); its code comes from the title."""
    who = caller(request)

    def work() -> HttpResponse:
        saved = save_article(Article(), _article_data(payload), who.actor)
        body = json.loads(json.dumps(_article_out(saved), cls=DjangoJSONEncoder))
        return JsonResponse(body, status=201)

    return idempotency.idempotent(request, who, work)


@router.put(
    "/articles/{slug}",
    auth=scoped("knowledge:write"),
    response={200: ArticleOut, **ERRORS, 422: Problem},
    tags=["knowledge"],
)
def update_article(request: HttpRequest, slug: str, payload: ArticleIn) -> dict[str, Any]:
    """Change an article; the text it had is kept as a version."""
    found = Article.objects.filter(slug=slug).first()
    if found is None:
        raise NotFound(_("Nessun articolo con questo codice."), field="slug")
    return _article_out(save_article(found, _article_data(payload), caller(request).actor))


# --- Survey answers -------------------------------------------------------------------------


class AnswerOut(Schema):
    question: str = Field(examples=["soddisfazione"])
    number: int | None = Field(examples=[4])
    value: str = Field(examples=[""])


class ResponseOut(Schema):
    id: int = Field(examples=[10])
    survey: str = Field(examples=["soddisfazione-scrivi"])
    source: str = Field(examples=["web"])
    channel_kind: str = Field(examples=["web"])
    office: str | None = Field(examples=["anagrafe"])
    theme: str | None = Field(examples=["anagrafe"])
    service: str | None = Field(examples=[None])
    case: str | None = Field(examples=[None], description="Never for an anonymous survey.")
    citizen_id: int | None = Field(examples=[None], description="Never for an anonymous survey.")
    language: str = Field(examples=["it"])
    complete: bool = Field(examples=[True])
    csat: int | None = Field(examples=[4])
    nps: int | None = Field(examples=[9])
    submitted_at: datetime
    answers: list[AnswerOut]


class ResponsePage(Schema):
    items: list[ResponseOut]
    next_cursor: str | None


def _responses(who: Caller) -> Any:
    """The answers the caller may read: analysts and supervisors read every office's (they
    read aggregated figures); a token or an office operator those of their office's subtree."""
    rows = Response.objects.select_related(
        "survey", "office", "theme", "service", "ticket"
    ).prefetch_related("answers__question")
    if who.user is not None and access.analyses(who.user):
        return rows
    return who.visible(rows)


def _response_out(response: Response, identity: bool) -> dict[str, Any]:
    anonymous = response.survey.anonymous
    shows = identity and not anonymous
    return {
        "id": response.pk,
        "survey": response.survey.code,
        "source": response.source,
        "channel_kind": response.channel_kind,
        "office": response.office.code if response.office else None,
        "theme": response.theme.code if response.theme else None,
        "service": response.service.code if response.service else None,
        "case": response.ticket.code if shows and response.ticket else None,
        "citizen_id": response.citizen_id if shows else None,
        "language": response.language,
        "complete": response.complete,
        "csat": response.csat,
        "nps": response.nps,
        "submitted_at": response.submitted_at,
        "answers": [
            {"question": a.question.code, "number": a.number, "value": a.value}
            for a in response.answers.all()
        ],
    }


def _shows_identity(who: Caller) -> bool:
    """Who answered is shown only to a caller who may read citizens."""
    return who.may("citizens:read")


def _record(request: HttpRequest, who: Caller, rows: list[Response], identity: bool) -> None:
    citizens = [r.citizen_id for r in rows if identity and not r.survey.anonymous and r.citizen_id]
    if citizens:
        record_access(
            who.reader(request),
            AccessRecord.Purpose.API,
            "survey_response",
            objects=[r.pk for r in rows],
            citizens=citizens,
            shown=_("risposte ai questionari"),
        )


@router.get(
    "/survey-answers",
    auth=scoped("surveys:read"),
    response={200: ResponsePage, **ERRORS, 422: Problem},
    tags=["surveys"],
)
def survey_answers(
    request: HttpRequest,
    survey: str | None = QueryParam(None, max_length=64),  # noqa: B008
    office: str | None = QueryParam(None, max_length=64),  # noqa: B008
    since: datetime | None = None,
    cursor: str | None = QueryParam(None, max_length=200),  # noqa: B008
    limit: int = QueryParam(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),  # noqa: B008
) -> dict[str, Any]:
    """Survey answers in scope, newest first (`survey`: a survey's code; `office`: an office's
    code and below; `since`: submitted at or after)."""
    who = caller(request)
    rows = _responses(who)
    if survey:
        rows = rows.filter(survey__code=survey)
    if office:
        found = Office.objects.filter(code=office).first()
        if found is None:
            raise NotFound(_("Nessun ufficio con questo codice."), field="office")
        rows = rows.filter(office__path__startswith=found.path)
    if since is not None:
        if since.tzinfo is None:
            raise InvalidInput(_("Indica il fuso orario della data."), field="since")
        rows = rows.filter(submitted_at__gte=since)
    found_rows, next_cursor = page(rows, cursor=cursor, limit=limit, column="submitted_at")
    identity = _shows_identity(who)
    _record(request, who, found_rows, identity)
    return {"items": [_response_out(r, identity) for r in found_rows], "next_cursor": next_cursor}


@router.get(
    "/survey-answers/{response_id}",
    auth=scoped("surveys:read"),
    response={200: ResponseOut, **ERRORS},
    tags=["surveys"],
)
def survey_answer(request: HttpRequest, response_id: int) -> dict[str, Any]:
    who = caller(request)
    found = _responses(who).filter(pk=response_id).first()
    if found is None:
        raise NotFound(_("Nessuna risposta con questo id."), field="response_id")
    identity = _shows_identity(who)
    _record(request, who, [found], identity)
    return _response_out(found, identity)


# --- Reports --------------------------------------------------------------------------------


class ReportOut(Schema):
    period_start: date
    period_end: date
    label: str = Field(examples=["01/11/2026–30/11/2026"])
    figures: dict[str, Any] = Field(
        examples=[{"cases": 9512, "resolved_share": 81.4, "calls": {"offered": 84210}}],
        description="The monthly report's figures, as the console's report shows them.",
    )


@router.get(
    "/reports/monthly",
    auth=scoped("reports:read"),
    response={200: ReportOut, **ERRORS, 422: Problem},
    tags=["reports"],
)
def monthly(
    request: HttpRequest,
    year: int | None = QueryParam(None, ge=2000, le=2100),  # noqa: B008
    month: int | None = QueryParam(None, ge=1, le=12),  # noqa: B008
) -> dict[str, Any]:
    """The monthly report of `year`/`month` (default: the last complete month) as JSON."""
    if (year is None) != (month is None):
        raise InvalidInput(_("Indica sia l'anno sia il mese, o nessuno dei due."), field="month")
    period = (
        Period.month(year, month)
        if year is not None and month is not None
        else Period.last_complete_month()
    )
    report = monthly_report(period)
    figures = {
        name: getattr(report, name)
        for name in report.__dataclass_fields__
        if name not in ("period", "repeat_window")
    }
    figures["buckets_share"] = report.bucket_shares()
    return {
        "period_start": period.start,
        "period_end": period.end,
        "label": period.label(),
        "figures": json.loads(json.dumps(figures, cls=_Encoder)),
    }


class _Encoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        if hasattr(o, "__dataclass_fields__"):
            return {name: getattr(o, name) for name in o.__dataclass_fields__}
        return super().default(o)
