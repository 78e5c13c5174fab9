"""The results of a survey in the console (`/console/questionari/<code>/risultati/`): response
rate, CSAT and NPS with their intervals, the splits by channel, office, theme, service and
month (the monthly trend drawn as SVG on the server), the distribution of every question, the
free-text answers with their themes, and the CSV, XLSX and PDF downloads of the reports.

Analysts, supervisors and administrators read every survey; an office operator the surveys of
their office (`surveys.results.visible_surveys`): another office's survey does not exist for
them (404). The read side is `surveys.results`; tagging an answer with a theme and suggesting
themes from the text are `surveys.actions`. Answers carry no citizen (an anonymous survey keeps
none, and none is shown for the others), so nothing here goes to the access log.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ascolto.analytics.charts import chart_svg
from ascolto.analytics.period import Period
from ascolto.core import access
from ascolto.core.errors import DomainError
from ascolto.core.roles import Role
from ascolto.surveys import actions
from ascolto.surveys.models import Answer, Question, Survey
from ascolto.surveys.results import survey_results, visible_surveys
from ascolto.tickets.models import Theme
from ascolto.web.forms.survey_results import results_form
from ascolto.web.views.console.reports import export

TEXTS_ON_PAGE = 25


def reads_results(user: Any) -> bool:
    """Analysts, supervisors, administrators; office operators for their office's surveys."""
    return access.analyses(user) or getattr(user, "role", "") == Role.OFFICE


def _survey(request: HttpRequest, code: str) -> Survey:
    return get_object_or_404(
        visible_surveys(request.user).select_related("current_version"), code=code
    )


@require_GET
@access.require(reads_results)
def results(request: HttpRequest, code: str) -> HttpResponse:
    survey = _survey(request, code)
    form = results_form(request.GET)
    found = None
    sections: list[tuple[Any, Any]] = []
    if form.is_valid():
        period: Period = form.cleaned_data["period"]
        found = survey_results(
            survey, period.start, period.end, period.since, period.until, form.filters()
        )
        response = export(request, found.board, f"{found.board.key}-{period.slug()}")
        if response is not None:
            return response
        sections = [(t, chart_svg(t)) for t in found.board.tables if t.key != "texts"]
    query = request.GET.copy()
    for key in ("formato", "tabella"):
        query.pop(key, None)
    return render(
        request,
        "web/console/surveys/results.html",
        {
            "nav": "reports",
            "title": _("Risultati: %(title)s") % {"title": survey.title},
            "survey": survey,
            "form": form,
            "found": found,
            "board": found.board if found else None,
            "sections": sections,
            "texts": found.texts[:TEXTS_ON_PAGE] if found else [],
            "themes": Theme.objects.filter(is_active=True, level__lte=Theme.Level.THEME)
            .order_by("path")
            .only("pk", "name", "level"),
            "query": query.urlencode(),
        },
    )


@require_POST
@access.require(reads_results)
def tag(request: HttpRequest, code: str) -> HttpResponse:
    """Tag one free-text answer with a theme (`risposta`, `tema`; an empty theme removes the
    tag), or suggest a theme from the text for every untagged one (`suggerisci`)."""
    survey = _survey(request, code)
    back = (
        f"{reverse('console:survey-results', args=[survey.code])}?{request.POST.get('query', '')}"
    )
    if request.POST.get("suggerisci"):
        answers = Answer.objects.filter(response__survey=survey)
        found = actions.suggest_answer_themes(answers)
        messages.success(request, _("Tema suggerito dal testo per %(n)d risposte.") % {"n": found})
        return redirect(back)
    answer = get_object_or_404(
        Answer.objects.select_related("question"),
        pk=_id(request.POST.get("risposta")),
        response__survey=survey,
        question__kind=Question.Kind.TEXT,
    )
    theme = None
    if request.POST.get("tema"):
        theme = get_object_or_404(Theme, pk=_id(request.POST["tema"]))
    try:
        actions.tag_answer(answer, theme)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Tema della risposta salvato."))
    return redirect(back)


def _id(raw: str | None) -> int:
    return int(raw) if raw and raw.isdigit() else 0


urlpatterns: list[URLPattern] = [
    path("questionari/<slug:code>/risultati/", results, name="survey-results"),
    path("questionari/<slug:code>/risultati/temi/", tag, name="survey-results-tag"),
]
