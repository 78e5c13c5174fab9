"""The portal's survey link of an online service: `/scrivi/questionario/servizio/<code>/`.

The city's portal shows it after an online service (a certificate, an appointment, a TARI
declaration), as a plain link or through the small script `static/web/portal/service.js`. A
visit makes an anonymous invitation to the service's open survey (`surveys.invitations
.invite_for_service`) and sends the browser to the answering page. One invitation per visit:
the browser keeps the invitation's token in a cookie for a day, and coming back to the link
(a reload, the back button) reuses it while it is unanswered. Rate limited per address and per
browser (its CSRF cookie, set here for the next visit).
"""

from __future__ import annotations

from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from ascolto.core.errors import DomainError
from ascolto.surveys import invitations
from ascolto.surveys.models import Invitation
from ascolto.surveys.tokens import invitation_of, invitation_path, invitation_token
from ascolto.web.views.scrivi.protection import Rule, browser_key, limited, too_many

LIMIT = ("ASCOLTO_SERVICE_SURVEY_RATE_LIMIT", "60/h")
BROWSER_LIMIT = ("ASCOLTO_SERVICE_SURVEY_BROWSER_RATE_LIMIT", "10/h")
COOKIE = "ascolto-questionario-{code}"
COOKIE_AGE = 24 * 3600


def _kept(request: HttpRequest, code: str) -> Invitation | None:
    """The invitation this browser got for this service, still to answer."""
    token = request.COOKIES.get(COOKIE.format(code=code), "")[:1000]
    if not token:
        return None
    try:
        invitation = invitation_of(token)
    except (DomainError, signing.BadSignature):
        return None
    if (
        invitation.via != Invitation.Via.WIDGET
        or invitation.service is None
        or invitation.service.code != code
        or invitation.answered_at is not None
        or invitation.expires_at <= timezone.now()
    ):
        return None
    return invitation


@require_GET
def service_survey(request: HttpRequest, code: str) -> HttpResponse:
    kept = _kept(request, code)
    if kept is not None:
        return HttpResponseRedirect(invitation_path(kept))
    wait = limited(
        request,
        "service-survey",
        [Rule(*LIMIT), Rule(*BROWSER_LIMIT, key=browser_key(request))],
    )
    if wait is not None:
        return too_many(request, wait)
    try:
        invitation = invitations.invite_for_service(code)
    except DomainError as error:
        return render(
            request,
            "web/scrivi/no_survey.html",
            {"title": _("Questionario non disponibile"), "reason": error.message},
            status=404,
        )
    response = HttpResponseRedirect(invitation_path(invitation))
    response.set_cookie(
        COOKIE.format(code=code),
        invitation_token(invitation),
        max_age=COOKIE_AGE,
        path=request.path,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )
    get_token(request)  # the browser's key for the per-browser limit of its next visit
    return response


urlpatterns: list[URLPattern] = [
    path("questionario/servizio/<slug:code>/", service_survey, name="service-survey"),
]
