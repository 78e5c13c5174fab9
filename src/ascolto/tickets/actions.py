"""Actions on cases: the one write path for tickets.

Every function here runs in one transaction, locks the case row it changes, asks its guard
whether the case allows it now (`may_*`, from the moves of `Ticket.MOVES`; the case page asks
the same guards through `action_refusal`), records its `TicketEvent`s (built in
`tickets/events.py`) with the actor and the time, and schedules follow-up work through the
outbox (processed after commit). Views, the API, channel adapters,
the chatbot, commands, tasks and tests all call these; nobody else saves a ticket.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ascolto.channels import actions as channel_actions
from ascolto.channels import attachments as reply_files
from ascolto.channels import queue
from ascolto.channels.adapters import OutboundUnavailable, get_adapter
from ascolto.channels.config import WhatsAppTemplate, whatsapp_templates
from ascolto.channels.inbound import Attachment, CaseHints, InboundMessage
from ascolto.channels.models import Channel, Conversation, Message, PendingInbound
from ascolto.channels.windows import (
    ReplyWindow,
    is_comment_thread,
    reply_window,
    window_refusal,
)
from ascolto.citizens.actions import link_identity, resolve_identity
from ascolto.citizens.models import Citizen, Identity
from ascolto.core import access, outbox
from ascolto.core.errors import DomainError, InvalidInput, NotFound
from ascolto.core.text import header_text
from ascolto.organisation.models import Office, Team, User
from ascolto.tickets import answers, codes, events
from ascolto.tickets.models import (
    Campaign,
    CasePresence,
    Tag,
    Theme,
    Ticket,
    TicketEvent,
    refusal,
    status_label,
    why_not,
)
from ascolto.tickets.threading import build_ticket

Status = Ticket.Status
Actor = User | None

MAX_RESOLUTION = 20_000

# The texts an action requires, by the `field` its errors name (all feminine in Italian).
_TEXT_NAMES = {
    "reason": gettext_lazy("motivazione"),
    "reply": gettext_lazy("risposta"),
    "resolution": gettext_lazy("risoluzione"),
    "note": gettext_lazy("nota"),
    "question": gettext_lazy("domanda"),
}


def _locked(ticket: Ticket) -> Ticket:
    """Re-read the case under a row lock, so two operators acting at once are serialised."""
    try:
        return Ticket.objects.select_for_update().get(pk=ticket.pk)
    except Ticket.DoesNotExist as exc:
        raise NotFound(_("Il caso %(pk)s non esiste.") % {"pk": ticket.pk}) from exc


def _move(ticket: Ticket, status: str, actor: Actor, *, reason: str | None = None) -> None:
    if not ticket.can_transition_to(status):
        raise refusal(ticket.status, status, why_not(ticket.status, status))
    now = timezone.now()
    previous = ticket.apply_status(status, now)
    events.status_event(previous, status, reason=reason).record(ticket, actor, now)
    _status_changed(ticket, previous, status)


def _status_changed(ticket: Ticket, previous: str, status: str) -> None:
    """Tell the apps above (the outgoing webhooks) that the case changed status."""
    outbox.publish(
        "ticket.status_changed", ticket_id=ticket.pk, from_status=previous, to_status=status
    )


def _check(refused: Refusal | None) -> None:
    if refused is not None:
        raise refused.error


def _require_text(text: str, what: str, limit: int = MAX_RESOLUTION) -> str:
    text = (text or "").strip()
    name = str(_TEXT_NAMES.get(what, what))
    if not text:
        raise InvalidInput(_("La %(what)s è vuota.") % {"what": name}, field=what)
    if len(text) > limit:
        raise InvalidInput(
            _("La %(what)s è lunga %(length)d caratteri; al massimo %(limit)d.")
            % {"what": name, "length": len(text), "limit": limit},
            field=what,
        )
    return text


# --- Guards: may this action be taken on this case now? ----------------------------------------
#
# One guard per action, read by the action (which raises the refusal's error) and by
# `action_refusal` (which gives the case page the refusal's reason), so what the page offers is
# what the action accepts. Guards look at the case only; what depends on the action's input
# (which office, which assignee, the texts) is checked by the action itself.


@dataclass(frozen=True)
class Refusal:
    """Why an action is refused now: `reason`, a few words the case page shows next to the
    action, and `error`, what the action raises (its message built from the reason)."""

    reason: str
    error: DomainError


def _refused_move(ticket: Ticket, requested: str, reason: str) -> Refusal:
    return Refusal(reason, refusal(ticket.status, requested, reason))


def may_write(ticket: Ticket) -> Refusal | None:
    """Any write on a merged duplicate is refused. Its conversations go on in the kept case,
    maybe another office's: a note written here would land there, past that office's scope
    check."""
    if ticket.parent_id is None:
        return None
    reason = _("è stato unito al caso %(code)s: lavora su quello") % {"code": ticket.parent}
    return Refusal(
        reason,
        DomainError(
            _("Il caso %(code)s non si può più modificare: %(reason)s.")
            % {"code": ticket.code, "reason": reason}
        ),
    )


def _while_active(ticket: Ticket, requested: str, reopen_first: str) -> Refusal | None:
    """For the actions on an active case only: `reopen_first` says why to a resolved or closed
    case."""
    if ticket.is_active():
        return None
    if ticket.status == Status.CANCELLED:
        return _refused_move(ticket, requested, why_not(ticket.status, requested))
    return _refused_move(ticket, requested, reopen_first)


def _inactive_reason(ticket: Ticket) -> str:
    return _("il caso è %(status)s: riaprilo prima") % {
        "status": status_label(ticket.status).lower()
    }


def _moving(ticket: Ticket, move: str, target: str) -> Refusal | None:
    """For the actions that are one move of `Ticket.MOVES`, to `target`."""
    if ticket.may(move):
        return None
    reason = why_not(ticket.status, target) or _(
        "un caso «%(status)s» non può diventare «%(target)s»"
    ) % {"status": status_label(ticket.status), "target": status_label(target)}
    return _refused_move(ticket, target, reason)


def may_reply(ticket: Ticket) -> Refusal | None:
    return may_write(ticket) or _while_active(
        ticket, "replied", _("riapri il caso per scrivere al cittadino")
    )


def may_assign(ticket: Ticket) -> Refusal | None:
    return may_write(ticket) or _while_active(ticket, "assigned", _inactive_reason(ticket))


def may_escalate(ticket: Ticket) -> Refusal | None:
    return may_write(ticket) or _while_active(ticket, Status.OFFICE, _inactive_reason(ticket))


def may_send_back(ticket: Ticket) -> Refusal | None:
    if ticket.may("send_back"):
        return may_write(ticket)
    reason = _("solo un caso assegnato a un ufficio può essere restituito")
    return may_write(ticket) or _refused_move(ticket, Status.OPEN, reason)


def may_wait(ticket: Ticket) -> Refusal | None:
    return may_write(ticket) or _moving(ticket, "wait", Status.WAITING)


def may_resolve(ticket: Ticket) -> Refusal | None:
    return may_write(ticket) or _moving(ticket, "resolve", Status.RESOLVED)


def may_close(ticket: Ticket) -> Refusal | None:
    return may_write(ticket) or _moving(ticket, "close", Status.CLOSED)


def may_cancel(ticket: Ticket) -> Refusal | None:
    return may_write(ticket) or _moving(ticket, "cancel", Status.CANCELLED)


def _reopen_target(ticket: Ticket) -> str:
    """A case is reopened at the level that last worked on it."""
    return Status.OFFICE if ticket.level == Ticket.Level.SECOND else Status.OPEN


def may_reopen(ticket: Ticket) -> Refusal | None:
    target = _reopen_target(ticket)
    if ticket.parent_id is not None:
        reason = _("è stato unito al caso %(code)s: riapri quello") % {"code": ticket.parent}
        return _refused_move(ticket, "open", reason)
    if ticket.may("reopen"):
        return None
    if ticket.status == Status.CANCELLED:
        return _refused_move(ticket, target, why_not(ticket.status, target))
    return _refused_move(ticket, target, _("solo un caso risolto o chiuso può essere riaperto"))


def may_merge(duplicate: Ticket) -> Refusal | None:
    """For the case merged into another (what the kept case must be is checked by
    `merge_tickets`, which knows both)."""
    if duplicate.status in Ticket.FINAL:
        return may_write(duplicate) or _refused_move(
            duplicate, Status.CLOSED, _("si può unire solo un caso attivo o risolto")
        )
    return may_write(duplicate)


# --- Opening --------------------------------------------------------------------------------


def open_ticket(
    *,
    channel: Channel,
    conversation: Conversation,
    identity: Identity | None = None,
    citizen: Citizen | None = None,
    kind: str = Ticket.Kind.INFORMATION,
    theme: Theme | None = None,
    subject: str = "",
    description: str = "",
    place: str = "",
    campaign: Campaign | None = None,
    tags: Iterable[Tag] = (),
    actor: Actor = None,
    at: datetime | None = None,
    due_at: datetime | None = None,
) -> Ticket:
    """Open a case for a conversation, routed by the routing rules, with its SLA due time.

    The one way a case started on our side opens (decision 0011): a call an operator logs
    (`contactcenter.actions.log_call`), a callback booked (`book_callback`). What arrives from a
    channel is opened by intake (`tickets.threading`), from the same `build_ticket`.
    """
    ticket, opened = build_ticket(
        channel=channel,
        identity=identity,
        citizen=citizen,
        kind=kind,
        theme=theme,
        subject=subject,
        description=description,
        place=place,
        campaign=campaign,
        at=at or timezone.now(),
        due_at=due_at,
    )
    with transaction.atomic():
        for _attempt in range(5):
            try:
                with transaction.atomic():
                    ticket.save(force_insert=True)
                break
            except IntegrityError:
                if not Ticket.objects.filter(code=ticket.code).exists():
                    raise
                ticket.pk, ticket.code = None, codes.new_code()  # 1 in 2^60: draw again
        ticket.conversations.add(conversation)
        tag_list = list(tags)
        if campaign is not None and campaign.tag is not None:
            tag_list.append(campaign.tag)
        if tag_list:
            ticket.tags.add(*tag_list)
        opened.record(ticket, actor, ticket.created_at)
        outbox.publish("ticket.opened", ticket_id=ticket.pk)
    return ticket


# --- Workflow -------------------------------------------------------------------------------


@transaction.atomic
def assign_ticket(
    ticket: Ticket, *, actor: Actor, assignee: User | None = None, team: Team | None = None
) -> Ticket:
    """Give the case to an operator and/or a team; a new case becomes 'open'."""
    ticket = _locked(ticket)
    _check(may_assign(ticket))
    if assignee is None and team is None:
        raise InvalidInput(
            _("Scegli un operatore o un team a cui assegnare il caso."), field="assignee"
        )
    if assignee is not None and not assignee.is_active:
        raise InvalidInput(
            _("L'operatore %(operator)s non è attivo.") % {"operator": assignee}, field="assignee"
        )
    if (
        team is not None
        and assignee is not None
        and not team.members.filter(pk=assignee.pk).exists()
    ):
        raise InvalidInput(
            _("L'operatore %(operator)s non fa parte del team %(team)s.")
            % {"operator": assignee, "team": team},
            field="assignee",
        )
    if assignee is not None:
        _check_assignee_sees(ticket, assignee)
    if team is not None:
        ticket.team = team
    events.assigned_event(ticket.assignee, assignee, team).record(ticket, actor, timezone.now())
    if assignee is not None:
        ticket.assignee = assignee
    if ticket.may("take"):
        _move(ticket, Status.OPEN, actor)
    ticket.save()
    return ticket


def _check_assignee_sees(ticket: Ticket, assignee: User) -> None:
    """Refuse an assignee who could not open the case (`core.access`): it would vanish from
    their "I miei casi" and its page would answer them 404.

    An office operator sees the cases of their office and of the offices below it. A case that
    is not there goes to their office by escalation (`escalate_ticket`, with its note), never
    by an assignment that silently moves it: so a first-level case is refused too, with a hint.
    """
    if access.handles_cases(assignee) and access.may_see_office(assignee, ticket.office):
        return
    names = {"operator": assignee, "office": ticket.office}
    if not access.handles_cases(assignee):
        text = _("L'operatore %(operator)s (%(role)s) non lavora sui casi.") % {
            "operator": assignee,
            "role": assignee.get_role_display().lower(),
        }
    elif assignee.office is None:
        text = _("L'operatore %(operator)s non ha un ufficio: non vedrebbe il caso.") % names
    elif ticket.office is None:
        text = _(
            "L'operatore %(operator)s vede solo i casi del suo ufficio e questo caso non è ancora "
            "di un ufficio: passalo prima a %(their)s."
        ) % {**names, "their": assignee.office}
    elif ticket.level == Ticket.Level.SECOND:
        text = (
            _("L'operatore %(operator)s non lavora in %(office)s né in un ufficio superiore.")
            % names
        )
    else:
        text = _(
            "L'operatore %(operator)s non lavora in %(office)s né in un ufficio superiore: per "
            "affidargli il caso, passalo prima a %(their)s."
        ) % {**names, "their": assignee.office}
    raise InvalidInput(text, field="assignee")


@transaction.atomic
def escalate_ticket(
    ticket: Ticket, office: Office, *, actor: Actor, team: Team | None = None, note: str = ""
) -> Ticket:
    """Hand the case to an office (second level); it leaves the first-level operator's queue."""
    ticket = _locked(ticket)
    _check(may_escalate(ticket))
    if not office.is_active:
        raise InvalidInput(
            _("L'ufficio %(office)s non è attivo.") % {"office": office}, field="office"
        )
    if team is not None and team.office_id != office.pk:
        raise InvalidInput(
            _("Il team %(team)s non appartiene a %(office)s.") % {"team": team, "office": office},
            field="team",
        )
    if note:
        note = _require_text(note, "note", settings.ASCOLTO_MAX_MESSAGE_CHARS)
    if ticket.status == Status.OFFICE and ticket.office_id == office.pk:
        raise refusal(
            ticket.status, Status.OFFICE, _("il caso è già a %(office)s") % {"office": office}
        )
    _move(ticket, Status.OFFICE, actor)
    previous = ticket.office
    ticket.office, ticket.team, ticket.assignee, ticket.level = (
        office,
        team,
        None,
        Ticket.Level.SECOND,
    )
    events.escalated_event(previous, office, note).record(ticket, actor, timezone.now())
    if note:
        channel_actions.add_note(_main_conversation(ticket), note, author=actor)
    ticket.save()
    outbox.publish("ticket.escalated", ticket_id=ticket.pk, office_id=office.pk)
    return ticket


