"""Cases through the API: open one as a channel does, read, list with the inbox's filters, and
the workflow's actions.

    POST /cases                      open a case (through intake; 202 with its tracking code)
    GET  /cases                      the cases in scope, newest first, the inbox's filters
    GET  /cases/{code}               one case
    GET  /cases/{code}/events        its history
    GET  /cases/{code}/messages      its messages (inbound, replies, notes)
    GET  /cases/{code}/messages/{id}/attachments/{index}   a stored file of a message
    POST /cases/{code}/reply|note|assign|escalate|send-back|wait|resolve|close|reopen|cancel

Every operation is a thin caller: `tickets.inbox` filters the list, `tickets.actions` does the
work (with its guards: a move the case does not allow is a 409 `invalid-transition`), the
scope is `core.access`'s (`api.auth.Caller.visible`), and every read of personal data is one
record of the access log (purpose "API").
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.params.functions import Query as QueryParam
from pydantic import AwareDatetime, Field, ValidationInfo, field_validator

from ascolto.api import idempotency
from ascolto.api.auth import Caller, caller, scoped
from ascolto.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, page
from ascolto.api.problems import Problem
from ascolto.api.submissions import Submission, submit
from ascolto.audit.actions import record_access
from ascolto.audit.models import AccessRecord
from ascolto.channels.inbound import STORED
from ascolto.channels.models import Channel, Message
from ascolto.citizens.sender import Sender
from ascolto.core.downloads import file_download
from ascolto.core.errors import InvalidInput, NotFound
from ascolto.organisation.models import Office, Team, User
from ascolto.tickets import actions, inbox
from ascolto.tickets.models import Campaign, Tag, Theme, Ticket, TicketEvent

router = Router(tags=["cases"])

READ = scoped("cases:read")
WRITE = scoped("cases:write")
ERRORS: dict[int, Any] = {400: Problem, 401: Problem, 403: Problem, 404: Problem, 429: Problem}
WRITE_ERRORS: dict[int, Any] = {**ERRORS, 409: Problem, 422: Problem}

Kinds = Literal[
    "information",
    "verification",
    "suggestion",
    "complaint",
    "disservice",
    "appointment",
    "callback",
]
Statuses = Literal["new", "open", "office", "waiting", "resolved", "closed", "cancelled"]
CODE = "AB12CD34EF56"
R = TypeVar("R")


# --- Schemas --------------------------------------------------------------------------------


class SenderIn(Schema):
    first_name: str = Field("", max_length=100, examples=["Chiara"])
    last_name: str = Field("", max_length=100, examples=["Fontana"])
    email: str = Field("", max_length=254, examples=["chiara.fontana@example.it"])
    phone: str = Field("", max_length=30, examples=["+39 347 555 0101"])
    fiscal_code: str = Field("", max_length=16, examples=["FNTCHR85M41F205W"])


class CaseIn(Schema):
    """A citizen's request relayed by a system (the portal, an app): at least an email or a
    phone of the citizen, so the city can answer."""

    text: str = Field(
        min_length=1, max_length=20_000, examples=["Il lampione di via Roma 12 è spento."]
    )
    subject: str = Field("", max_length=255, examples=["Lampione spento"])
    kind: Kinds | Literal[""] = Field("", examples=["disservice"])
    theme: str = Field("", max_length=64, examples=["illuminazione"])
    place: str = Field("", max_length=255, examples=["Via Roma 12"])
    external_id: str = Field(
        "",
        max_length=150,
        description="The request's id in the sending system: sent twice, it is stored once.",
        examples=["portale-2026-000123"],
    )
    sender: SenderIn


class CaseAccepted(Schema):
    code: str = Field(examples=[CODE])
    status: Literal["queued", "accepted"] = Field(examples=["queued"])
    url: str = Field(examples=[f"/api/v1/cases/{CODE}"])


class CaseOut(Schema):
    code: str = Field(examples=[CODE])
    kind: str = Field(examples=["complaint"])
    status: str = Field(examples=["open"])
    level: int = Field(examples=[1])
    channel: str = Field(examples=["scrivi"])
    theme: str | None = Field(examples=["tari"])
    office: str | None = Field(examples=["tributi"])
    team: str | None = Field(examples=[None])
    assignee: str | None = Field(examples=["g.verdi"])
    citizen_id: int | None = Field(examples=[42])
    subject: str = Field(examples=["Avviso TARI"])
    description: str = Field(examples=["L'avviso TARI non mi è arrivato."])
    place: str = Field(examples=[""])
    resolution: str = Field(examples=[""])
    due_at: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime


class CasePage(Schema):
    items: list[CaseOut]
    next_cursor: str | None = Field(examples=["WyIyMDI2LTEyLTAxVDA5OjAwOjAwKzAwOjAwIiwxMjNd"])


class EventOut(Schema):
    id: int = Field(examples=[1])
    kind: str = Field(examples=["status"])
    at: datetime
    actor: str | None = Field(examples=["g.verdi"])
    system: str | None = Field(
        description="The external system that made the change through the API, when no "
        "operator did (its token's name).",
        examples=[None],
    )
    from_value: str = Field(examples=["new"])
    to_value: str = Field(examples=["open"])
    data: dict[str, Any] = Field(examples=[{}])


class EventPage(Schema):
    items: list[EventOut]
    next_cursor: str | None


class AttachmentOut(Schema):
    index: int = Field(examples=[0])
    name: str = Field(examples=["foto.jpg"])
    content_type: str = Field(examples=["image/jpeg"])
    size: int = Field(examples=[120_000])
    url: str | None = Field(examples=[f"/api/v1/cases/{CODE}/messages/7/attachments/0"])


class MessageOut(Schema):
    id: int = Field(examples=[7])
    direction: str = Field(examples=["inbound"])
    channel: str = Field(examples=["scrivi"])
    author: str | None = Field(
        description="The operator who wrote a reply or a note (a username).", examples=[None]
    )
    system: str | None = Field(
        description="The external system that wrote the reply or the note through the API, "
        "when no operator did (its token's name), as in a case's events.",
        examples=["Portale"],
    )
    subject: str = Field(examples=[""])
    text: str = Field(examples=["Buongiorno, l'avviso non è arrivato."])
    status: str = Field(examples=["received"])
    sent_at: datetime
    attachments: list[AttachmentOut]


class MessagePage(Schema):
    items: list[MessageOut]
    next_cursor: str | None


class TextIn(Schema):
    text: str = Field(min_length=1, max_length=20_000, examples=["Gentile signora, …"])


class AssignIn(Schema):
    assignee: str | None = Field(None, max_length=150, examples=["g.verdi"])
    team: str | None = Field(None, max_length=64, examples=["tari-back-office"])


class EscalateIn(Schema):
    office: str = Field(max_length=64, examples=["tributi"])
    team: str | None = Field(None, max_length=64, examples=[None])
    note: str = Field("", max_length=20_000, examples=["Serve la verifica dell'ufficio."])


class SendBackIn(Schema):
    reason: str = Field(min_length=1, max_length=2000, examples=["Non di competenza."])
    office: str | None = Field(None, max_length=64, examples=[None])


class WaitIn(Schema):
    question: str = Field("", max_length=20_000, examples=["Può indicarci il numero civico?"])


class ResolveIn(Schema):
    resolution: str = Field(min_length=1, max_length=20_000, examples=["Avviso inviato di nuovo."])
    notify: bool = Field(False, examples=[True])


class ReasonIn(Schema):
    reason: str = Field("", max_length=2000, examples=["Il cittadino ha scritto di nuovo."])


class CaseFilters(Schema):
    status: Statuses | Literal["active", "all"] = Field("all", examples=["active"])
    kind: Kinds | None = None
    channel: str | None = Field(None, max_length=64, description="A channel's code.")
    theme: str | None = Field(None, max_length=64, description="A theme's code (and below).")
    office: str | None = Field(None, max_length=64, description="An office's code (and below).")
    team: str | None = Field(None, max_length=64, description="A team's code.")
    assignee: str | None = Field(
        None, max_length=150, description="A username, or 'none' for unassigned cases."
    )
    campaign: str | None = Field(None, max_length=64, description="A campaign's code.")
    tag: str | None = Field(None, max_length=100, description="A tag's code (slug).")
    sla: Literal["on_time", "due_soon", "breached"] | None = None
    q: str | None = Field(None, max_length=200, description="Words of the text, or a code.")
    updated_since: AwareDatetime | None = Field(
        None,
        description="Cases whose last change (`updated_at`) is at or after this time: ISO 8601 "
        "with its offset. To follow the changes, walk every page, then ask again from the time "
        "of your previous walk's first request, less a few seconds.",
        examples=["2026-12-01T09:00:00+01:00"],
    )
    opened_since: AwareDatetime | None = Field(
        None,
        description="Cases opened (`created_at`) at or after this time (ISO 8601, with offset).",
        examples=["2026-11-01T00:00:00+01:00"],
    )
    opened_until: AwareDatetime | None = Field(
        None,
        description="Cases opened before this time (ISO 8601, with offset; not included).",
        examples=["2026-12-01T00:00:00+01:00"],
    )
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(None, max_length=200)

    @field_validator("updated_since", "opened_since", "opened_until")
    @classmethod
    def _in_range(cls, value: datetime | None) -> datetime | None:
        """A time the database can hold: in UTC, still within years 1 to 9999."""
        if value is None:
            return None
        try:
            return value.astimezone(UTC)
        except OverflowError:
            raise ValueError(_("La data è fuori dall'intervallo ammesso (anni 1-9999).")) from None

    @field_validator("opened_until")
    @classmethod
    def _after_since(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        since = info.data.get("opened_since")
        if value is not None and since is not None and since >= value:
            raise ValueError(_("opened_until deve venire dopo opened_since."))
        return value


# --- Helpers --------------------------------------------------------------------------------


def case_out(ticket: Ticket) -> dict[str, Any]:
    return {
        "code": ticket.code,
        "kind": ticket.kind,
        "status": ticket.status,
        "level": ticket.level,
        "channel": ticket.channel.code,
        "theme": ticket.theme.code if ticket.theme else None,
        "office": ticket.office.code if ticket.office else None,
        "team": ticket.team.code if ticket.team else None,
        "assignee": ticket.assignee.username if ticket.assignee else None,
        "citizen_id": ticket.citizen_id,
        "subject": ticket.subject,
        "description": ticket.description,
        "place": ticket.place,
        "resolution": ticket.resolution,
        "due_at": ticket.due_at,
        "first_response_at": ticket.first_response_at,
        "resolved_at": ticket.resolved_at,
        "closed_at": ticket.closed_at,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
    }


def _case(request: HttpRequest, code: str) -> Ticket:
    """The case `code` if the caller may see it, else 404 (its existence is not disclosed)."""
    who = caller(request)
    found = who.visible(Ticket.objects.select_related(*inbox.PAGE_RELATED)).filter(code=code)
    ticket: Ticket | None = found.first()
    if ticket is None:
        raise NotFound(_("Nessun caso con questo codice."), field="code")
    return ticket


def _seen(
    request: HttpRequest, kind: str, objects: list[Any], citizens: list[int | None], shown: str
) -> None:
    record_access(
        caller(request).reader(request),
        AccessRecord.Purpose.API,
        kind,
        objects=objects,
        citizens=citizens,
        shown=shown,
    )


def _by_code(model: Any, code: str | None, field: str, lookup: str = "code") -> Any:
    if not code:
        return None
    row = model.objects.filter(**{lookup: code}).first()
    if row is None:
        raise NotFound(
            _("Nessun elemento con codice «%(code)s».") % {"code": code[:64]}, field=field
        )
    return row


# --- Opening --------------------------------------------------------------------------------


@router.post(
    "",
    auth=WRITE,
    response={200: CaseAccepted, 202: CaseAccepted, **WRITE_ERRORS},
    summary="Open a case",
    openapi_extra={
        "parameters": [
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "schema": {"type": "string", "maxLength": idempotency.MAX_KEY},
                "description": "Sent again with the same body, the request creates nothing "
                "twice and gets the first answer.",
            }
        ]
    },
)
def create_case(request: HttpRequest, payload: CaseIn) -> HttpResponse:
    """Open a case for a citizen's request, as any channel does: it is accepted into the intake
    queue (202, with its tracking code) and the case exists once the queue is drained, usually
    within a second. The same `external_id` sent again answers 200 with the first code."""
    return open_case(request, caller(request), payload)


def open_case(request: HttpRequest, who: Caller, payload: CaseIn) -> HttpResponse:
    """`create_case`'s work once the caller is known and the body read: also called by the
    WSGI entry point's fast path (`api.fast`) with a request that went through no middleware."""

    def work() -> HttpResponse:
        data = payload.sender
        accepted = submit(
            Submission(
                text=payload.text,
                subject=payload.subject,
                kind=payload.kind,
                theme=payload.theme,
                place=payload.place,
                external_id=payload.external_id,
                sender=Sender(
                    first_name=data.first_name,
                    last_name=data.last_name,
                    email=data.email,
                    phone=data.phone,
                    fiscal_code=data.fiscal_code,
                ),
            ),
            system=_system(who),
            namespace=_namespace(who),
            acting=who.token.name if who.token is not None else "",
        )
        body = {
            "code": accepted.code,
            "status": "accepted" if accepted.replayed else "queued",
            "url": f"/api/v1/cases/{accepted.code}",
        }
        response = JsonResponse(body, status=200 if accepted.replayed else 202)
        response["Location"] = body["url"]
        return response

    return idempotency.idempotent(request, who, work)


