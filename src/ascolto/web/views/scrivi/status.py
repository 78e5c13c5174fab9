"""Scrivi: the status of a request by its tracking code.

The page shows what the code alone may reveal: kind, theme, dates, status and the replies sent to
the citizen. Never a name, an address, a phone number, nor the citizen's own text (all personal),
nor internal notes; a reply that quotes the citizen's email, phone, fiscal code or full name shows
`[…]` in their place (`without_contacts`). Lookups are rate limited per address, per code and
per miss (`_lookup_wait`): codes are 60 random bits (`tickets.codes`), and a guesser also runs
out of misses long before finding one. A request still waiting in the intake queue shows as
received.

A case waiting for the citizen offers a reply box, but only to whoever opens the page with the
link the question's mail carried (`tickets.answers`: a signed token, `?risposta=`); the code
alone never lets anyone write into a case. The answer has the Scrivi form's limits, attachments
and rate limit, and goes through the intake queue like a Scrivi request (`actions.accept_answer`).
The page shows nothing more of the case with the token than without it.

The files the municipality attached to a reply are listed with it and downloaded through
`reply_file`, which serves only a reply's file of the case whose code is in the address (the
code is what lets anyone read the reply itself): never the citizen's own files, never another
case's.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from ascolto.channels import queue
from ascolto.channels.inbound import STORED, from_json
from ascolto.channels.models import Channel, Message, PendingInbound
from ascolto.core.downloads import file_download
from ascolto.core.errors import DomainError, InvalidInput
from ascolto.surveys.invitations import status_page_invitation
from ascolto.surveys.tokens import invitation_path
from ascolto.tickets import actions, answers, codes, sla
from ascolto.tickets.disclosure import contacts_pattern, without_contacts
from ascolto.tickets.models import Theme, Ticket
from ascolto.tickets.routing import route
from ascolto.web.forms.scrivi import KIND_CHOICES, AnswerForm, CodeForm
from ascolto.web.views.scrivi.protection import Rule, limited, too_many, with_retry_after
from ascolto.web.views.scrivi.request import (
    form_rules,
    remove_attachments,
    store_attachments,
    submission_id,
    submission_token,
)

logger = logging.getLogger(__name__)

# Lookups of a code: generous per address (a NAT, a kiosk), tighter per code (one case's page
# read over and over), and few misses per address: a guesser misses nearly every time, a
# citizen who mistyped a code a few times; past the misses, every lookup of that address waits.
STATUS_LIMIT = ("ASCOLTO_STATUS_RATE_LIMIT", "300/h")
STATUS_CODE_LIMIT = ("ASCOLTO_STATUS_CODE_RATE_LIMIT", "60/h")
STATUS_MISS_LIMIT = ("ASCOLTO_STATUS_MISS_RATE_LIMIT", "20/h")
# Answers to a question of the municipality, per case (on top of the form's own limits).
ANSWER_CODE_LIMIT = ("ASCOLTO_ANSWER_CODE_RATE_LIMIT", "10/h")


def _lookup_wait(request: HttpRequest, code: str) -> int | None:
    """Count a lookup of `code` from this address; the seconds to wait when past a limit."""
    return limited(
        request,
        "status",
        [
            Rule(*STATUS_MISS_LIMIT, count=False, scope="status-miss"),
            Rule(*STATUS_LIMIT),
            Rule(*STATUS_CODE_LIMIT, key=f"code:{code}"),
        ],
    )


def _missed(request: HttpRequest) -> None:
    limited(request, "status", [Rule(*STATUS_MISS_LIMIT, scope="status-miss")])


Status = Ticket.Status

# What each status means to the citizen.
CITIZEN_STATUS = {
    "received": gettext_lazy("Ricevuta"),
    Status.NEW: gettext_lazy("Ricevuta"),
    Status.OPEN: gettext_lazy("In lavorazione"),
    Status.OFFICE: gettext_lazy("In lavorazione presso l'ufficio competente"),
    Status.WAITING: gettext_lazy("In attesa di una tua risposta"),
    Status.RESOLVED: gettext_lazy("Risolta"),
    Status.CLOSED: gettext_lazy("Chiusa"),
    Status.CANCELLED: gettext_lazy("Annullata"),
}


@dataclass(frozen=True)
class ReplyFile:
    """A file the municipality attached to a reply: downloaded from this page (`reply_file`)."""

    message: int
    index: int
    name: str
    size: int


@dataclass(frozen=True)
class Reply:
    """A reply sent to the citizen; its subject is left out (it quotes the citizen's text)."""

    sent_at: datetime
    text: str
    files: tuple[ReplyFile, ...] = ()


def _files(message: Message) -> tuple[ReplyFile, ...]:
    return tuple(
        ReplyFile(message.pk, index, str(item.get("name") or ""), int(item.get("size") or 0))
        for index, item in enumerate(message.attachments or ())
        if str(item.get("url") or "").startswith(STORED)
    )


@dataclass(frozen=True)
class Summary:
    """Everything the status page shows of one request."""

    code: str
    status: str
    status_label: str
    kind: str
    theme: str
    received_at: datetime
    due_at: datetime | None
    resolved_at: datetime | None
    replies: list[Reply]


def _kind_label(kind: str) -> str:
    labels = dict(KIND_CHOICES)
    if kind in labels:
        return str(labels[kind])
    return str(Ticket.Kind(kind).label) if kind in Ticket.Kind.values else ""


def _from_ticket(ticket: Ticket) -> Summary:
    contacts = contacts_pattern(ticket)
    replies = [
        Reply(m.sent_at, without_contacts(m.text, contacts), _files(m))
        for m in Message.objects.filter(
            conversation__tickets=ticket, direction=Message.Direction.OUTBOUND
        )
        .order_by("sent_at", "pk")
        .distinct()
    ]
    return Summary(
        code=ticket.code,
        status=ticket.status,
        status_label=str(CITIZEN_STATUS.get(ticket.status, ticket.get_status_display())),
        kind=_kind_label(ticket.kind),
        theme=ticket.theme.name if ticket.theme else "",
        received_at=ticket.created_at,
        due_at=ticket.due_at,
        resolved_at=ticket.resolved_at,
        replies=replies,
    )


def _from_queue(row: PendingInbound) -> Summary:
    """A request accepted and not yet taken in: received, with the date the SLA promises."""
    inbound = from_json(row.payload)
    theme = Theme.objects.filter(code=inbound.hints.theme).first() if inbound.hints.theme else None
    kind = inbound.hints.kind or Ticket.Kind.INFORMATION
    due: datetime | None = None
    channel = Channel.objects.filter(code=row.channel).first()
    if channel is not None:
        due = sla.promised_due_at(route(channel.kind, theme, kind).sla_policy, row.accepted_at)
    return Summary(
        code=row.code,
        status="received",
        status_label=str(CITIZEN_STATUS["received"]),
        kind=_kind_label(kind),
        theme=theme.name if theme else "",
        received_at=row.accepted_at,
        due_at=due,
        resolved_at=None,
        replies=[],
    )


def find(code: str) -> Summary | None:
    """The summary of the request with this code, or None."""
    ticket = Ticket.objects.select_related("theme").filter(code=code).first()
    if ticket is not None:
        return _from_ticket(ticket)
    row = PendingInbound.objects.filter(code=code, processed_at__isnull=True).first()
    return _from_queue(row) if row is not None else None


@require_GET
def lookup(request: HttpRequest) -> HttpResponse:
    """The form asking for the code; a valid code leads to its status page."""
    form = CodeForm(request.GET or None)
    if form.is_bound and form.is_valid():
        url = reverse("scrivi:status", args=[form.cleaned_data["codice"]])
        return HttpResponseRedirect(url)
    return render(
        request,
        "web/scrivi/lookup.html",
        {"title": _("Segui la tua richiesta"), "form": form},
        status=400 if form.is_bound else 200,
    )


@require_GET
def status(request: HttpRequest, code: str) -> HttpResponse:
    normalised = codes.normalise_code(code)
    wait = _lookup_wait(request, normalised[:20])
    if wait is not None:
        return too_many(request, wait)
    summary = find(normalised) if codes.is_code(normalised) else None
    if summary is None:
        _missed(request)
        return _not_found(request, code)
    token = request.GET.get(answers.PARAMETER, "")[:1000]
    if not token:
        return _page(request, summary)
    try:
        target = answers.check_answer_token(summary.code, token)
    except InvalidInput as exc:
        return _page(request, summary, answer_error=exc.message)
    form = AnswerForm(kind=target.ticket.kind)
    return _page(request, summary, form=form, token=token, submission=submission_token())


def _not_found(request: HttpRequest, code: str) -> HttpResponse:
    return render(
        request,
        "web/scrivi/lookup.html",
        {
            "title": _("Richiesta non trovata"),
            "form": CodeForm(initial={"codice": code[:40]}),
            "not_found": True,
        },
        status=404,
    )


def _page(request: HttpRequest, summary: Summary, status: int = 200, **extra: Any) -> HttpResponse:
    # A resolved Scrivi request invited to a survey shows the link while it may be answered.
    invitation = (
        status_page_invitation(summary.code)
        if summary.status in (Status.RESOLVED, Status.CLOSED)
        else None
    )
    return render(
        request,
        "web/scrivi/status.html",
        {
            "title": _("Stato della richiesta %(code)s") % {"code": summary.code},
            "s": summary,
            "survey_url": invitation_path(invitation) if invitation is not None else "",
            **extra,
        },
        status=status,
    )


@require_POST
def answer(request: HttpRequest, code: str) -> HttpResponse:
    """The citizen's answer from the status page's reply box: the token of the link sent by
    email is checked again, then the answer is accepted into the intake queue. A refused answer
    shows the page again with the reason, and with what was typed."""
    normalised = codes.normalise_code(code)
    wait = _lookup_wait(request, normalised[:20])
    if wait is not None:
        return too_many(request, wait)
    summary = find(normalised) if codes.is_code(normalised) else None
    if summary is None:
        _missed(request)
        return _not_found(request, code)
    token = request.POST.get("token", "")[:1000]
    submission_raw = request.POST.get("submission", "")[:200]
    submission = submission_id(submission_raw)
    ticket = Ticket.objects.filter(code=summary.code).only("kind").first()
    form = AnswerForm(request.POST, request.FILES, kind=ticket.kind if ticket else "")
    context: dict[str, Any] = {"form": form, "token": token, "submission": submission_raw}

    def again(error: str, status: int) -> HttpResponse:
        return _page(request, summary, status, answer_error=error, **context)

    rules = [*form_rules(request, "scrivi-answer"), Rule(*ANSWER_CODE_LIMIT, key=summary.code)]
    wait = limited(request, "scrivi-answer", rules)
    if wait is not None:
        page = again(
            _(
                "Hai inviato troppe risposte in poco tempo. Riprova più tardi: quello che hai "
                "scritto è ancora qui."
            ),
            429,
        )
        return with_retry_after(page, wait)
    external_id = f"answer-{uuid.UUID(hex=submission) if submission else uuid.uuid4()}"
    try:
        answers.check_answer_token(summary.code, token)
    except InvalidInput as exc:
        if submission and PendingInbound.objects.filter(external_id=external_id).exists():
            # This form was sent before (a double click) and its answer already put the case
            # back to work: the first one stands.
            return _answered(request, summary.code)
        # Nothing to answer here: no form, only the reason.
        return _page(request, summary, 403, answer_error=exc.message)
    if submission is None:
        context["submission"] = submission_token()
        return again(
            _(
                "Il modulo è scaduto o non è valido: invia di nuovo la risposta. Quello che hai "
                "scritto è ancora qui."
            ),
            400,
        )
    if not form.is_valid():
        return _page(request, summary, 400, **context)
    stored = store_attachments(form.cleaned_data["attachments"])
    text = form.cleaned_data["text"]
    try:
        try:
            actions.accept_answer(
                summary.code, token, text, external_id=external_id, attachments=stored
            )
        except queue.AlreadyAccepted as earlier:
            if earlier.same:
                raise
            # Sent, then changed and sent again (the browser's Back): a second answer.
            fresh = f"answer-{uuid.uuid4()}"
            actions.accept_answer(summary.code, token, text, external_id=fresh, attachments=stored)
    except queue.AlreadyAccepted:
        remove_attachments(stored)  # the same answer sent twice: the first one stands
    except DomainError as exc:
        remove_attachments(stored)
        logger.warning("scrivi: answer refused (%s)", exc.field)
        return again(
            exc.message
            if exc.field == "token"
            else _("La risposta non è stata registrata: riprova."),
            409,
        )
    except BaseException:
        remove_attachments(stored)
        raise
    return _answered(request, summary.code)


@require_GET
def reply_file(request: HttpRequest, code: str, message_id: int, index: int) -> HttpResponseBase:
    """A file the municipality attached to a reply of this request, for whoever holds its code
    (who reads the reply on this page): only a reply of the case with that code, never a file
    the citizen sent nor one of another case; 404 otherwise, alike whether it exists or not."""
    normalised = codes.normalise_code(code)
    wait = _lookup_wait(request, normalised[:20])
    if wait is not None:
        return too_many(request, wait)
    ticket = (
        Ticket.objects.filter(code=normalised).only("pk").first()
        if codes.is_code(normalised)
        else None
    )
    if ticket is None:
        _missed(request)
    message = (
        Message.objects.filter(
            pk=message_id, conversation__tickets=ticket, direction=Message.Direction.OUTBOUND
        ).first()
        if ticket is not None
        else None
    )
    if message is None or not 0 <= index < len(message.attachments or ()):
        raise Http404("no such file")
    item = message.attachments[index]
    url = str(item.get("url") or "")
    if not url.startswith(STORED) or not default_storage.exists(url.removeprefix(STORED)):
        raise Http404("no such file")
    return file_download(
        default_storage.open(url.removeprefix(STORED), "rb"),
        str(item.get("name") or "allegato"),
        str(item.get("content_type") or "application/octet-stream"),
    )


def _answered(request: HttpRequest, code: str) -> HttpResponse:
    messages.success(
        request, _("Grazie: la tua risposta è stata inviata e la pratica torna in lavorazione.")
    )
    return HttpResponseRedirect(reverse("scrivi:status", args=[code]), status=303)


urlpatterns: list[URLPattern] = [
    path("pratica/", lookup, name="lookup"),
    path("pratica/<str:code>/", status, name="status"),
    path("pratica/<str:code>/rispondi/", answer, name="answer"),
    path(
        "pratica/<str:code>/allegati/<int:message_id>/<int:index>/", reply_file, name="reply-file"
    ),
]