@transaction.atomic
def send_back_ticket(
    ticket: Ticket, *, actor: Actor, reason: str, office: Office | None = None
) -> Ticket:
    """Return a second-level case to the first level, saying why (not competent, missing data)."""
    ticket = _locked(ticket)
    reason = _require_text(reason, "reason", 2000)
    _check(may_send_back(ticket))
    _move(ticket, Status.OPEN, actor)
    previous = ticket.office
    ticket.level, ticket.assignee = Ticket.Level.FIRST, None
    ticket.office = office or _first_level_office(ticket)
    events.sent_back_event(previous, ticket.office, reason).record(ticket, actor, timezone.now())
    channel_actions.add_note(_main_conversation(ticket), reason, author=actor)
    ticket.save()
    return ticket


@transaction.atomic
def reply_to_ticket(
    ticket: Ticket, text: str, *, actor: Actor, attachments: Sequence[Attachment] = ()
) -> Message:
    """Answer the citizen on the channel of the case's latest conversation; a phone case by
    email to the address the citizen left (`reply_route`), refused when they left none.

    `attachments`: files the operator attached, already stored (`channels.attachments.store`),
    checked again and against what the reply's channel carries (`channels.attachments`); the
    reply names them, stored with it or not at all (the caller removes them if this raises)."""
    ticket = _locked(ticket)
    message = _reply(ticket, text, actor, attachments=attachments)
    ticket.save()
    return message