def _system(who: Caller) -> str:
    return who.token.name if who.token is not None else f"console:{who.user}"


def _namespace(who: Caller) -> str:
    return f"t{who.token.pk}" if who.token is not None else f"u{who.user.pk if who.user else 0}"


# --- Reading --------------------------------------------------------------------------------


@router.get("", auth=READ, response={200: CasePage, **ERRORS, 422: Problem}, summary="List cases")
def list_cases(request: HttpRequest, filters: Query[CaseFilters]) -> dict[str, Any]:
    """The cases the caller may see, newest first, with the inbox's filters and time windows
    (`updated_since`, `opened_since`, `opened_until`); walk the pages with `next_cursor` (no case
    is listed twice nor skipped while new ones arrive or listed ones change)."""
    who = caller(request)
    query = _inbox_query(who, filters)
    base = inbox.filtered(
        who.visible_listed(Ticket.objects.all()), query, user=who.viewer, now=timezone.now()
    )
    tickets, next_cursor = page(base, cursor=filters.cursor, limit=filters.limit)
    inbox.attach_related(tickets)
    if tickets:
        _seen(
            request,
            "ticket",
            [t.code for t in tickets],
            [t.citizen_id for t in tickets],
            "elenco dei casi",
        )
    return {"items": [case_out(t) for t in tickets], "next_cursor": next_cursor}


