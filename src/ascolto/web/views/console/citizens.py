"""Possible duplicates: the merge suggestions intake leaves for operators (decision 0009).

A handle typed on a public form that belongs to another citizen, or a match that other details
contradict, opens a separate record and a suggestion; here an operator reads the evidence and
merges the two records or keeps them apart (`citizens.actions`). First-level operators and
supervisors see every suggestion; an office operator only those about citizens with a case in
their offices (`core.access.visible_citizens`).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from ascolto.channels.models import Channel
from ascolto.citizens.actions import accept_merge_suggestion, dismiss_merge_suggestion
from ascolto.citizens.batch import FISCAL_CODE
from ascolto.citizens.models import Citizen, Identity, MergeSuggestion
from ascolto.core import access
from ascolto.core.errors import DomainError

PAGE_SIZE = 50
DISAGREED = {
    "name": gettext_lazy("nome"),
    "email": gettext_lazy("email"),
    "fiscal_code": gettext_lazy("codice fiscale"),
}


def suggestions_for(user: Any) -> QuerySet[MergeSuggestion]:
    """The open merge suggestions `user` may decide: both citizens within their reach
    (`core.access.visible_citizens`, the rule of the call form too)."""
    reachable = access.visible_citizens(Citizen.objects.all(), user).values("pk")
    return MergeSuggestion.objects.filter(
        status=MergeSuggestion.Status.OPEN, first__in=reachable, second__in=reachable
    )


@require_GET
@access.require(access.handles_cases)
def duplicates(request: HttpRequest) -> HttpResponse:
    identities = Identity.objects.order_by("kind", "value")
    rows = list(
        suggestions_for(request.user)
        .select_related("first", "second")
        .prefetch_related(
            Prefetch("first__identities", queryset=identities),
            Prefetch("second__identities", queryset=identities),
        )[:PAGE_SIZE]
    )
    sources = {row.evidence.get("source", "") for row in rows}
    channels = dict(Channel.objects.filter(code__in=sources).values_list("code", "name"))
    items = [_item(row, channels) for row in rows]
    return render(
        request,
        "web/console/citizens/duplicates.html",
        {"title": _("Possibili doppioni"), "nav": "duplicates", "items": items},
    )


def _item(suggestion: MergeSuggestion, channels: dict[str, str]) -> dict[str, Any]:
    """One suggestion as the page shows it: the two records and the evidence in words."""
    evidence = suggestion.evidence or {}
    holder_pk = evidence.get("holder")
    holder: Citizen = suggestion.first if holder_pk == suggestion.first_id else suggestion.second
    matched = []
    for handle in evidence.get("matched", []):
        kind = handle.get("kind", "")
        label = _("Codice fiscale") if kind == FISCAL_CODE else _label(kind)
        matched.append({"label": label, "value": handle.get("value", "")})
    source = evidence.get("source", "")
    return {
        "suggestion": suggestion,
        "citizens": [suggestion.first, suggestion.second],
        "holder": holder,
        "matched": matched,
        "disagreed": [str(DISAGREED[d]) for d in evidence.get("disagreed", []) if d in DISAGREED],
        "source": channels.get(source, source),
    }


def _label(kind: str) -> str:
    try:
        return str(Identity.Kind(kind).label)
    except ValueError:
        return kind


def _decide(request: HttpRequest, pk: int, accept: bool) -> HttpResponse:
    suggestion = get_object_or_404(suggestions_for(request.user), pk=pk)
    try:
        if accept:
            kept = accept_merge_suggestion(suggestion, actor=request.user)
            messages.success(
                request, _("I due cittadini sono stati uniti in %(name)s.") % {"name": kept}
            )
        else:
            dismiss_merge_suggestion(suggestion, actor=request.user)
            messages.success(request, _("I due cittadini restano separati."))
    except DomainError as exc:
        messages.error(request, _("Non è stato fatto: %(reason)s") % {"reason": exc.message})
    return redirect("console:duplicates")


@require_POST
@access.require(access.handles_cases)
def accept(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, accept=True)


@require_POST
@access.require(access.handles_cases)
def dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, accept=False)


urlpatterns: list[URLPattern] = [
    path("citizens/duplicates/", duplicates, name="duplicates"),
    path("citizens/duplicates/<int:pk>/accept/", accept, name="duplicate-accept"),
    path("citizens/duplicates/<int:pk>/dismiss/", dismiss, name="duplicate-dismiss"),
]