@dataclass(frozen=True)
class ReplyRoute:
    """Where a reply to the citizen of a case goes (`reply_route`).

    On `conversation` itself when its channel has an adapter (an email or Scrivi case); on a
    call, by email to `address` from the mailbox `channel`, on a conversation of that mailbox
    with the citizen's address. `refusal` says, in Italian, why no reply can go ("" when one
    can); the case page shows it instead of the reply box."""

    conversation: Conversation | None
    channel: Channel | None = None
    address: str = ""
    refusal: str = ""
    # On WhatsApp, Messenger and Instagram: whether a free-form reply may go now, until when.
    window: ReplyWindow | None = None
    # No reply may go from the case at all (the refusal says why): a comment thread forwarded
    # to an office is answered by the social operator, from the queue.
    held: bool = False

    @property
    def templates(self) -> list[WhatsAppTemplate]:
        """The approved templates that may go on this case's WhatsApp conversation."""
        if self.conversation is None or self.conversation.channel.kind != Channel.Kind.WHATSAPP:
            return []
        return whatsapp_templates(self.conversation.channel.config)

    @property
    def by_email(self) -> bool:
        """The reply leaves by email from another channel than the case's (a phone case)."""
        return bool(self.address)

    @property
    def is_phone(self) -> bool:
        return (
            self.conversation is not None and self.conversation.channel.kind == Channel.Kind.PHONE
        )

    @property
    def attachments_refusal(self) -> str:
        """Why a reply on this route cannot carry files ("" when it can): a phone case's reply
        by email carries them; the phone, a comment thread do not (`channels.attachments`)."""
        if self.by_email:
            return ""
        return reply_files.refusal(self.conversation)