def _inbox_query(who: Caller, filters: CaseFilters) -> inbox.InboxQuery:
    assignee = ""
    if filters.assignee == "none":
        assignee = "none"
    elif filters.assignee:
        user = User.objects.filter(username=filters.assignee).only("pk").first()
        assignee = str(user.pk) if user is not None else "0"
    return inbox.InboxQuery(
        status=filters.status,
        kind=filters.kind or "",
        channel=_pk(Channel, filters.channel, "channel"),
        theme=_by_code(Theme, filters.theme, "theme"),
        office=_by_code(Office, filters.office, "office"),
        team=_pk(Team, filters.team, "team"),
        assignee=assignee,
        campaign=_pk(Campaign, filters.campaign, "campaign"),
        tag=_pk(Tag, filters.tag, "tag", "slug"),
        sla=filters.sla or "",
        text=(filters.q or "").strip(),
        updated_since=filters.updated_since,
        opened_since=filters.opened_since,
        opened_until=filters.opened_until,
    )


def _pk(model: Any, code: str | None, field: str, lookup: str = "code") -> int | None:
    row = _by_code(model, code, field, lookup)
    return None if row is None else int(row.pk)


@router.get("/{code}", auth=READ, response={200: CaseOut, **ERRORS}, summary="Read a case")
def read_case(request: HttpRequest, code: str) -> dict[str, Any]:
    ticket = _case(request, code)
    _seen(request, "ticket", [ticket.code], [ticket.citizen_id], "caso")
    return case_out(ticket)


