"""Screen-pop: the caller's panel opens by itself in the console of the operator whose extension
is ringing (the telephony system's "call started" webhook, `contactcenter.webhooks`).

Every console page of an operator with an extension asks every 0.8 s (HTMX POST, so the answer
is never cached and the CSRF token goes with it; 0.8 s so that the panel opens within a second
of the webhook) whether a call has come in; the answer is empty (204) until one has, then the
panel: who the caller may be, their open cases and earlier calls within the operator's scope
(the call form's own lookup, `calls.find_callers`), and a button to the call form already
filled with the number and the call id. Each pop opens once.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.views.decorators.http import require_POST

from ascolto.contactcenter.actions import take_incoming_call
from ascolto.core import access
from ascolto.web.views.console.calls import find_callers, note_callers

# HTMX stops polling on this status: a signed-out (or no longer operator) page asks no more,
# instead of having the sign-in page a redirect would bring swapped into the panel's place.
STOP_POLLING = 286


@require_POST
def incoming_call(request: HttpRequest) -> HttpResponse:
    """The panel of the call just announced on the user's extension, or 204 (nothing new)."""
    if not access.handles_cases(request.user):
        return HttpResponse(status=STOP_POLLING)
    incoming = take_incoming_call(request.user)  # type: ignore[arg-type]
    if incoming is None:
        return HttpResponse(status=204)
    callers, _problem = find_callers(request.user, incoming.phone) if incoming.phone else ([], "")
    note_callers(request, callers, None)
    context = {"incoming": incoming, "callers": callers, "popup": True}
    return render(request, "web/console/calls/_incoming.html", context)


urlpatterns: list[URLPattern] = [
    path("calls/incoming/", incoming_call, name="incoming-call"),
]