def reply_route(ticket: Ticket) -> ReplyRoute:
    """The one rule for where a reply to this case goes; the case page and `reply_to_ticket`
    both ask it. The case's latest conversation carries the reply when its channel has an
    adapter. A phone case is answered by email when the citizen left an address (the call's own
    email handle, their `Citizen.email`, or an email handle of theirs), from the first active
    mailbox, or else the Scrivi channel (the server's default sender); without an address it
    cannot be answered in writing: the operator books a callback instead."""
    conversation = (
        ticket.conversations.select_related("channel", "identity__citizen")
        .order_by("-last_message_at", "-pk")
        .first()
    )
    if conversation is None:
        return ReplyRoute(None, refusal=_("il caso non ha una conversazione su cui rispondere"))
    kind = conversation.channel.kind
    if (
        ticket.level == Ticket.Level.SECOND
        and kind in (Channel.Kind.FACEBOOK, Channel.Kind.INSTAGRAM)
        and is_comment_thread(conversation)
    ):
        # The office works the disservice; the public answer in the thread is the social
        # operator's, who owns the page's tone: the resolution is offered to them (0015).
        return ReplyRoute(
            conversation,
            held=True,
            refusal=_(
                "il caso viene da un commento pubblico inoltrato dalla coda dei social: nel "
                "thread risponde l'operatore social, a cui l'esito viene proposto quando il "
                "caso è risolto (scrivi qui solo note interne)"
            ),
        )
    try:
        get_adapter(kind)
    except OutboundUnavailable:
        pass
    else:
        window = reply_window(conversation)
        if window is not None and not window.is_open:
            return ReplyRoute(conversation, window=window, refusal=window_refusal(window))
        return ReplyRoute(conversation, window=window)
    if kind != Channel.Kind.PHONE:
        return ReplyRoute(
            conversation,
            refusal=_(
                "le risposte sul canale %(channel)s non sono ancora disponibili: contatta il "
                "cittadino in un altro modo e registralo con una nota"
            )
            % {"channel": conversation.channel.get_kind_display()},
        )
    address = _citizen_email(ticket, conversation)
    if not address:
        return ReplyRoute(
            conversation,
            refusal=_(
                "il cittadino non ha lasciato un indirizzo email a cui rispondere; prenota una "
                "richiamata"
            ),
        )
    mailbox = (
        Channel.objects.filter(kind=Channel.Kind.EMAIL, is_active=True).order_by("pk").first()
        or Channel.objects.filter(kind=Channel.Kind.WEB, is_active=True).order_by("pk").first()
    )
    if mailbox is None:
        return ReplyRoute(
            conversation,
            refusal=_("non è configurata nessuna casella email da cui rispondere"),
        )
    return ReplyRoute(conversation, channel=mailbox, address=address)


def _citizen_email(ticket: Ticket, conversation: Conversation) -> str:
    identity = conversation.identity
    if identity.kind == Identity.Kind.EMAIL:
        return identity.value
    citizen = ticket.citizen or identity.citizen
    return citizen.contact(Identity.Kind.EMAIL) if citizen is not None else ""


