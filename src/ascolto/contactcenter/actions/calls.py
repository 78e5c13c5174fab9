"""Calls: a call record from the telephony system, and a call an operator logs in the console."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ascolto.channels.actions import record_inbound, start_conversation
from ascolto.channels.models import Channel, Conversation, Message
from ascolto.channels.verification import sender_verified
from ascolto.citizens.actions import link_identity, resolve_identity, resolve_normalised_identity
from ascolto.citizens.batch import Claim, find_or_create_citizens
from ascolto.citizens.models import Citizen, Identity
from ascolto.citizens.sender import Sender
from ascolto.contactcenter.models import CallRecord
from ascolto.core.errors import InvalidInput, NotFound
from ascolto.organisation.models import Office, User
from ascolto.tickets.actions import (
    add_ticket_note,
    escalate_ticket,
    open_ticket,
    resolve_at_first_contact,
)
from ascolto.tickets.models import Theme, Ticket


def record_call(
    *,
    external_id: str,
    queue: str,
    arrived_at: datetime,
    wait_seconds: int,
    talk_seconds: int = 0,
    abandoned: bool = False,
    caller_phone: str = "",
    ivr_path: str = "",
    conversation: Conversation | None = None,
    operator: User | None = None,
    caller: Identity | None = None,
) -> CallRecord:
    """Store a call as the telephony system reports it; idempotent on the call's id. The caller
    is `caller` when already resolved (a logged call), else the identity of `caller_phone`."""
    if not external_id.strip() or len(external_id) > 64:
        raise InvalidInput(
            _("Una chiamata ha bisogno del suo id del centralino (al massimo 64 caratteri)."),
            field="id",
        )
    if wait_seconds < 0 or talk_seconds < 0:
        raise InvalidInput(
            _("I tempi di attesa e di conversazione non possono essere negativi."),
            field="seconds",
        )
    if abandoned and talk_seconds:
        raise InvalidInput(
            _("Una chiamata abbandonata non ha tempo di conversazione."), field="talk_seconds"
        )
    if timezone.is_naive(arrived_at):
        raise InvalidInput(_("L'ora di arrivo non ha il fuso orario."), field="arrived_at")
    existing = CallRecord.objects.filter(external_id=external_id).first()
    if existing is not None:
        return existing
    if caller is None and caller_phone:
        caller = resolve_identity(Identity.Kind.PHONE, caller_phone)
    answered = None if abandoned else arrived_at + timedelta(seconds=wait_seconds)
    return CallRecord.objects.create(
        external_id=external_id,
        queue=queue,
        arrived_at=arrived_at,
        answered_at=answered,
        ended_at=arrived_at + timedelta(seconds=wait_seconds + talk_seconds),
        wait_seconds=wait_seconds,
        talk_seconds=talk_seconds,
        abandoned=abandoned,
        caller=caller,
        ivr_path=ivr_path,
        conversation=conversation,
        operator=operator,
    )


# --- Calls logged by operators --------------------------------------------------------------

RESOLVE, ESCALATE = "resolve", "escalate"
CALL_OUTCOMES = (RESOLVE, ESCALATE)
MAX_CALL_SECONDS = 4 * 3600  # a call logged as longer than this was left open, not talked through
ANSWER_NOTE = "Risposta data durante la chiamata:\n{answer}"


@dataclass(frozen=True)
class LoggedCall:
    """What `log_call` stored: the case opened on the phone channel and the call record."""

    ticket: Ticket
    call: CallRecord
    escalated: bool


@transaction.atomic
def log_call(
    *,
    operator: User,
    question: str,
    outcome: str,
    answer: str = "",
    sender: Sender | None = None,
    citizen: Citizen | None = None,
    kind: str = Ticket.Kind.INFORMATION,
    theme: Theme | None = None,
    office: Office | None = None,
    note: str = "",
    started_at: datetime | None = None,
    call_id: str = "",
    channel: Channel | None = None,
) -> LoggedCall:
    """Log a call an operator has just answered, in one transaction.

    A case started on our side, opened the way every such case is (decision 0011): the caller's
    details come as one `Sender`, normalised once when the call form built it; the citizen is
    found or created from them by the rule of decision 0009 (the handle the operator records is
    verified, the rest typed); a conversation of its own is started on the phone channel with
    what the citizen asked as its message, and `tickets.actions.open_ticket` opens the case on
    it. Then, with `outcome` RESOLVE, `resolve_at_first_contact` resolves it with the answer
    given; with ESCALATE it is handed to `office` with `note` (the answer given so far, if any,
    is kept as an internal note). A call record is stored for the call, or the telephony
    system's record `call_id` is linked to the case's conversation.

    Nothing is written when any check fails; every error names the field that is wrong.
    """
    if outcome not in CALL_OUTCOMES:
        raise InvalidInput(
            _("Esito sconosciuto: scegli se risolvere o inoltrare."), field="outcome"
        )
    question = (question or "").strip()
    answer = (answer or "").strip()
    note = (note or "").strip()
    if not question:
        raise InvalidInput(_("Scrivi che cosa ha chiesto il cittadino."), field="question")
    if outcome == RESOLVE and not answer:
        raise InvalidInput(
            _("Scrivi la risposta data per risolvere al primo contatto."), field="answer"
        )
    if outcome == ESCALATE:
        if office is None:
            raise InvalidInput(_("Scegli l'ufficio a cui inoltrare il caso."), field="office")
        if not note:
            raise InvalidInput(_("Scrivi una nota per l'ufficio."), field="note")
    if kind not in Ticket.Kind.values or kind == Ticket.Kind.CALLBACK:
        raise InvalidInput(_("Tipo di richiesta sconosciuto."), field="kind")
    if theme is not None and not theme.is_active:
        raise InvalidInput(_("Il tema scelto non è più attivo."), field="theme")
    call_id = (call_id or "").strip()
    if len(call_id) > 60:
        raise InvalidInput(_("L'ID della chiamata è più lungo di 60 caratteri."), field="call_id")
    # The sender was normalised when it was built (`Sender`): every value below is canonical.
    sender = sender or Sender()
    if citizen is not None:
        citizen = citizen.live()
        if citizen.fiscal_code and sender.fiscal_code and citizen.fiscal_code != sender.fiscal_code:
            raise InvalidInput(
                _("Il codice fiscale è diverso da quello del cittadino scelto."),
                field="fiscal_code",
            )
        sender = dataclasses.replace(
            sender,
            fiscal_code=sender.fiscal_code or citizen.fiscal_code,
            first_name=sender.first_name or citizen.first_name,
            last_name=sender.last_name or citizen.last_name,
        )
    handle_kind, handle = _caller_handle(sender.phone, sender.email, citizen)
    channel = channel or Channel.objects.filter(kind=Channel.Kind.PHONE, is_active=True).first()
    if channel is None or channel.kind != Channel.Kind.PHONE:
        raise NotFound(_("Non è configurato nessun canale telefonico attivo."), field="channel")
    external_id = f"call-{call_id}" if call_id else f"call-{uuid.uuid4().hex}"
    if call_id and Message.objects.filter(channel=channel, external_id=external_id).exists():
        raise InvalidInput(
            _("La chiamata %(id)s è già stata registrata.") % {"id": call_id}, field="call_id"
        )
    now = timezone.now()
    if started_at is None or not (now - timedelta(seconds=MAX_CALL_SECONDS) <= started_at <= now):
        started_at = now
    identity = resolve_normalised_identity(
        handle_kind,
        handle,
        display_name=f"{sender.first_name} {sender.last_name}".strip(),
        seen_at=started_at,
    )
    caller = _caller(identity, citizen, sender, channel)
    conversation = start_conversation(channel, identity, at=started_at)
    message = record_inbound(conversation, question, at=started_at, external_id=external_id)
    ticket = open_ticket(
        channel=channel,
        conversation=conversation,
        identity=identity,
        citizen=caller,
        kind=kind,
        theme=theme,
        subject=message.summary(60),
        description=message.text,
        actor=operator,
        at=started_at,
    )
    escalated = outcome == ESCALATE
    if escalated:
        assert office is not None  # noqa: S101 (checked above)
        if answer:
            add_ticket_note(ticket, ANSWER_NOTE.format(answer=answer), actor=operator)
        if ticket.status == Ticket.Status.OFFICE and ticket.office_id == office.pk:
            add_ticket_note(ticket, note, actor=operator)  # routing already put it there
        else:
            ticket = escalate_ticket(ticket, office, actor=operator, note=note)
    else:
        ticket = resolve_at_first_contact(ticket, answer, actor=operator)
    call = _call_record(call_id, channel, ticket, conversation, identity, operator, started_at)
    return LoggedCall(ticket=ticket, call=call, escalated=escalated)


def _caller(
    identity: Identity,
    citizen: Citizen | None,
    sender: Sender,
    channel: Channel,
) -> Citizen | None:
    """The citizen the case is for: the one the operator chose (the number they called from
    becomes theirs), or the one the caller's details name by the rule of decision 0009, found
    or created; None when the caller gave nothing that could find them again."""
    if citizen is not None:
        link_identity(identity, citizen)
    if not sender.names_someone():
        return citizen or identity.citizen
    key = (identity.kind, identity.value)
    verified = sender_verified(channel.kind, identity.kind)
    found = find_or_create_citizens(
        [
            Claim(
                sender,
                handle=key,
                verified=frozenset({key}) if verified else frozenset(),
                source=channel.code,
            )
        ]
    )[0]
    if identity.citizen_id is None:  # the batch linked the free handle: mirror it here
        identity.citizen = found
    return found


def _caller_handle(phone: str, email: str, citizen: Citizen | None) -> tuple[str, str]:
    """The handle the call is recorded under: the number the citizen called from; failing that,
    a number or address already known for the citizen, or the email they gave."""
    if phone:
        return Identity.Kind.PHONE, phone
    if citizen is not None:
        known = (
            Identity.objects.filter(
                citizen=citizen, kind__in=(Identity.Kind.PHONE, Identity.Kind.EMAIL)
            )
            .order_by("kind", "-last_seen_at")  # 'email' < 'phone': prefer a phone below
            .values_list("kind", "value")
        )
        handles = dict(reversed(list(known)))
        if Identity.Kind.PHONE in handles:
            return Identity.Kind.PHONE, handles[Identity.Kind.PHONE]
        if citizen.phone:
            return Identity.Kind.PHONE, citizen.phone
        if Identity.Kind.EMAIL in handles:
            return Identity.Kind.EMAIL, handles[Identity.Kind.EMAIL]
        email = email or citizen.email
    if email:
        return Identity.Kind.EMAIL, email
    raise InvalidInput(
        _("Serve il numero di telefono del chiamante (oppure un'email, o un cittadino già noto)."),
        field="phone",
    )


def _call_record(
    call_id: str,
    channel: Channel,
    ticket: Ticket,
    conversation: Conversation,
    identity: Identity,
    operator: User,
    started_at: datetime,
) -> CallRecord:
    """The telephony system's record of the call, linked to the case's conversation; or, when
    the telephony system has not reported it (or there is none), a record of the logged call.
    Its queue is the theme's area when the line has such a queue, so volumes stay per queue."""
    if call_id:
        existing = CallRecord.objects.select_for_update().filter(external_id=call_id).first()
        if existing is not None:
            if existing.conversation_id is not None:
                raise InvalidInput(
                    _("La chiamata %(id)s è già collegata a un altro caso.") % {"id": call_id},
                    field="call_id",
                )
            existing.conversation = conversation
            existing.operator = existing.operator or operator
            if existing.caller_id is None and identity.kind == Identity.Kind.PHONE:
                existing.caller = identity
            existing.save(update_fields=["conversation", "operator", "caller"])
            return existing
    queues = [str(q) for q in channel.config.get("queues") or []]
    area = ticket.theme.area_code() if ticket.theme is not None else ""
    queue = area if area in queues else ("generale" if "generale" in queues else channel.code)
    talk = max(0, int((timezone.now() - started_at).total_seconds()))
    return record_call(
        external_id=call_id or f"op-{uuid.uuid4().hex}",
        queue=queue,
        arrived_at=started_at,
        wait_seconds=0,
        talk_seconds=talk,
        conversation=conversation,
        operator=operator,
        caller=identity if identity.kind == Identity.Kind.PHONE else None,
    )
