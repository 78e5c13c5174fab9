"""The published executive summaries of the city's questionnaires, for the transparency
section: `/trasparenza/indagini/<slug>/` as a web page and, with `?formato=pdf`, a tagged PDF.
No sign-in and no personal data: aggregated shares with small counts suppressed and no free
text (`analytics.questionnaires`). Mounted under /trasparenza/ with the complaints report."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_GET

from ascolto.analytics import exports
from ascolto.analytics.questionnaires import summary_board
from ascolto.surveys.models import ExecutiveSummary


def published() -> list[ExecutiveSummary]:
    """The published summaries, newest first (the transparency index lists them)."""
    return list(
        ExecutiveSummary.objects.filter(status=ExecutiveSummary.Status.PUBLISHED).order_by(
            "-published_at"
        )
    )


@require_GET
def questionnaire(request: HttpRequest, slug: str) -> HttpResponse:
    summary = get_object_or_404(
        ExecutiveSummary, slug=slug, status=ExecutiveSummary.Status.PUBLISHED
    )
    board = summary_board(summary, public=True)
    if request.GET.get("formato") == "pdf":
        try:
            pdf = exports.dashboard_pdf(board, municipality=settings.ASCOLTO_MUNICIPALITY)
        except exports.PdfUnavailable as exc:
            return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="indagine-{summary.slug}.pdf"'
        return response
    return render(
        request,
        "web/public/questionnaire.html",
        {"board": board, "summary": summary, "title": summary.title},
    )


urlpatterns: list[URLPattern] = [
    path("indagini/<slug:slug>/", questionnaire, name="questionnaire"),
]