def reply_conversation(ticket: Ticket) -> Conversation:
    """The conversation a reply (or a survey's invitation) is sent on (`reply_route`): a phone
    case's reply by email goes
    on a conversation of the mailbox with the citizen's address, linked to the case (later
    replies continue it, and the citizen's answer threads back to the case)."""
    route = reply_route(ticket)
    if route.conversation is None:
        return _main_conversation(ticket)  # raises, with the reason
    if route.refusal and (route.is_phone or route.held):
        raise InvalidInput(
            _("Non è possibile rispondere per iscritto: %(reason)s.") % {"reason": route.refusal},
            field="text",
        )
    if not route.by_email:
        # A channel with no adapter yet: queued, then marked failed with the reason (resend).
        return route.conversation
    assert route.channel is not None  # noqa: S101 (by_email has a mailbox)
    identity = resolve_identity(Identity.Kind.EMAIL, route.address)
    citizen = ticket.citizen or route.conversation.identity.citizen
    if identity.citizen_id is None and citizen is not None:
        link_identity(identity, citizen)
    conversation = channel_actions.start_conversation(
        route.channel, identity, subject=header_text(f"[{ticket.code}] {ticket.subject}", 255)
    )
    ticket.conversations.add(conversation)
    return conversation


def _reply(
    ticket: Ticket,
    text: str,
    actor: Actor,
    *,
    question: bool = False,
    attachments: Sequence[Attachment] = (),
) -> Message:
    _check(may_reply(ticket))
    text = _require_text(text, "reply", settings.ASCOLTO_MAX_MESSAGE_CHARS)
    conversation = reply_conversation(ticket)
    # A question on a Scrivi case carries, in the mail only, the link to answer it on the web.
    postscript = (
        answers.answer_postscript(ticket, conversation)
        if question and answers.offers_link(conversation)
        else ""
    )
    message = channel_actions.send_message(
        conversation,
        text,
        author=actor,
        subject=header_text(f"[{ticket.code}] {ticket.subject}", 255),
        postscript=postscript,
        attachments=attachments,
    )
    return _replied(ticket, message, actor)


def _replied(ticket: Ticket, message: Message, actor: Actor) -> Message:
    """What a reply does to its case: its first response, taken up if it was new, the event."""
    if ticket.first_response_at is None:
        ticket.first_response_at = message.sent_at
    if ticket.may("take"):
        _move(ticket, Status.OPEN, actor)
    events.replied_event(message.pk).record(ticket, actor, message.sent_at)
    return message


@transaction.atomic
def reply_with_template(
    ticket: Ticket, name: str, parameters: Iterable[str], *, actor: Actor, language: str = ""
) -> Message:
    """Answer the citizen of a WhatsApp case with an approved template (the channel's
    configuration) and its parameters: the way to reach them once the 24-hour window of
    free-form replies is closed (allowed inside it too). Sent through the outbox like any reply;
    the case shows the template's text with the parameters in place."""
    ticket = _locked(ticket)
    _check(may_reply(ticket))
    route = reply_route(ticket)
    conversation = route.conversation
    if conversation is None or conversation.channel.kind != Channel.Kind.WHATSAPP:
        raise InvalidInput(
            _("I modelli approvati si inviano solo ai casi nati su WhatsApp."), field="template"
        )
    message = channel_actions.send_template(
        conversation,
        name,
        list(parameters),
        language=language,
        author=actor,
        subject=header_text(f"[{ticket.code}] {ticket.subject}", 255),
    )
    _replied(ticket, message, actor)
    ticket.save()
    return message


def mark_case_seen(ticket: Ticket) -> int:
    """An operator opened the case: the citizen's WhatsApp messages on it are read by the city,
    and their read receipts go out through the outbox (`channels.actions.mark_read`)."""
    return channel_actions.mark_read(ticket.conversations.values("pk"))


@transaction.atomic
def resend_reply(ticket: Ticket, message: Message | int, *, actor: Actor) -> Message:
    """Send again a reply of this case that could not be delivered (marked failed after its
    tries, with the reason). Allowed whatever the case's status: the citizen never got it; not
    on a merged duplicate, whose conversations go on in the kept case (resend it there)."""
    ticket = _locked(ticket)
    _check(may_write(ticket))
    message_id = message.pk if isinstance(message, Message) else message
    failed = Message.objects.filter(
        pk=message_id,
        conversation__tickets=ticket,
        direction=Message.Direction.OUTBOUND,
        status=Message.Status.FAILED,
    ).exists()
    if not failed:
        raise InvalidInput(
            _("La risposta scelta non è tra quelle non consegnate di questo caso."),
            field="message",
        )
    resent = channel_actions.resend_message(message_id)
    events.replied_event(resent.pk, resent=True).record(ticket, actor, timezone.now())
    return resent


@transaction.atomic
def add_ticket_note(ticket: Ticket, text: str, *, actor: Actor) -> Message:
    """Leave an internal note on the case (any status; never sent to the citizen)."""
    ticket = _locked(ticket)
    _check(may_write(ticket))
    text = _require_text(text, "note", settings.ASCOLTO_MAX_MESSAGE_CHARS)
    message = channel_actions.add_note(_main_conversation(ticket), text, author=actor)
    events.note_event(message.pk).record(ticket, actor, message.sent_at)
    return message


@transaction.atomic
def wait_for_citizen(ticket: Ticket, *, actor: Actor, question: str = "") -> Ticket:
    """Put the case on hold until the citizen answers; with `question`, ask it on their channel."""
    ticket = _locked(ticket)
    _check(may_wait(ticket))
    if question:
        _reply(ticket, question, actor, question=True)
    _move(ticket, Status.WAITING, actor)
    ticket.save()
    return ticket


