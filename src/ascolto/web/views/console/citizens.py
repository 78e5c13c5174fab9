"""Citizens in the console: the search from the header of every page, the citizen's page (every
identity, case, conversation, call, survey answer, consent and merge suggestion) and the
possible duplicates, the merge suggestions intake leaves for operators (decision 0009).

Who sees what (`core.access`): first-level operators, supervisors and administrators find and
open every citizen; an office operator only citizens with a case in their offices, and on the
citizen's page only the cases, conversations and calls of those offices. Analysts find no one.
A citizen outside the user's scope answers 404, like a case.

A handle typed on a public form that belongs to another citizen, or a match that other details
contradict, opens a separate record and a suggestion; here an operator reads the evidence and
merges the two records or keeps them apart (`citizens.actions`). First-level operators and
supervisors see every suggestion; an office operator only those about citizens with a case in
their offices (`core.access.visible_citizens`).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ascolto.channels.models import Channel, Conversation
from ascolto.citizens.actions import accept_merge_suggestion, dismiss_merge_suggestion
from ascolto.citizens.batch import FISCAL_CODE
from ascolto.citizens.models import Citizen, Identity, MergeSuggestion
from ascolto.citizens.search import Key, find
from ascolto.contactcenter.models import CallRecord
from ascolto.core import access
from ascolto.core.errors import DomainError
from ascolto.tickets.models import Ticket
from ascolto.web import access_log
from ascolto.web.views.console.inbox import case_url_prefix

PAGE_SIZE = 50
HISTORY = 50  # cases, conversations and calls shown on the citizen's page, newest first
SUGGEST = 8  # suggestions shown while typing
KEY_LABELS = {
    Key.CODE: gettext_lazy("codice pratica"),
    Key.EMAIL: gettext_lazy("email"),
    Key.FISCAL_CODE: gettext_lazy("codice fiscale"),
    Key.PHONE: gettext_lazy("telefono"),
    Key.NAME: gettext_lazy("nome"),
}
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
    if rows:
        access_log.seen(
            request,
            access_log.Purpose.DUPLICATES,
            "merge_suggestion",
            objects=[row.pk for row in rows],
            citizens=[c.pk for row in rows for c in (row.first, row.second)],
            shown="names and handles of both records",
        )
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


@require_http_methods(["GET", "POST"])
@access.require(access.handles_cases)
def search(request: HttpRequest) -> HttpResponse:
    """The results of the header's search (POSTed: nothing typed lands in a URL); a tracking
    code of a case in scope opens the case. Asked by HTMX while typing (`HX-Request`), only the
    list of suggestions. A GET shows the page with nothing searched."""
    suggesting = request.headers.get("HX-Request") == "true"
    text = request.POST.get("q", "") if request.method == "POST" else ""
    found = find(text, request.user, limit=SUGGEST if suggesting else 20)
    if found.case is not None and not suggesting:
        return redirect(f"{case_url_prefix()}{found.case.code}/")
    context = {
        "title": _("Cerca un cittadino"),
        "found": found,
        "key_label": KEY_LABELS.get(found.key, ""),
        "case_url": f"{case_url_prefix()}{found.case.code}/" if found.case else "",
        "rows": [{"citizen": c, "cases": found.cases.get(c.pk, 0)} for c in found.citizens],
    }
    if found.citizens:
        access_log.seen(
            request,
            access_log.Purpose.SEARCH,
            "citizen",
            objects=[c.pk for c in found.citizens],
            citizens=[c.pk for c in found.citizens],
            shown=f"citizen search by {found.key}",
        )
    if suggesting:
        return render(request, "web/console/citizens/_suggestions.html", context)
    return render(request, "web/console/citizens/search.html", context)


@require_GET
@access.require(access.handles_cases)
def citizen_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Everything about one citizen the user may see: identities on every channel, cases,
    conversations, calls, survey answers, consents and the merge suggestions about them."""
    user = request.user
    citizen = access.visible_citizens(Citizen.objects.all(), user).filter(pk=pk).first()
    if citizen is None:
        raise Http404("not found")
    if citizen.merged_into_id is not None:
        return redirect("console:citizen", pk=citizen.live().pk)
    identities = list(citizen.identities.order_by("kind", "value"))
    identity_ids = [i.pk for i in identities]
    cases = access.visible(
        Ticket.objects.filter(Q(citizen=citizen) | Q(identity_id__in=identity_ids)), user
    )
    case_rows = list(
        cases.select_related("channel", "office", "theme").order_by("-created_at", "-pk")[:HISTORY]
    )
    conversations = Conversation.objects.filter(identity_id__in=identity_ids)
    calls = CallRecord.objects.filter(caller_id__in=identity_ids)
    if not access.sees_every_office(user):
        # An office operator reads only the conversations and calls of their cases.
        in_scope = cases.values("pk")
        conversations = conversations.filter(tickets__in=in_scope).distinct()
        calls = calls.filter(conversation__tickets__in=in_scope).distinct()
    suggestions = suggestions_for(user).filter(Q(first=citizen) | Q(second=citizen))
    id_order = Identity.objects.order_by("kind", "value")
    suggestion_rows = list(
        suggestions.select_related("first", "second").prefetch_related(
            Prefetch("first__identities", queryset=id_order),
            Prefetch("second__identities", queryset=id_order),
        )[:PAGE_SIZE]
    )
    sources = {row.evidence.get("source", "") for row in suggestion_rows}
    channels = dict(Channel.objects.filter(code__in=sources).values_list("code", "name"))
    prefix = case_url_prefix()
    others = [c.pk for row in suggestion_rows for c in (row.first, row.second)]
    access_log.seen(
        request,
        access_log.Purpose.CITIZEN,
        "citizen",
        objects=[citizen.pk],
        citizens=[citizen.pk, *others],
        shown="identities, cases, conversations, calls, consents, merge suggestions",
    )
    return render(
        request,
        "web/console/citizens/citizen.html",
        {
            "title": str(citizen),
            "citizen": citizen,
            "identities": identities,
            "cases": [{"ticket": t, "url": f"{prefix}{t.code}/"} for t in case_rows],
            "surveys": [
                {"ticket": t, "url": f"{prefix}{t.code}/"}
                for t in case_rows
                if t.satisfaction is not None
            ],
            "conversations": list(
                conversations.select_related("channel", "identity").order_by("-last_message_at")[
                    :HISTORY
                ]
            ),
            "calls": list(calls.select_related("operator").order_by("-arrived_at")[:HISTORY]),
            "consents": list(citizen.consents.order_by("-recorded_at", "-pk")),
            "can_answer_privacy": access.answers_privacy_requests(user),
            "suggestions": [_item(row, channels) for row in suggestion_rows],
            "next": request.path,
        },
    )


