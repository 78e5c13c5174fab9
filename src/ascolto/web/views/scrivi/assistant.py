"""The web chat of the virtual assistant on the citizen pages (`/scrivi/assistente/`).

The same engine as on WhatsApp (`assistant.actions.web_turn`); the session is keyed by the hash
of a random token kept in a cookie, so nothing of the visitor is stored. Each message is a plain
form (a text box, or one small form per choice offered): without JavaScript the page shows the
last exchange; with HTMX the answer is appended to the conversation in place. No session is
made until the visitor writes. The survey, once per session, as on WhatsApp: the page asks for
it after `SURVEY_AFTER` without a message (web/assistant.js), and "Termina la conversazione"
asks for it too (then, once it was offered, ends the session).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import replace

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _

from ascolto.assistant import actions
from ascolto.assistant.engine import SURVEY_AFTER, Out
from ascolto.web.views.scrivi.protection import Rule, limited, with_retry_after

COOKIE = "ascolto_assistente"
COOKIE_AGE = 60 * 60 * 2  # the session ends after an hour idle anyway
TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
MAX_TEXT = 500
RATE_LIMIT_SETTING = "ASCOLTO_ASSISTANT_RATE_LIMIT"
RATE_LIMIT_DEFAULT = "240/h"  # per address; per chat (its cookie), tighter:
SESSION_LIMIT_SETTING = "ASCOLTO_ASSISTANT_SESSION_RATE_LIMIT"
SESSION_LIMIT_DEFAULT = "60/h"
PATH = re.compile(r"(?<![\w/:.])/[A-Za-z0-9_-]+(?:/[A-Za-z0-9_-]+)*/")


def chat(request: HttpRequest) -> HttpResponse:
    token = request.COOKIES.get(COOKIE, "")
    if not TOKEN.match(token):
        token = secrets.token_urlsafe(32)
    said = ""
    outs: list[Out] = []
    status = 200
    wait: int | None = None
    if request.method == "POST":
        text = (request.POST.get("text") or "").strip()[:MAX_TEXT]
        choice = (request.POST.get("choice") or "").strip()[:40]
        said = text or (request.POST.get("label") or "").strip()[:100]
        rules = [
            Rule(RATE_LIMIT_SETTING, RATE_LIMIT_DEFAULT, scope="assistant"),
            Rule(SESSION_LIMIT_SETTING, SESSION_LIMIT_DEFAULT, key=f"chat:{token}"),
        ]
        wait = limited(request, "assistant", rules)
        if wait is not None:
            outs, status = (
                [Out(_("Troppi messaggi in poco tempo: riprova tra qualche minuto."))],
                429,
            )
        elif request.POST.get("survey") in ("idle", "end"):
            # The page's timer after SURVEY_AFTER of silence, or "Termina la conversazione".
            ending = request.POST["survey"] == "end"
            outs = actions.web_pause(token, ending=ending)
            said = _("Termina la conversazione") if ending else ""
            if not outs and not ending:
                return HttpResponse(status=204)
            if not outs:
                outs = [Out(_("Conversazione terminata. Grazie e a presto!"))]
        elif not text and not choice:
            outs, status = [Out(_("Scrivi una domanda o scegli una voce."))], 400
        else:
            outs = actions.web_turn(token, text, choice)
            if not outs:
                outs = [Out(_("L'assistente non è disponibile: scrivi al Comune con il modulo."))]
    # A path of this site in a reply (the form of Scrivi, «/scrivi/») becomes a whole address,
    # which the template turns into a link as it does the others.
    outs = [
        replace(o, text=PATH.sub(lambda m: request.build_absolute_uri(m.group(0)), o.text))
        for o in outs
    ]
    available = bool(outs) or actions.web_menu() is not None
    context = {
        "said": said,
        "outs": outs,
        "title": _("Assistente virtuale"),
        "available": available,
        "survey_after": int(SURVEY_AFTER.total_seconds()),
    }
    if request.headers.get("HX-Request"):
        response = render(request, "web/scrivi/_assistant_exchange.html", context, status=status)
    else:
        response = render(request, "web/scrivi/assistant.html", context, status=status)
    if wait is not None:
        with_retry_after(response, wait)
    if request.method == "POST":
        response.set_cookie(
            COOKIE,
            token,
            max_age=COOKIE_AGE,
            httponly=True,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
    return response


urlpatterns: list[URLPattern] = [path("assistente/", chat, name="assistant")]