def accept_answer(
    code: str,
    token: str,
    text: str,
    *,
    external_id: str,
    attachments: Iterable[Attachment] = (),
) -> PendingInbound:
    """Accept the citizen's answer to a question, written on the status page with the link the
    question's mail carried (`tickets.answers`), into the intake queue: intake threads it into
    the conversation the question went out on, and the waiting case goes back to work, as for
    any message of the citizen (`threading.TicketIntake`). A bad, expired or other case's token,
    or a case no longer waiting, raises `InvalidInput` (Italian) and nothing is stored;
    `queue.AlreadyAccepted` when the same answer (its `external_id`) was accepted before."""
    target = answers.check_answer_token(code, token)
    conversation = target.conversation
    text = _require_text(text, "reply", settings.ASCOLTO_MAX_MESSAGE_CHARS)
    thread_id = channel_actions.thread_keys({conversation.pk})[conversation.pk]
    inbound = InboundMessage(
        channel=conversation.channel.code,
        external_id=external_id,
        handle_kind=conversation.identity.kind,
        handle=conversation.identity.value,
        text=text,
        sent_at=timezone.now(),
        thread_id=thread_id,
        attachments=tuple(attachments),
        # A code of its own: the queue needs one, and should the case be closed before the
        # drain, the answer opens a new case under it rather than being lost.
        hints=CaseHints(code=codes.new_code()),
    )
    return queue.accept(inbound, conversation.channel)


@transaction.atomic
def resolve_ticket(
    ticket: Ticket, resolution: str, *, actor: Actor, notify: bool = False
) -> Ticket:
    """Resolve the case with the answer given. With `notify`, the resolution text is also sent
    to the citizen as a reply (the usual way a Scrivi request is answered)."""
    ticket = _locked(ticket)
    resolution = _require_text(resolution, "resolution")
    _check(may_resolve(ticket))
    if notify:
        _reply(ticket, resolution, actor)
    _move(ticket, Status.RESOLVED, actor)
    ticket.resolution = resolution
    ticket.save()
    outbox.publish("ticket.resolved", ticket_id=ticket.pk)
    return ticket


@transaction.atomic
def resolve_at_first_contact(ticket: Ticket, resolution: str, *, actor: User) -> Ticket:
    """Resolve a case with the answer the operator gave while the citizen was still there (a
    logged call): one lock, one status event (`cause` 'first_contact').

    The case becomes the operator's when it is a first-level case nobody holds and they could
    open it (`core.access`): an office operator who takes a call does not hold a first-level
    case, as `assign_ticket` would refuse them. The event's `assignee` says who holds it."""
    ticket = _locked(ticket)
    resolution = _require_text(resolution, "resolution")
    _check(may_resolve(ticket))
    if (
        ticket.level == Ticket.Level.FIRST
        and ticket.assignee_id is None
        and actor.is_active
        and access.handles_cases(actor)
        and access.may_see_office(actor, ticket.office)
    ):
        ticket.assignee = actor
    now = timezone.now()
    previous = ticket.apply_status(Status.RESOLVED, now)
    events.first_contact_event(previous, ticket.assignee).record(ticket, actor, now)
    _status_changed(ticket, previous, Status.RESOLVED)
    ticket.resolution = resolution
    ticket.save()
    outbox.publish("ticket.resolved", ticket_id=ticket.pk)
    return ticket


@transaction.atomic
def close_ticket(ticket: Ticket, *, actor: Actor) -> Ticket:
    """Close a resolved case: no further work is expected."""
    ticket = _locked(ticket)
    _check(may_close(ticket))
    _move(ticket, Status.CLOSED, actor)
    ticket.save()
    return ticket


@transaction.atomic
def reopen_ticket(ticket: Ticket, *, actor: Actor, reason: str = "") -> Ticket:
    """Reopen a resolved or closed case at the level that last worked on it."""
    ticket = _locked(ticket)
    _check(may_reopen(ticket))
    _move(ticket, _reopen_target(ticket), actor, reason=reason)
    ticket.save()
    return ticket


@transaction.atomic
def cancel_ticket(ticket: Ticket, *, actor: Actor, reason: str) -> Ticket:
    """Cancel a case opened by mistake or withdrawn by the citizen."""
    ticket = _locked(ticket)
    reason = _require_text(reason, "reason", 2000)
    _check(may_cancel(ticket))
    _move(ticket, Status.CANCELLED, actor, reason=reason)
    ticket.save()
    return ticket