@router.get(
    "/{code}/events",
    auth=READ,
    response={200: EventPage, **ERRORS, 422: Problem},
    summary="A case's history",
)
def case_events(
    request: HttpRequest,
    code: str,
    cursor: str | None = None,
    limit: int = QueryParam(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),  # noqa: B008
) -> dict[str, Any]:
    """What happened to the case, oldest first."""
    ticket = _case(request, code)
    events, next_cursor = page(
        TicketEvent.objects.filter(ticket=ticket).select_related("actor"),
        cursor=cursor,
        limit=limit,
        column="at",
        newest_first=False,
    )
    _seen(request, "ticket", [ticket.code], [ticket.citizen_id], "storia del caso")
    return {
        "items": [
            {
                "id": e.pk,
                "kind": e.kind,
                "at": e.at,
                "actor": e.actor.username if e.actor else None,
                "system": e.system or None,
                "from_value": e.from_value,
                "to_value": e.to_value,
                "data": e.data if isinstance(e.data, dict) else {},
            }
            for e in events
        ],
        "next_cursor": next_cursor,
    }


@router.get(
    "/{code}/messages",
    auth=READ,
    response={200: MessagePage, **ERRORS, 422: Problem},
    summary="A case's messages",
)
def case_messages(
    request: HttpRequest,
    code: str,
    cursor: str | None = None,
    limit: int = QueryParam(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),  # noqa: B008
) -> dict[str, Any]:
    """The case's thread as its page shows it (what the citizen wrote, replies, notes), oldest
    first."""
    ticket = _case(request, code)
    messages, next_cursor = page(
        ticket.thread().select_related("channel", "author"),
        cursor=cursor,
        limit=limit,
        column="created_at",
        newest_first=False,
    )
    _seen(request, "ticket", [ticket.code], [ticket.citizen_id], "messaggi del caso")
    return {"items": [_message_out(ticket, m) for m in messages], "next_cursor": next_cursor}


