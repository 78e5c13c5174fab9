"""The page rating of the Designers Italia model, on every public page.

Three steps in one form: the stars (stored at once, so a visitor who stops there still counts),
the follow-up question chosen by the score, the comment; then thanks. With HTMX each step
replaces the form in place; without JavaScript each step is a page of its own with the same form.
The rating's id travels signed between steps, so no one can amend another visitor's rating.

The same rating on the city portal's pages (`portal_rate`): the portal includes
`static/web/portal/rating.js`, which draws the stars and the follow-up and POSTs JSON to
`/scrivi/valutazione/portale/` from the portal's origin. The endpoint answers only the origins
of `ASCOLTO_PORTAL_ORIGINS` (CORS, with its preflight), never with cookies or credentials,
under the same rate limit per address as our pages; it stores the portal's origin and the
page's path (`PageRating.origin`).
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from ascolto.core.errors import DomainError
from ascolto.surveys import actions
from ascolto.surveys.models import PageRating
from ascolto.web.forms.scrivi import RatingForm
from ascolto.web.views.scrivi.protection import Rule, browser_key, limited

SALT = "ascolto.scrivi.rating"
RATE_LIMIT_SETTING = "ASCOLTO_RATING_RATE_LIMIT"
RATE_LIMIT_DEFAULT = "60/h"  # per address; per browser, tighter:
BROWSER_LIMIT_SETTING = "ASCOLTO_RATING_BROWSER_RATE_LIMIT"
BROWSER_LIMIT_DEFAULT = "20/h"


def reasons_for(score: int) -> list[tuple[str, str]]:
    chosen = PageRating.POSITIVE if score >= 4 else PageRating.NEGATIVE
    return [(r.value, str(r.label)) for r in chosen]


def step_context(
    page: str, step: int, *, score: int | None = None, token: str = "", error: str = ""
) -> dict[str, Any]:
    return {
        "rating_page": page,
        "rating_step": step,
        "rating_score": score,
        "rating_positive": score is not None and score >= 4,
        "rating_reasons": reasons_for(score) if score else [],
        "rating_token": token,
        "rating_error": error,
        "rating_max_comment": PageRating.MAX_COMMENT,
    }


@require_POST
def rate(request: HttpRequest) -> HttpResponse:
    form = RatingForm(request.POST)
    page = request.POST.get("page", "/scrivi/")[:300]
    if not page.startswith("/"):
        page = "/scrivi/"
    context: dict[str, Any]
    status = 200
    if not form.is_valid():
        context = step_context(page, 1, error=_("Scegli da 1 a 5 stelle."))
        status = 400
    else:
        data = form.cleaned_data
        step: int = data["step"]
        if step == 1:
            context, status = _stars(request, page, data.get("score"))
        else:
            context, status = _follow_up(page, step, data)
    if request.headers.get("HX-Request"):
        return render(request, "web/scrivi/_rating_form.html", context, status=status)
    context["title"] = _("Valuta questa pagina")
    return render(request, "web/scrivi/rating.html", context, status=status)


def _stars(request: HttpRequest, page: str, score: int | None) -> tuple[dict[str, Any], int]:
    if not score:
        return step_context(page, 1, error=_("Scegli da 1 a 5 stelle.")), 400
    rules = [
        Rule(RATE_LIMIT_SETTING, RATE_LIMIT_DEFAULT, scope="rating"),
        Rule(BROWSER_LIMIT_SETTING, BROWSER_LIMIT_DEFAULT, key=browser_key(request)),
    ]
    if limited(request, "rating", rules) is not None:
        return step_context(page, 4, error=_("Hai già inviato molte valutazioni, grazie.")), 429
    try:
        rating = actions.rate_page(page, score)
    except DomainError:
        return step_context(page, 1, error=_("Non è stato possibile registrare il voto.")), 400
    token = signing.dumps({"id": rating.pk, "score": score}, salt=SALT)
    return step_context(page, 2, score=score, token=token), 200


def _follow_up(page: str, step: int, data: dict[str, Any]) -> tuple[dict[str, Any], int]:
    try:
        signed = signing.loads(data.get("token") or "", salt=SALT, max_age=3600)
    except signing.BadSignature:
        return step_context(page, 1, error=_("La valutazione è scaduta: ricomincia.")), 400
    score = int(signed["score"])
    token = str(data.get("token"))
    if step == 2:
        reason = data.get("reason") or ""
        if not reason:
            context = step_context(page, 2, score=score, token=token)
            context["rating_error"] = _("Scegli una delle risposte.")
            return context, 400
        try:
            actions.complete_rating(int(signed["id"]), reason=reason)
        except DomainError:
            context = step_context(page, 2, score=score, token=token)
            context["rating_error"] = _("Scegli una delle risposte proposte.")
            return context, 400
        return step_context(page, 3, score=score, token=token), 200
    comment = (data.get("comment") or "").strip()
    if comment:
        try:
            actions.complete_rating(int(signed["id"]), comment=comment)
        except DomainError:
            context = step_context(page, 3, score=score, token=token)
            context["rating_error"] = _("Il commento supera i 200 caratteri.")
            return context, 400
    return step_context(page, 4, score=score), 200


def _cors(response: HttpResponse, origin: str) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = origin
    response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
    response["Access-Control-Allow-Headers"] = "Content-Type"
    response["Access-Control-Max-Age"] = "600"
    response["Vary"] = "Origin"
    response["Cache-Control"] = "no-store"
    return response


def _answer(origin: str, body: dict[str, Any], status: int = 200) -> HttpResponse:
    return _cors(JsonResponse(body, status=status), origin)


# No cookie is read nor set and nothing acts with a visitor's authority: there is nothing a
# forged cross-site request could do that a direct one could not, hence no CSRF token.
@csrf_exempt
@require_http_methods(["POST", "OPTIONS"])
def portal_rate(request: HttpRequest) -> HttpResponse:
    """The page rating embedded on the portal: step 1 `{"page", "score"}` stores the stars and
    answers the follow-up's choices with a signed token; step 2 `{"token", "reason",
    "comment"}` completes it. Only from `ASCOLTO_PORTAL_ORIGINS`."""
    origin = request.headers.get("Origin", "")
    if not origin or origin not in settings.ASCOLTO_PORTAL_ORIGINS:
        return JsonResponse({"error": _("Origine non ammessa.")}, status=403)
    if request.method == "OPTIONS":
        return _cors(HttpResponse(status=204), origin)
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return _answer(origin, {"error": _("Richiesta non valida.")}, 400)
    if data.get("token"):
        return _portal_follow_up(origin, data)
    rules = [Rule(RATE_LIMIT_SETTING, RATE_LIMIT_DEFAULT, scope="rating")]
    wait = limited(request, "rating", rules)
    if wait is not None:
        response = _answer(origin, {"error": _("Hai già inviato molte valutazioni, grazie.")}, 429)
        response["Retry-After"] = str(wait)
        return response
    try:
        score = int(data.get("score") or 0)
        rating = actions.rate_page(str(data.get("page") or ""), score, origin=origin)
    except (DomainError, TypeError, ValueError):
        return _answer(origin, {"error": _("Non è stato possibile registrare il voto.")}, 400)
    token = signing.dumps({"id": rating.pk, "score": score, "o": origin}, salt=SALT)
    return _answer(
        origin,
        {
            "token": token,
            "question": (
                _("Quali sono stati gli aspetti che hai preferito?")
                if score >= 4
                else _("Dove hai incontrato le maggiori difficoltà?")
            ),
            "reasons": reasons_for(score),
            "max_comment": PageRating.MAX_COMMENT,
        },
    )


def _portal_follow_up(origin: str, data: dict[str, Any]) -> HttpResponse:
    try:
        signed = signing.loads(str(data["token"])[:1000], salt=SALT, max_age=3600)
    except signing.BadSignature:
        return _answer(origin, {"error": _("La valutazione è scaduta: ricomincia.")}, 400)
    if signed.get("o") != origin:
        return _answer(origin, {"error": _("La valutazione è scaduta: ricomincia.")}, 400)
    try:
        actions.complete_rating(
            int(signed["id"]),
            reason=str(data.get("reason") or ""),
            comment=str(data.get("comment") or ""),
        )
    except DomainError as error:
        return _answer(origin, {"error": error.message}, 400)
    return _answer(origin, {"thanks": _("Grazie per il tuo suggerimento!")})


urlpatterns: list[URLPattern] = [
    path("valutazione/", rate, name="rate"),
    path("valutazione/portale/", portal_rate, name="portal-rate"),
]