@transaction.atomic
def merge_tickets(duplicate: Ticket, into: Ticket, *, actor: Actor) -> Ticket:
    """Merge a duplicate case into the one that is kept.

    The duplicate's conversations and tags join the kept case, the duplicate is closed with
    `parent` pointing at the kept case, and both timelines record the merge.

    The conversations stay linked to the duplicate too (it was opened from them; reports count
    them), but from now on they are the kept case's, which may be another office's: the
    duplicate shows only the messages it held when merged (`Ticket.thread`), and every write on
    it is refused (`may_write`), so nothing said in the kept case shows or lands here.
    """
    if duplicate.pk == into.pk:
        raise DomainError(_("Un caso non può essere unito a sé stesso."))
    first, second = sorted([duplicate.pk, into.pk])  # lock in a fixed order: no deadlock
    locked = {t.pk: t for t in Ticket.objects.select_for_update().filter(pk__in=[first, second])}
    duplicate, into = locked[duplicate.pk], locked[into.pk]
    if into.parent_id is not None:
        raise DomainError(
            _("Il caso %(code)s è già stato unito a un altro caso: unisci a quello.")
            % {"code": into.code}
        )
    if into.status == Status.CANCELLED:
        raise refusal(into.status, "merged", _("non si può unire a un caso annullato"))
    _check(may_merge(duplicate))
    if into.citizen_id and duplicate.citizen_id and into.citizen_id != duplicate.citizen_id:
        raise DomainError(
            _("Questi casi appartengono a cittadini diversi: unisci prima i cittadini.")
        )
    into.conversations.add(*duplicate.conversations.all())
    into.tags.add(*duplicate.tags.all())
    previous = duplicate.status
    duplicate.status, duplicate.parent, duplicate.closed_at = Status.CLOSED, into, timezone.now()
    duplicate.save()
    now = timezone.now()
    events.status_event(previous, Status.CLOSED, cause="merged").record(duplicate, actor, now)
    _status_changed(duplicate, previous, Status.CLOSED)
    events.merged_into_event(into).record(duplicate, actor, now)
    events.merged_from_event(duplicate).record(into, actor, now)
    if into.citizen_id is None and duplicate.citizen_id is not None:
        into.citizen_id = duplicate.citizen_id
    into.save()
    return into


# --- Classification -------------------------------------------------------------------------


@transaction.atomic
def set_theme(ticket: Ticket, theme: Theme, *, actor: Actor) -> Ticket:
    ticket = _locked(ticket)
    _check(may_write(ticket))
    if ticket.theme_id != theme.pk:
        events.theme_event(ticket.theme, theme).record(ticket, actor, timezone.now())
        ticket.theme = theme
        ticket.save()
    return ticket


@transaction.atomic
def set_kind(ticket: Ticket, kind: str, *, actor: Actor) -> Ticket:
    ticket = _locked(ticket)
    _check(may_write(ticket))
    if kind not in Ticket.Kind.values:
        raise InvalidInput(
            _("Tipo di richiesta sconosciuto: «%(kind)s».") % {"kind": kind}, field="kind"
        )
    if ticket.kind != kind:
        events.kind_event(ticket.kind, kind).record(ticket, actor, timezone.now())
        ticket.kind = kind
        ticket.save()
    return ticket


@transaction.atomic
def tag_ticket(
    ticket: Ticket, *, actor: Actor, add: Iterable[Tag] = (), remove: Iterable[Tag] = ()
) -> Ticket:
    ticket = _locked(ticket)
    _check(may_write(ticket))
    added, removed = list(add), list(remove)
    if added:
        ticket.tags.add(*added)
    if removed:
        ticket.tags.remove(*removed)
    if added or removed:
        events.tagged_event([t.slug for t in added], [t.slug for t in removed]).record(
            ticket, actor, timezone.now()
        )
    return ticket


@transaction.atomic
def link_campaign(ticket: Ticket, campaign: Campaign | None, *, actor: Actor) -> Ticket:
    ticket = _locked(ticket)
    _check(may_write(ticket))
    if ticket.campaign_id != (campaign.pk if campaign else None):
        events.campaign_event(ticket.campaign, campaign).record(ticket, actor, timezone.now())
        ticket.campaign = campaign
        ticket.save()
        if campaign is not None and campaign.tag is not None:
            ticket.tags.add(campaign.tag)
    return ticket


@transaction.atomic
def classify_ticket(
    ticket: Ticket, *, actor: Actor, theme: Theme | None = None, kind: str = ""
) -> Ticket:
    """Set the theme and/or the kind of the case at once (one event each that changed)."""
    if kind and kind not in Ticket.Kind.values:
        raise InvalidInput(
            _("Tipo di richiesta sconosciuto: «%(kind)s».") % {"kind": kind}, field="kind"
        )
    if theme is not None:
        ticket = set_theme(ticket, theme, actor=actor)
    if kind:
        ticket = set_kind(ticket, kind, actor=actor)
    return ticket


def ensure_tags(names: Iterable[str]) -> list[Tag]:
    """The tags with these names, created when new (matched by slug, so 'TARI 2026' and
    'tari-2026' are one tag)."""
    tags: list[Tag] = []
    for raw in names:
        name = " ".join(raw.split())[:100]
        slug = slugify(name)[:100]
        if not slug:
            raise InvalidInput(
                _("«%(name)s» non è un nome valido per un'etichetta.") % {"name": raw},
                field="tags",
            )
        tag = Tag.objects.filter(slug=slug).first()
        if tag is None:
            try:
                with transaction.atomic():
                    tag = Tag.objects.create(name=name, slug=slug)
            except IntegrityError:  # created meanwhile, or the same name with another slug
                tag = Tag.objects.filter(Q(slug=slug) | Q(name=name)).first()
                if tag is None:
                    raise
        if tag not in tags:
            tags.append(tag)
    return tags


