"""The assistant's simulator in the console (`/console/assistente/versioni/<pk>/simulatore/`).

The editor types messages, or taps the options the bot offers, and reads the bot's replies as
the engine would send them (lists, buttons, lettered text), on a draft or the published
version. `assistant.simulator.simulate` runs the real engine on a transient session and sends
nothing: the session, its turns and replies are rolled back, so nothing counts as a real session
or in the statistics.

The conversation so far lives in the editor's own web session (what was typed, and the replies
each message got). Each new message replays the whole conversation, because the engine's state
lives only inside one `simulate` call: every reply shown is what the version says now, also
after an edit of the draft. A conversation is capped at `MAX_TURNS` messages ("Ricomincia"
empties it). "10 minuti di inattività" plays the silence that brings the survey (`engine.IDLE`):
the editor sees it and answers it as a citizen would, and the answers, like everything else
here, are rolled back. The editor picks the channel: WhatsApp (lists and buttons) or the web chat
(lettered choices, drawn as buttons by the chat).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ascolto.assistant import engine
from ascolto.assistant.engine import Out, Step
from ascolto.assistant.models import MenuVersion, Session
from ascolto.core.errors import DomainError
from ascolto.web.views.console.assistant import editor, version_or_404

MAX_TURNS = 40
MAX_TEXT = 1000


CHANNELS: dict[str, bool] = {Session.Kind.WHATSAPP: True, Session.Kind.WEB: False}  # interactive?


def _key(version: MenuVersion) -> str:
    return f"assistant-simulator-{version.pk}"


def play(version: MenuVersion, texts: list[str], kind: str) -> list[list[Out]]:
    """The replies to each of `texts`, in order, on `version`, as the engine gives them on a
    channel of `kind`; nothing sent, nothing stored."""
    steps: list[Step] = []
    engine.simulate(version, texts, interactive=CHANNELS[kind], kind=kind, on_step=steps.append)
    return [step.outs for step in steps]


def _shown(out: Out) -> dict[str, Any]:
    """One reply as the page shows it (and keeps it in the web session)."""
    return {
        "text": out.text,
        "style": out.style,
        "button": out.button,
        "header": out.header,
        "footer": out.footer,
        "choices": [
            {"id": c.id, "title": c.title, "description": c.description} for c in out.choices
        ],
    }


def _render(
    request: HttpRequest,
    version: MenuVersion,
    turns: list[dict[str, Any]],
    *,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    template = (
        "web/console/assistant/_conversation.html"
        if request.headers.get("HX-Request")
        else "web/console/assistant/simulator.html"
    )
    return render(
        request,
        template,
        {
            "title": _("Simulatore: %(menu)s, versione %(n)d")
            % {"menu": version.menu, "n": version.number},
            "nav": "assistant",
            "version": version,
            "turns": turns,
            "full": len(turns) >= MAX_TURNS,
            "max_turns": MAX_TURNS,
            "error": error,
            "channel": _channel(request, version),
            "channels": Session.Kind.choices,
        },
        status=status,
    )


def _channel(request: HttpRequest, version: MenuVersion) -> str:
    kind = request.session.get(f"{_key(version)}-channel", Session.Kind.WHATSAPP)
    return kind if kind in CHANNELS else Session.Kind.WHATSAPP


@editor
@require_http_methods(["GET", "POST"])
def simulator(request: HttpRequest, pk: int) -> HttpResponse:
    version = version_or_404(pk)
    key = _key(version)
    turns: list[dict[str, Any]] = request.session.get(key, [])
    if request.method == "GET":
        return _render(request, version, turns)
    if "reset" in request.POST:
        # "Ricomincia", on the channel chosen with it.
        request.session.pop(key, None)
        kind = request.POST.get("channel", "")
        if kind in CHANNELS:
            request.session[f"{key}-channel"] = kind
        if request.headers.get("HX-Request"):
            return _render(request, version, [])
        return redirect("console:assistant-simulator", pk=version.pk)
    # A tapped option sends its id (as WhatsApp does) and shows its title; a typed message both.
    sent = (request.POST.get("choice") or request.POST.get("text") or "").strip()[:MAX_TEXT]
    said = (request.POST.get("said") or sent).strip()[:MAX_TEXT]
    idle = "idle" in request.POST
    if idle:  # "10 minuti di inattività": the survey, as the tick sends it
        sent, said = engine.IDLE, _("10 minuti senza messaggi")
    if not sent:
        error = _("Scrivi un messaggio, o tocca una delle scelte.")
        return _render(request, version, turns, error=error, status=400)
    if len(turns) >= MAX_TURNS:
        error = _("La prova è arrivata a %(n)d messaggi: ricomincia.") % {"n": MAX_TURNS}
        return _render(request, version, turns, error=error, status=400)
    turns = [*turns, {"sent": sent, "said": said, "idle": idle}]
    try:
        replies = play(version, [turn["sent"] for turn in turns], _channel(request, version))
    except DomainError as exc:
        return _render(request, version, turns[:-1], error=exc.message, status=400)
    for turn, outs in zip(turns, replies, strict=True):
        turn["replies"] = [_shown(out) for out in outs]
    request.session[key] = turns
    if request.headers.get("HX-Request"):
        return _render(request, version, turns)
    return redirect("console:assistant-simulator", pk=version.pk)


urlpatterns: list[URLPattern] = [
    path("assistente/versioni/<int:pk>/simulatore/", simulator, name="assistant-simulator"),
]