def _message_out(ticket: Ticket, message: Message) -> dict[str, Any]:
    files = message.attachments if isinstance(message.attachments, list) else []
    return {
        "id": message.pk,
        "direction": message.direction,
        "channel": message.channel.code,
        "author": message.author.username if message.author else None,
        "system": message.system or None,
        "subject": message.subject,
        "text": message.text,
        "status": message.status,
        "sent_at": message.sent_at,
        "attachments": [
            {
                "index": index,
                "name": str(item.get("name") or ""),
                "content_type": str(item.get("content_type") or ""),
                "size": int(item.get("size") or 0),
                "url": (
                    f"/api/v1/cases/{ticket.code}/messages/{message.pk}/attachments/{index}"
                    if str(item.get("url") or "").startswith(STORED)
                    else None
                ),
            }
            for index, item in enumerate(files)
            if isinstance(item, dict)
        ],
    }


@router.get(
    "/{code}/messages/{message_id}/attachments/{index}",
    auth=READ,
    response={200: bytes, **ERRORS},
    summary="Download a message's file",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The file, as an attachment.",
                "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def attachment(request: HttpRequest, code: str, message_id: int, index: int) -> HttpResponseBase:
    """A file of a message of the case, with the console's checks (the case's scope, a file
    stored here); recorded in the access log."""
    ticket = _case(request, code)
    message = ticket.thread().filter(pk=message_id).first()
    files = message.attachments if message is not None else []
    if message is None or not isinstance(files, list) or not 0 <= index < len(files):
        raise NotFound(_("Nessun allegato."), field="index")
    item = files[index]
    url = str(item.get("url") or "") if isinstance(item, dict) else ""
    name = url.removeprefix(STORED)
    if not url.startswith(STORED) or not default_storage.exists(name):
        raise NotFound(_("Il file non è conservato qui."), field="index")
    record_access(
        caller(request).reader(request),
        AccessRecord.Purpose.ATTACHMENT,
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


# --- The workflow ---------------------------------------------------------------------------


def _on_behalf(view: Callable[..., R]) -> Callable[..., R]:
    """An operation of the workflow: the events its actions record name the token's system
    (`Caller.acting`), as a member of staff's name them."""

    @functools.wraps(view)
    def run(request: HttpRequest, *args: Any, **kwargs: Any) -> R:
        with caller(request).acting():
            return view(request, *args, **kwargs)

    return run


def _done(ticket: Ticket) -> dict[str, Any]:
    """The case as the action left it, even when it left the caller's scope (escalated or
    sent back elsewhere): the caller made that move; later reads answer 404."""
    inbox.attach_related([ticket])
    return case_out(ticket)


@router.post("/{code}/reply", auth=WRITE, response={200: MessageOut, **WRITE_ERRORS})
@_on_behalf
def reply(request: HttpRequest, code: str, payload: TextIn) -> dict[str, Any]:
    """Answer the citizen on the case's channel (`tickets.actions.reply_to_ticket`)."""
    ticket = _case(request, code)
    message = actions.reply_to_ticket(ticket, payload.text, actor=caller(request).actor)
    return _message_out(ticket, message)


@router.post("/{code}/note", auth=WRITE, response={200: MessageOut, **WRITE_ERRORS})
@_on_behalf
def note(request: HttpRequest, code: str, payload: TextIn) -> dict[str, Any]:
    """An internal note on the case (never sent to the citizen)."""
    ticket = _case(request, code)
    message = actions.add_ticket_note(ticket, payload.text, actor=caller(request).actor)
    return _message_out(ticket, message)


@router.post("/{code}/assign", auth=WRITE, response={200: CaseOut, **WRITE_ERRORS})
@_on_behalf
def assign(request: HttpRequest, code: str, payload: AssignIn) -> dict[str, Any]:
    """Give the case to an operator (username) and/or a team (code)."""
    ticket = _case(request, code)
    assignee = _by_code(User, payload.assignee, "assignee", "username")
    team = _by_code(Team, payload.team, "team")
    return _done(
        actions.assign_ticket(ticket, actor=caller(request).actor, assignee=assignee, team=team)
    )


@router.post("/{code}/escalate", auth=WRITE, response={200: CaseOut, **WRITE_ERRORS})
@_on_behalf
def escalate(request: HttpRequest, code: str, payload: EscalateIn) -> dict[str, Any]:
    """Hand the case to an office (second level). A token limited to an office that hands it
    outside its scope gets the case as it left it, and no longer sees it afterwards."""
    ticket = _case(request, code)
    office = _by_code(Office, payload.office, "office")
    team = _by_code(Team, payload.team, "team")
    return _done(
        actions.escalate_ticket(
            ticket, office, actor=caller(request).actor, team=team, note=payload.note
        )
    )


@router.post("/{code}/send-back", auth=WRITE, response={200: CaseOut, **WRITE_ERRORS})
@_on_behalf
def send_back(request: HttpRequest, code: str, payload: SendBackIn) -> dict[str, Any]:
    """Return a second-level case to the first level, saying why."""
    ticket = _case(request, code)
    office = _by_code(Office, payload.office, "office")
    return _done(
        actions.send_back_ticket(
            ticket, actor=caller(request).actor, reason=payload.reason, office=office
        )
    )


@router.post("/{code}/wait", auth=WRITE, response={200: CaseOut, **WRITE_ERRORS})
@_on_behalf
def wait(request: HttpRequest, code: str, payload: WaitIn) -> dict[str, Any]:
    """Put the case on hold until the citizen answers; with `question`, ask it."""
    ticket = _case(request, code)
    return _done(
        actions.wait_for_citizen(ticket, actor=caller(request).actor, question=payload.question)
    )


@router.post("/{code}/resolve", auth=WRITE, response={200: CaseOut, **WRITE_ERRORS})
@_on_behalf
def resolve(request: HttpRequest, code: str, payload: ResolveIn) -> dict[str, Any]:
    """Resolve the case; with `notify`, the resolution is sent to the citizen too."""
    ticket = _case(request, code)
    return _done(
        actions.resolve_ticket(
            ticket, payload.resolution, actor=caller(request).actor, notify=payload.notify
        )
    )


@router.post("/{code}/close", auth=WRITE, response={200: CaseOut, **WRITE_ERRORS})
@_on_behalf
def close(request: HttpRequest, code: str) -> dict[str, Any]:
    """Close a resolved case."""
    return _done(actions.close_ticket(_case(request, code), actor=caller(request).actor))


@router.post("/{code}/reopen", auth=WRITE, response={200: CaseOut, **WRITE_ERRORS})
@_on_behalf
def reopen(request: HttpRequest, code: str, payload: ReasonIn) -> dict[str, Any]:
    """Reopen a resolved or closed case."""
    who = caller(request)
    return _done(
        actions.reopen_ticket(_case(request, code), actor=who.actor, reason=payload.reason)
    )


@router.post("/{code}/cancel", auth=WRITE, response={200: CaseOut, **WRITE_ERRORS})
@_on_behalf
def cancel(request: HttpRequest, code: str, payload: ReasonIn) -> dict[str, Any]:
    """Cancel a case opened by mistake or withdrawn (a reason is required)."""
    if not payload.reason.strip():
        raise InvalidInput(_("Indica la motivazione."), field="reason")
    who = caller(request)
    return _done(
        actions.cancel_ticket(_case(request, code), actor=who.actor, reason=payload.reason)
    )