# The guard of each action of the case page, by the page's name for it.
GUARDS: dict[str, Callable[[Ticket], Refusal | None]] = {
    "reply": may_reply,
    "template": may_reply,
    "note": may_write,
    "assign": may_assign,
    "escalate": may_escalate,
    "send_back": may_send_back,
    "wait": may_wait,
    "resolve": may_resolve,
    "close": may_close,
    "reopen": may_reopen,
    "cancel": may_cancel,
    "merge": may_merge,
    "tag": may_write,
    "campaign": may_write,
    "classify": may_write,
}
ACTIONS = tuple(GUARDS)


def action_refusal(ticket: Ticket, action: str) -> str:
    """Why `action` is not available on `ticket` now, in Italian; "" when it is.

    The action's own guard, asked beforehand, so a page offers only what will be accepted and
    says why the rest is not, in the words the action would use."""
    guard = GUARDS.get(action)
    refused = guard(ticket) if guard is not None else None
    return refused.reason if refused is not None else ""


def reassign_citizen(source: Citizen, target: Citizen, *, actor: Actor) -> int:
    """Move the cases of a merged citizen to the kept one (receiver of `citizens_merged`)."""
    count = 0
    for ticket in Ticket.objects.select_for_update().filter(citizen=source):
        ticket.citizen = target
        ticket.save(update_fields=["citizen", "updated_at"])
        events.citizen_event(source.pk, target.pk).record(ticket, actor, timezone.now())
        count += 1
    return count


# --- SLA ------------------------------------------------------------------------------------


def check_sla_breaches(now: datetime | None = None) -> int:
    """Mark active cases past their due time as breached (once each); return how many."""
    now = now or timezone.now()
    count = 0
    ids = list(
        Ticket.objects.filter(
            status__in=Ticket.ACTIVE, due_at__lt=now, sla_breached_at__isnull=True
        ).values_list("pk", flat=True)
    )
    for pk in ids:
        with transaction.atomic():
            ticket = Ticket.objects.select_for_update().get(pk=pk)
            if ticket.sla_breached_at is not None or not ticket.is_overdue(now):
                continue
            ticket.sla_breached_at = now
            ticket.save(update_fields=["sla_breached_at", "updated_at"])
            events.sla_breached_event(ticket.due_at).record(ticket, None, now)
            outbox.publish("ticket.sla_breached", ticket_id=ticket.pk)
            count += 1
    return count


# --- Helpers --------------------------------------------------------------------------------


def _main_conversation(ticket: Ticket) -> Conversation:
    conversation = ticket.conversations.order_by("-last_message_at").first()
    if conversation is None:
        raise DomainError(
            _("Il caso %(code)s non ha una conversazione su cui scrivere.") % {"code": ticket.code}
        )
    return conversation


def _first_level_office(ticket: Ticket) -> Office | None:
    opened = ticket.events.filter(kind=TicketEvent.Kind.OPENED).first()
    office_id = opened.data.get("office") if opened else None
    return Office.objects.filter(pk=office_id).first() if office_id else None


# A page polls every few seconds; a user not heard from in this long has left the case.
PRESENCE_SECONDS = 20


@dataclass(frozen=True)
class Presence:
    """Another user on the same case: their short name and whether they are writing."""

    name: str
    typing: bool


def short_name(user: User) -> str:
    """«Mario R.»: the first name and the initial of the last, or the username."""
    first, last = user.first_name.strip(), user.last_name.strip()
    if first and last:
        return f"{first} {last[0]}."
    return first or last or user.get_username()


@transaction.atomic
def note_presence(ticket: Ticket, user: User, *, typing: bool) -> list[Presence]:
    """Record that `user` has the case open (and is writing a reply, or not); return the others
    seen on it in the last `PRESENCE_SECONDS`. Rows older than that are deleted on the way: the
    case's (people who left it), so what is read is only who is there, and the user's (cases
    they left), so the table holds about one row per user on a case now. Three queries in one
    transaction (one commit, not three): one upsert, one delete, one read."""
    now = timezone.now()
    since = now - timedelta(seconds=PRESENCE_SECONDS)
    CasePresence.objects.bulk_create(
        [CasePresence(ticket=ticket, user=user, seen_at=now, typing=typing)],
        update_conflicts=True,
        unique_fields=["ticket", "user"],
        update_fields=["seen_at", "typing"],
    )
    CasePresence.objects.filter(Q(ticket=ticket) | Q(user=user), seen_at__lt=since).delete()
    others = (
        CasePresence.objects.filter(ticket=ticket, seen_at__gte=since)
        .exclude(user=user)
        .select_related("user")
        .order_by("-typing", "user__first_name", "user__pk")
    )
    return [Presence(short_name(p.user), p.typing) for p in others]


def leave_case(ticket: Ticket, user: User) -> int:
    """`user` closed the case's page (or went elsewhere): their row goes at once, so the others'
    collision warning stops naming them at its next poll, not `PRESENCE_SECONDS` later."""
    deleted, _by_model = CasePresence.objects.filter(ticket=ticket, user=user).delete()
    return deleted


def prune_presence(now: datetime | None = None) -> int:
    """Delete every row not refreshed for `PRESENCE_SECONDS`: the cases nobody reopened, the users
    who closed the browser without a goodbye. Run by the scheduler (`prune_presence`, every five
    minutes); the reads never count such a row anyway."""
    since = (now or timezone.now()) - timedelta(seconds=PRESENCE_SECONDS)
    deleted, _by_model = CasePresence.objects.filter(seen_at__lt=since).delete()
    return deleted
