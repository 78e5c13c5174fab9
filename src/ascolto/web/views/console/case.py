"""The case page of the console: thread, timeline, SLA clock, citizen panel, and the actions.

`console:case` shows a case; `console:case-action` takes one action's form. Both find the case
through `core.access.get_visible_or_404`, so a case out of an office operator's scope answers 404
for reading and for acting alike. Every action calls `tickets.actions`; a refusal (a
`DomainError`) is shown on the page next to the form, with what was typed kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from ascolto.channels import attachments as reply_files
from ascolto.channels.inbound import STORED, Attachment
from ascolto.channels.models import Message
from ascolto.contactcenter import actions as cc_actions
from ascolto.core import access
from ascolto.core.downloads import file_download
from ascolto.core.errors import DomainError
from ascolto.knowledge import actions as knowledge_actions
from ascolto.knowledge import placeholders
from ascolto.organisation.models import User
from ascolto.tickets import actions, citizen_history, sla
from ascolto.tickets.models import Ticket, TicketEvent
from ascolto.web import access_log
from ascolto.web.forms import case as case_forms

Run = Callable[[Ticket, dict[str, Any], User], Any]


@dataclass(frozen=True)
class Action:
    """One action of the case page: its form, its words, and the domain call it makes."""

    name: str
    form: type[case_forms.CaseActionForm]
    title: Any
    button: Any
    question: Any  # asked before the action is carried out
    done: Any  # said once it was
    run: Run
    # Offered next to what it acts on (a failed reply in the thread), not in the side panel.
    inline: bool = False


def _merge(ticket: Ticket, data: dict[str, Any], user: User) -> Ticket:
    other: Ticket = data["code"]
    if data["keep"] == case_forms.MergeForm.KEEP_THIS:
        return actions.merge_tickets(other, ticket, actor=user)
    actions.merge_tickets(ticket, other, actor=user)
    return other


def _tag(ticket: Ticket, data: dict[str, Any], user: User) -> Ticket:
    added = actions.ensure_tags(data["add"])
    return actions.tag_ticket(ticket, actor=user, add=added, remove=list(data["remove"]))


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in [
        Action(
            "reply",
            case_forms.ReplyForm,
            gettext_lazy("Rispondi al cittadino"),
            gettext_lazy("Invia la risposta"),
            gettext_lazy("Inviare la risposta al cittadino?"),
            gettext_lazy("Risposta inviata al cittadino."),
            lambda t, d, u: actions.reply_to_ticket(
                t, d["text"], actor=u, attachments=d.get("files", ())
            ),
        ),
        Action(
            "template",
            case_forms.TemplateForm,
            gettext_lazy("Invia un modello approvato (WhatsApp)"),
            gettext_lazy("Invia il modello"),
            gettext_lazy("Inviare al cittadino il modello scelto?"),
            gettext_lazy("Modello messo in coda di invio al cittadino."),
            lambda t, d, u: actions.reply_with_template(
                t, d["name"], d["parameters"], actor=u, language=d["language"]
            ),
        ),
        Action(
            "callback",
            case_forms.CallbackForm,
            gettext_lazy("Prenota una richiamata"),
            gettext_lazy("Prenota la richiamata"),
            gettext_lazy("Prenotare la richiamata nella fascia scelta?"),
            gettext_lazy("Richiamata prenotata: è tra le richiamate del contact center."),
            lambda t, d, u: cc_actions.book_callback_for_case(t, d["slot"], actor=u),
        ),
        Action(
            "resend",
            case_forms.ResendForm,
            gettext_lazy("Reinvia la risposta"),
            gettext_lazy("Reinvia"),
            gettext_lazy("Inviare di nuovo la risposta al cittadino?"),
            gettext_lazy("Risposta rimessa in coda di invio."),
            lambda t, d, u: actions.resend_reply(t, d["message"], actor=u),
            inline=True,
        ),
        Action(
            "note",
            case_forms.NoteForm,
            gettext_lazy("Nota interna"),
            gettext_lazy("Aggiungi la nota"),
            gettext_lazy("Aggiungere la nota interna al caso?"),
            gettext_lazy("Nota aggiunta."),
            lambda t, d, u: actions.add_ticket_note(t, d["text"], actor=u),
        ),
        Action(
            "assign",
            case_forms.AssignForm,
            gettext_lazy("Assegna"),
            gettext_lazy("Assegna il caso"),
            gettext_lazy("Assegnare il caso?"),
            gettext_lazy("Caso assegnato."),
            lambda t, d, u: actions.assign_ticket(
                t, actor=u, assignee=d["assignee"], team=d["team"]
            ),
        ),
        Action(
            "escalate",
            case_forms.EscalateForm,
            gettext_lazy("Passa a un ufficio"),
            gettext_lazy("Passa all'ufficio"),
            gettext_lazy("Passare il caso all'ufficio scelto?"),
            gettext_lazy("Caso passato all'ufficio."),
            lambda t, d, u: actions.escalate_ticket(
                t, d["office"], actor=u, team=d["team"], note=d["note"]
            ),
        ),
        Action(
            "send_back",
            case_forms.SendBackForm,
            gettext_lazy("Restituisci al primo livello"),
            gettext_lazy("Restituisci"),
            gettext_lazy("Restituire il caso al primo livello?"),
            gettext_lazy("Caso restituito al primo livello."),
            lambda t, d, u: actions.send_back_ticket(t, actor=u, reason=d["reason"]),
        ),
        Action(
            "wait",
            case_forms.WaitForm,
            gettext_lazy("In attesa del cittadino"),
            gettext_lazy("Metti in attesa"),
            gettext_lazy("Mettere il caso in attesa del cittadino?"),
            gettext_lazy("Caso in attesa del cittadino."),
            lambda t, d, u: actions.wait_for_citizen(t, actor=u, question=d.get("question", "")),
        ),
        Action(
            "resolve",
            case_forms.ResolveForm,
            gettext_lazy("Risolvi"),
            gettext_lazy("Risolvi il caso"),
            gettext_lazy("Risolvere il caso con questa risoluzione?"),
            gettext_lazy("Caso risolto."),
            lambda t, d, u: actions.resolve_ticket(
                t, d["resolution"], actor=u, notify=d.get("notify") == case_forms.ResolveForm.SEND
            ),
        ),
        Action(
            "close",
            case_forms.CloseForm,
            gettext_lazy("Chiudi"),
            gettext_lazy("Chiudi il caso"),
            gettext_lazy("Chiudere il caso? Non sono previste altre lavorazioni."),
            gettext_lazy("Caso chiuso."),
            lambda t, d, u: actions.close_ticket(t, actor=u),
        ),
        Action(
            "reopen",
            case_forms.ReopenForm,
            gettext_lazy("Riapri"),
            gettext_lazy("Riapri il caso"),
            gettext_lazy("Riaprire il caso?"),
            gettext_lazy("Caso riaperto."),
            lambda t, d, u: actions.reopen_ticket(t, actor=u, reason=d["reason"]),
        ),
        Action(
            "cancel",
            case_forms.CancelForm,
            gettext_lazy("Annulla il caso"),
            gettext_lazy("Annulla il caso"),
            gettext_lazy("Annullare il caso? Un caso annullato non può più cambiare."),
            gettext_lazy("Caso annullato."),
            lambda t, d, u: actions.cancel_ticket(t, actor=u, reason=d["reason"]),
        ),
        Action(
            "merge",
            case_forms.MergeForm,
            gettext_lazy("Unisci con un duplicato"),
            gettext_lazy("Unisci i casi"),
            gettext_lazy("Unire i due casi? Il duplicato sarà chiuso."),
            gettext_lazy("Casi uniti."),
            _merge,
        ),
        Action(
            "tag",
            case_forms.TagForm,
            gettext_lazy("Etichette"),
            gettext_lazy("Aggiorna le etichette"),
            gettext_lazy("Aggiornare le etichette del caso?"),
            gettext_lazy("Etichette aggiornate."),
            _tag,
        ),
        Action(
            "campaign",
            case_forms.CampaignForm,
            gettext_lazy("Campagna"),
            gettext_lazy("Collega alla campagna"),
            gettext_lazy("Cambiare la campagna del caso?"),
            gettext_lazy("Campagna aggiornata."),
            lambda t, d, u: actions.link_campaign(t, d["campaign"], actor=u),
        ),
        Action(
            "classify",
            case_forms.ClassifyForm,
            gettext_lazy("Tema e tipo"),
            gettext_lazy("Aggiorna tema e tipo"),
            gettext_lazy("Cambiare tema e tipo del caso?"),
            gettext_lazy("Tema e tipo aggiornati."),
            lambda t, d, u: actions.classify_ticket(t, actor=u, theme=d["theme"], kind=d["kind"]),
        ),
    ]
}


# The actions of the composer under the thread, in the order of its panels.
COMPOSER = ("reply", "template", "note", "resolve")
# The case page's keys (outside a text field), for the page's help and docs/console.md.
SHORTCUTS = (
    ("r", gettext_lazy("scrivi la risposta al cittadino")),
    ("n", gettext_lazy("scrivi una nota interna")),
    ("s", gettext_lazy("risolvi il caso")),
    ("#", gettext_lazy("nel testo: inserisci un modello o un articolo")),
    ("Ctrl+Invio", gettext_lazy("nel testo: invia (con conferma)")),
)


# What the page shows of the case's relations. One query joining all eleven tables takes
# PostgreSQL longer to plan (10-20 ms on a busy machine: the plan search grows with every join
# past six) than all the page's other queries take to run. The case is found with the first
# group, the second is read by the case's key (each under 1 ms to plan); the campaign and the
# kept case of a merged duplicate, seldom set, are read only when set (no query when null).
# The theme's branch is for the citizen panel's contacts on its area and theme.
FOUND_WITH = ("channel", "theme__parent__parent", "office")
RELATED = ("sla_policy", "identity", "citizen", "team", "assignee")


def _case(request: HttpRequest, code: str) -> Ticket:
    ticket = access.get_visible_or_404(
        Ticket.objects.select_related(*FOUND_WITH), request.user, code=code
    )
    row = Ticket.objects.select_related(*RELATED).get(pk=ticket.pk)
    for name in RELATED:
        setattr(ticket, name, getattr(row, name))
    return ticket


def _reply_channel(ticket: Ticket) -> tuple[actions.ReplyRoute, str]:
    """Where a reply goes (`tickets.actions.reply_route`), and why it cannot ("" when it can)."""
    route = actions.reply_route(ticket)
    return route, route.refusal


def _clock(ticket: Ticket, now: datetime) -> dict[str, Any]:
    state = sla.sla_state(ticket.due_at, now, active=ticket.is_active())
    left = ""
    if ticket.due_at is not None and ticket.is_active():
        left = (
            timeuntil(ticket.due_at, now) if ticket.due_at >= now else timesince(ticket.due_at, now)
        )
    labels = {
        "none": _("nessuna scadenza attiva"),
        "on_time": _("nei tempi"),
        "due_soon": _("in scadenza entro 48 ore"),
        "breached": _("scaduto"),
    }
    badges = {
        "none": "secondary",
        "on_time": "success",
        "due_soon": "warning",
        "breached": "danger",
    }
    return {"state": state, "label": labels[state], "badge": badges[state], "left": left}


def _kind_label(value: str) -> str:
    return str(Ticket.Kind(value).label) if value in Ticket.Kind.values else value


def _status_label(value: str) -> str:
    return str(Ticket.Status(value).label) if value in Ticket.Status.values else value


def describe(event: TicketEvent) -> str:
    """What an event of the timeline says, in Italian."""
    data = event.data or {}
    kind, old, new = event.kind, event.from_value, event.to_value
    K = TicketEvent.Kind
    if kind == K.OPENED:
        return _("Caso aperto (%(status)s).") % {"status": _status_label(new)}
    if kind == K.MESSAGE:
        return _("Il cittadino ha scritto.")
    if kind == K.REPLIED:
        if data.get("resent"):
            return _("Risposta inviata di nuovo al cittadino.")
        return _("Risposta inviata al cittadino.")
    if kind == K.NOTE:
        return _("Nota interna aggiunta.")
    if kind == K.STATUS:
        text = _("Stato: da «%(old)s» a «%(new)s».") % {
            "old": _status_label(old),
            "new": _status_label(new),
        }
        if data.get("cause") == "merged":
            text += " " + _("(unito a un altro caso)")
        elif data.get("cause") == "first_contact":
            text += " " + _("(al primo contatto)")
        if data.get("reason"):
            text += " " + _("Motivo: %(reason)s") % {"reason": data["reason"]}
        return text
    if kind == K.ASSIGNED:
        return _("Assegnato a %(to)s.") % {"to": new or "—"}
    if kind == K.ESCALATED:
        text = _("Passato all'ufficio %(office)s.") % {"office": new}
        if data.get("note"):
            text += " " + _("Nota: %(note)s") % {"note": data["note"]}
        return text
    if kind == K.SENT_BACK:
        text = _("Restituito al primo livello da %(office)s.") % {"office": old or "—"}
        if data.get("reason"):
            text += " " + _("Motivo: %(reason)s") % {"reason": data["reason"]}
        return text
    if kind == K.THEME:
        return _("Tema: da «%(old)s» a «%(new)s».") % {"old": old or "—", "new": new}
    if kind == K.KIND:
        return _("Tipo: da «%(old)s» a «%(new)s».") % {
            "old": _kind_label(old),
            "new": _kind_label(new),
        }
    if kind == K.TAGGED:
        parts = []
        if data.get("added"):
            parts.append(_("aggiunte %(tags)s") % {"tags": ", ".join(data["added"])})
        if data.get("removed"):
            parts.append(_("tolte %(tags)s") % {"tags": ", ".join(data["removed"])})
        return _("Etichette: %(changes)s.") % {"changes": "; ".join(parts)}
    if kind == K.CAMPAIGN:
        if not new:
            return _("Scollegato dalla campagna %(old)s.") % {"old": old}
        return _("Collegato alla campagna %(new)s.") % {"new": new}
    if kind == K.MERGED:
        if new:
            return _("Unito al caso %(code)s.") % {"code": new}
        return _("Il caso %(code)s è stato unito a questo.") % {"code": old}
    if kind == K.CITIZEN:
        return _("Cittadino cambiato (schede unite).")
    if kind == K.SLA_BREACHED:
        return _("Scadenza superata.")
    return str(event.get_kind_display())


def _panels(
    ticket: Ticket,
    user: Any,
    route: actions.ReplyRoute,
    failed: tuple[str, case_forms.CaseActionForm] | None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The actions offered on this case (with their forms) and the ones that are not, with why."""
    offered: list[dict[str, Any]] = []
    refused: list[dict[str, Any]] = []
    reply_refusal = route.refusal
    can_reply = not reply_refusal
    for action in ACTIONS.values():
        if action.inline:
            continue
        if action.name == "callback":
            # The answer to a call that cannot be answered by email; not offered elsewhere.
            if not route.is_phone or route.by_email:
                continue
            reason = cc_actions.case_callback_refusal(
                ticket, slots=cc_actions.free_callback_slots()
            )
        elif action.name == "template":
            # WhatsApp's way to write once the 24-hour window is closed; not offered elsewhere.
            if route.window is None or not route.window.needs_template:
                continue
            reason = actions.action_refusal(ticket, action.name)
            if not reason and not route.templates:
                reason = _(
                    "nessun modello approvato è configurato per questo numero WhatsApp: "
                    "chiedi all'amministratore di aggiungerne"
                )
        else:
            reason = actions.action_refusal(ticket, action.name)
        if not reason and action.name == "reply" and reply_refusal:
            reason = reply_refusal
        if failed is not None and failed[0] == action.name:
            # The refused attempt stays on the page, open, with what was typed.
            form, is_open = failed[1], True
        elif reason:
            refused.append({"action": action, "reason": reason})
            continue
        else:
            form = action.form(ticket=ticket, user=user, can_reply=can_reply, route=route)
            is_open = False
        offered.append({"action": action, "form": form, "open": is_open})
    return offered, refused