def _decide(request: HttpRequest, pk: int, accept: bool) -> HttpResponse:
    suggestion = get_object_or_404(suggestions_for(request.user), pk=pk)
    kept_pk = suggestion.first_id
    try:
        if accept:
            kept = accept_merge_suggestion(suggestion, actor=request.user)
            kept_pk = kept.pk
            messages.success(
                request, _("I due cittadini sono stati uniti in %(name)s.") % {"name": kept}
            )
        else:
            dismiss_merge_suggestion(suggestion, actor=request.user)
            messages.success(request, _("I due cittadini restano separati."))
    except DomainError as exc:
        messages.error(request, _("Non è stato fatto: %(reason)s") % {"reason": exc.message})
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, {request.get_host()}):
        if accept and back.startswith("/console/citizens/"):
            return redirect("console:citizen", pk=kept_pk)  # the record kept
        return redirect(back)
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
    path("citizens/search/", search, name="citizen-search"),
    path("citizens/<int:pk>/", citizen_page, name="citizen"),
    path("citizens/duplicates/", duplicates, name="duplicates"),
    path("citizens/duplicates/<int:pk>/accept/", accept, name="duplicate-accept"),
    path("citizens/duplicates/<int:pk>/dismiss/", dismiss, name="duplicate-dismiss"),
]