def _render_case(
    request: HttpRequest,
    ticket: Ticket,
    *,
    failed: tuple[str, case_forms.CaseActionForm] | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    route, reply_refusal = _reply_channel(ticket)
    offered, refused = _panels(ticket, request.user, route, failed)
    # The composer under the thread holds the ways to write (reply, template, note, resolve);
    # the other actions are a compact menu beside it. One of the composer's panels is open.
    composer = [panel for panel in offered if panel["action"].name in COMPOSER]
    others = [panel for panel in offered if panel["action"].name not in COMPOSER]
    if composer and not any(panel["open"] for panel in composer):
        composer[0]["open"] = True
    thread = list(
        ticket.thread()
        .select_related("channel", "author", "conversation__identity")
        .order_by("sent_at", "pk")
    )
    events = [
        {"event": event, "text": describe(event)}
        for event in ticket.events.select_related("actor").order_by("at", "pk")
    ]
    context = {
        "title": _("Caso %(code)s") % {"code": ticket.code},
        "nav": "inbox",
        "ticket": ticket,
        "tags": list(ticket.tags.all()),
        "thread": thread,
        "events": events,
        "clock": _clock(ticket, now),
        "history": citizen_history.citizen_history(ticket, request.user, now),
        "reply_route": route,
        "reply_conversation": route.conversation,
        "reply_refusal": reply_refusal,
        "attachments_refusal": route.attachments_refusal,
        "offered": offered,
        "composer": composer,
        "other_actions": others,
        "shortcuts": SHORTCUTS,
        "presence": actions.note_presence(ticket, request.user, typing=False),  # type: ignore[arg-type]
        "refused": refused,
        "error": error,
        "failed_action": ACTIONS[failed[0]] if failed else None,
        # The kept case of a merged duplicate is linked only for those who may open it.
        "parent_visible": ticket.parent is not None
        and access.may_see_office(request.user, ticket.parent.office),
        "failed_replies": [
            m
            for m in thread
            if m.direction == Message.Direction.OUTBOUND and m.status == Message.Status.FAILED
        ],
        "resend": ACTIONS["resend"],
    }
    access_log.seen(
        request,
        access_log.Purpose.CASE,
        "ticket",
        objects=[ticket.code],
        citizens=[ticket.citizen_id],
        shown="thread, timeline, citizen panel",
    )
    return render(request, "web/console/case/page.html", context, status=status)


@require_GET
@access.require(access.handles_cases)
def case_page(request: HttpRequest, code: str) -> HttpResponse:
    ticket = _case(request, code)
    # An operator sees the citizen's messages: WhatsApp's read receipts go out (outbox).
    actions.mark_case_seen(ticket)
    return _render_case(request, ticket)


@require_POST
@access.require(access.handles_cases)
def case_action(request: HttpRequest, code: str, name: str) -> HttpResponse:
    ticket = _case(request, code)
    action = ACTIONS.get(name)
    if action is None:
        raise Http404("no such action")
    route, reply_refusal = _reply_channel(ticket)
    form = action.form(
        request.POST,
        request.FILES,
        ticket=ticket,
        user=request.user,
        can_reply=not reply_refusal,
        route=route,
    )
    if not form.is_valid():
        message = _("Controlla i dati inseriti: «%(action)s» non è stato eseguito.") % {
            "action": action.title
        }
        return _render_case(request, ticket, failed=(name, form), error=message, status=400)
    if not form.cleaned_data.get("confirmed"):
        return _confirm(request, ticket, action, form)
    # The files attached now are written first, then the reply that names them; if it is not
    # stored, they are removed (those kept for the confirmation page are left to the sweep).
    fresh: tuple[Attachment, ...] = ()
    try:
        if form.cleaned_data.get("attachments"):
            fresh = reply_files.store(form.cleaned_data["attachments"])
        if "attachments" in form.cleaned_data:
            form.cleaned_data["files"] = [*(form.cleaned_data.get("staged") or ()), *fresh]
        action.run(ticket, form.cleaned_data, request.user)  # type: ignore[arg-type]
    except DomainError as exc:
        reply_files.remove(fresh)
        text = exc.message
        form.add_error(None, text)
        message = _("«%(action)s» non è stato eseguito: %(reason)s") % {
            "action": action.title,
            "reason": text,
        }
        ticket = _case(request, code)
        return _render_case(request, ticket, failed=(name, form), error=message, status=400)
    except BaseException:
        reply_files.remove(fresh)
        raise
    messages.success(request, str(action.done))
    target = ticket
    if name == "merge" and form.cleaned_data["keep"] == case_forms.MergeForm.KEEP_OTHER:
        target = form.cleaned_data["code"]
    if not access.visible(Ticket.objects.filter(pk=target.pk), request.user).exists():
        # Sent back or passed to an office out of this operator's scope: the case left their
        # queue, and its page would answer 404.
        return redirect("console:inbox")
    return redirect(reverse("console:case", args=[target.code]))


def _confirm(
    request: HttpRequest, ticket: Ticket, action: Action, form: case_forms.CaseActionForm
) -> HttpResponse:
    """The confirmation step: what will be done, and the same data posted again, confirmed.
    Files cannot be posted again from a page: those attached are checked and kept now, and the
    confirmation posts their signed list (`staged`) instead."""
    summary = []
    kept: list[Attachment] = list(form.cleaned_data.get("staged") or ())
    if form.cleaned_data.get("attachments"):
        try:
            kept += reply_files.store(form.cleaned_data["attachments"])
        except DomainError as exc:
            form.add_error("attachments", exc.message)
            error = _("«%(action)s» non è stato eseguito: %(reason)s") % {
                "action": action.title,
                "reason": exc.message,
            }
            return _render_case(
                request, ticket, failed=(action.name, form), error=error, status=400
            )
    for bound in form:
        if bound.is_hidden or bound.name == "attachments":
            continue
        value: Any = form.cleaned_data.get(bound.name)
        if value in (None, "", [], False) or (hasattr(value, "exists") and not value.exists()):
            continue
        if bound.name == "code" and isinstance(value, Ticket):
            shown = value.code
        elif isinstance(value, bool):
            shown = _("sì")
        elif bound.name in ("keep", "notify"):
            shown = str(dict(bound.field.choices).get(value, value))  # type: ignore[attr-defined]
        elif bound.name == "kind":
            shown = _kind_label(str(value))
        elif bound.name == "add":
            shown = ", ".join(value)
        elif hasattr(value, "all"):
            shown = ", ".join(str(v) for v in value.all())
        else:
            shown = str(value)
        summary.append({"label": bound.label, "value": shown})
    if kept:
        summary.append(
            {
                "label": _("Allegati"),
                "value": "\n".join(f"{f.name} ({filesizeformat(f.size)})" for f in kept),
            }
        )
    hidden = [
        (key, value)
        for key, values in request.POST.lists()
        if key not in ("csrfmiddlewaretoken", "confirmed", "staged")
        for value in values
    ]
    if kept:
        hidden.append(("staged", case_forms.staged_token(ticket, request.user, kept)))
    context = {
        "title": action.question,
        "nav": "inbox",
        "ticket": ticket,
        "action": action,
        "summary": summary,
        "hidden": hidden,
    }
    return render(request, "web/console/case/confirm.html", context)


@require_GET
@access.require(access.handles_cases)
def snippets(request: HttpRequest, code: str) -> JsonResponse:
    """Articles and reply templates matching `q`, their text filled with this case's values (the
    composer's `#` search). JSON: {"results": [{"title", "summary", "text", "internal",
    "article"}]}; `article` is the article opened beside the case (with "this answer helped")."""
    ticket = _case(request, code)
    query = request.GET.get("q", "")[:100]
    found = knowledge_actions.search_articles(query, limit=6)
    results = [
        {
            "title": article.title,
            "summary": article.summary,
            "text": placeholders.fill(article.body, ticket),
            "internal": article.audience == article.Audience.INTERNAL,
            "article": reverse("console:knowledge-article", args=[article.slug])
            + f"?fragment=1&case={ticket.code}",
        }
        for article in found
    ]
    return JsonResponse({"results": results})


@require_POST
@access.require(access.handles_cases)
def presence(request: HttpRequest, code: str) -> HttpResponse:
    """The page's short poll: this user is on the case (writing, with `typing=1`); the answer is
    the collision warning listing the others on it now. `left=1` is the page's goodbye (sent as
    it is closed or left): this user's row goes."""
    ticket = _case(request, code)
    if request.POST.get("left") == "1":
        actions.leave_case(ticket, request.user)  # type: ignore[arg-type]
        return HttpResponse(status=204)
    others = actions.note_presence(
        ticket,
        request.user,  # type: ignore[arg-type]
        typing=request.POST.get("typing") == "1",
    )
    return render(request, "web/console/case/_presence.html", {"others": others})


@access.require(access.handles_cases)
@require_GET
def attachment(request: HttpRequest, code: str, message_id: int, index: int) -> HttpResponseBase:
    """A file a citizen attached to a message of this case, for staff who may see the case.

    Stored attachments have no public URL (they are personal data); this view checks the case's
    scope like the case page, then streams the file as a download.
    """
    ticket = _case(request, code)
    message = ticket.thread().filter(pk=message_id).first()
    if message is None or not 0 <= index < len(message.attachments):
        raise Http404("no such attachment")
    item = message.attachments[index]
    url = str(item.get("url") or "")
    if not url.startswith(STORED):
        raise Http404("this attachment is not stored here")
    name = url.removeprefix(STORED)
    if not default_storage.exists(name):
        raise Http404("the file is missing from the storage")
    access_log.seen(
        request,
        access_log.Purpose.ATTACHMENT,
        "attachment",
        objects=[f"{ticket.code}/{message.pk}/{index}"],
        citizens=[ticket.citizen_id],
        shown=str(item.get("content_type") or "")[:100],
    )
    return file_download(
        default_storage.open(name, "rb"),
        str(item.get("name") or "allegato"),
        str(item.get("content_type") or "application/octet-stream"),
    )


urlpatterns: list[URLPattern] = [
    path("cases/<str:code>/", case_page, name="case"),
    path(
        "cases/<str:code>/attachments/<int:message_id>/<int:index>/",
        attachment,
        name="case-attachment",
    ),
    path("cases/<str:code>/snippets/", snippets, name="case-snippets"),
    path("cases/<str:code>/presence/", presence, name="case-presence"),
    path("cases/<str:code>/<slug:name>/", case_action, name="case-action"),
]
