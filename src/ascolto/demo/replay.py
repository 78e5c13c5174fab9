"""Replay of the case actions as rows: what `tickets/actions.py` and `channels/actions.py` would
have written, built in memory for bulk insertion.

Each method mirrors one action (`open_ticket`, `assign_ticket`, `escalate_ticket`,
`reply_to_ticket`, `wait_for_citizen`, `TicketIntake.thread`, `resolve_ticket`, `close_ticket`,
`tag_ticket`, `check_sla_breaches`): the same status moves (checked against
`Ticket.TRANSITIONS`), the same fields set, the same messages, and the same `TicketEvent`s,
built by the same constructors (`tickets/events.py`); `tests/test_event_parity.py` drives a
case both ways and compares what they record. Times are the simulated ones (epoch seconds), not the
clock. A step that would happen after the window's horizon raises `Beyond`: the case stays as it
was at the horizon, still open if it had not been resolved.

What the replay leaves out on purpose: outbox rows (their follow-up work, the acknowledgement
and the delivery of replies, is written directly as its result) and the message's raw payload.
A reply on a Meta channel (WhatsApp, Messenger, Instagram, Facebook comments) is not written as
delivered: with `outbound` set (`demo/meta.py`), it is sent to the local Graph server at its
historical time and stored with the id and status that sending gave (failed, with the reason,
when the citizen's 24-hour window was closed or the server refused it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ascolto.channels.models import Channel, Conversation, Message
from ascolto.demo.timeline import to_datetime
from ascolto.demo.writer import Ids, Sink, TicketConversations, TicketTags
from ascolto.tickets import events, sla
from ascolto.tickets.models import Campaign, Ticket, TicketEvent
from ascolto.tickets.receivers import acknowledgement_text
from ascolto.tickets.routing import Route

Status = Ticket.Status
SLA_CHECK_EVERY = 300  # `manage.py check_sla` runs every five minutes (README)


# Meta's channel kinds, whose replies `Replay.outbound` sends when it is set.
META_KINDS = frozenset(
    {Channel.Kind.WHATSAPP, Channel.Kind.MESSENGER, Channel.Kind.INSTAGRAM, Channel.Kind.FACEBOOK}
)


@dataclass(frozen=True)
class Outbound:
    """What sending a reply gave: Meta's id, the message's status and error, and, when what
    went is not the text itself (an approved template), its text and `raw`."""

    external_id: str
    status: str
    error: str = ""
    text: str = ""
    raw: dict[str, Any] | None = None


class Beyond(Exception):
    """The next step of a case falls after the horizon."""


@dataclass(frozen=True)
class Staff:
    """An operator as the replay needs them: id and the name `str(user)` gives."""

    id: int
    name: str

    @property
    def pk(self) -> int:
        return self.id

    def __str__(self) -> str:  # as an event names them
        return self.name


@dataclass(frozen=True)
class Desk:
    """An office cases are escalated to, with the team and the operators that work them."""

    id: int
    name: str
    team_id: int | None
    staff: tuple[Staff, ...]

    @property
    def pk(self) -> int:
        return self.id

    def __str__(self) -> str:  # as an event names it
        return self.name


@dataclass(slots=True)
class ConversationRow:
    """The columns of a `channels.Conversation` row, and its channel.

    The generator builds a million of these and of `TicketRow`; the ORM's `Model.__init__`
    (descriptors, signals, defaults) cost more than inserting them. The sink reads both by the
    models' attribute names, so a column the model adds later takes its default.
    """

    id: int
    channel: Channel
    identity_id: int
    started_at: datetime
    last_message_at: datetime
    external_thread_id: str = ""
    status: str = Conversation.Status.OPEN
    subject: str = ""

    @property
    def channel_id(self) -> int:
        return self.channel.pk


@dataclass(slots=True)
class TicketRow:
    """The columns of a `tickets.Ticket` row (see `ConversationRow`)."""

    id: int
    code: str
    channel_id: int
    kind: str
    theme_id: int | None
    campaign_id: int | None
    level: int
    office_id: int | None
    team_id: int | None
    citizen_id: int | None
    identity_id: int | None
    subject: str
    description: str
    place: str
    sla_policy_id: int | None
    due_at: datetime | None
    created_at: datetime
    updated_at: datetime
    status: str = Ticket.Status.NEW
    assignee_id: int | None = None
    resolution: str = ""
    sla_breached_at: datetime | None = None
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    parent_id: int | None = None
    satisfaction: int | None = None


@dataclass
class Case:
    ticket: TicketRow
    conversation: ConversationRow
    channel: Channel
    office_name: str
    assignee_name: str = ""
    last: int = 0
    saved_at: int = 0
    breach_at: int | None = None


class Replay:
    """Writes cases, their events and their messages into a `Sink`."""

    def __init__(
        self, sink: Sink, ids: Ids, horizon: int, municipality: str, kinds: dict[int, str]
    ) -> None:
        self.sink = sink
        self.ids = ids
        self.horizon = horizon
        self.municipality = municipality
        self.kinds = kinds  # channel id -> kind, so no message needs its channel loaded
        # identity id -> time of the latest message it sent into a case's conversation, for the
        # identity's last_seen_at (`receive` moves it at every inbound message)
        self.seen: dict[int, int] = {}
        # Sends a reply on a Meta channel at its time: (conversation, at, text) -> what was
        # sent. None: such replies are written as sent (the bulk path).
        self.outbound: Callable[[ConversationRow, int, str], Outbound] | None = None

    # --- building blocks ------------------------------------------------------------------

    def _event(self, case: Case, event: events.Event, actor: Staff | None, at: int) -> None:
        self.sink.values(
            TicketEvent,
            id=self.ids.take(TicketEvent),
            **event.values(case.ticket.id, actor.id if actor else None, to_datetime(at)),
        )

    def _step(self, case: Case, at: int) -> int:
        at = max(at, case.last)
        if at >= self.horizon:
            raise Beyond
        self._breach_until(case, at)
        case.last = at
        return at

    def _breach_until(self, case: Case, at: int) -> None:
        """`check_sla_breaches`: its first run after the due time marks a case still active."""
        due = case.breach_at
        if due is None or due > at or due >= self.horizon:
            return
        ticket = case.ticket
        case.breach_at = None
        if ticket.status not in Ticket.ACTIVE:
            return
        ticket.sla_breached_at = to_datetime(due)
        case.saved_at = due
        self._event(case, events.sla_breached_event(ticket.due_at), None, due)

    def _move(
        self, case: Case, status: str, actor: Staff | None, at: int, *, cause: str | None = None
    ) -> None:
        ticket = case.ticket
        previous = ticket.status
        if status not in Ticket.TRANSITIONS[previous]:
            raise AssertionError(f"replay bug: {previous} -> {status} on {ticket.code}")
        ticket.status = status
        if status == Status.RESOLVED:
            ticket.resolved_at = to_datetime(at)
        elif status == Status.CLOSED:
            ticket.closed_at = to_datetime(at)
        elif previous in (Status.RESOLVED, Status.CLOSED):
            ticket.resolved_at = None
            ticket.closed_at = None
        self._event(case, events.status_event(previous, status, cause=cause), actor, at)

    def message(
        self,
        conversation: ConversationRow,
        direction: str,
        at: int,
        text: str,
        *,
        author: Staff | None = None,
        subject: str = "",
        external_id: str = "",
        attachments: list[dict[str, Any]] | None = None,
    ) -> int:
        """A message as `receive`, `send_message` + delivery, or `add_note` store it; its id."""
        pk = self.ids.take(Message)
        outbound = direction == Message.Direction.OUTBOUND
        status: str = Message.Status.SENT if outbound else Message.Status.RECEIVED
        error = ""
        kind = self.kinds[conversation.channel_id]
        raw: dict[str, Any] | None = None
        if outbound and self.outbound is not None and kind in META_KINDS:
            went = self.outbound(conversation, at, text)
            external_id, status, error, text, raw = (
                went.external_id, went.status, went.error, went.text or text, went.raw
            )  # fmt: skip
        elif outbound and not external_id:
            external_id = _outbound_id(kind, pk, at)
        sent = to_datetime(at)
        self.sink.values(
            Message,
            id=pk,
            conversation_id=conversation.id,
            channel_id=conversation.channel_id,
            external_id=external_id,
            direction=direction,
            author_id=author.id if author else None,
            subject=subject[:255],
            text=text,
            attachments=attachments or [],
            sent_at=sent,
            created_at=sent,
            status=status,
            attempts=1 if outbound else 0,
            last_error=error,
            raw=raw,
        )
        if direction == Message.Direction.INBOUND:
            if sent > conversation.last_message_at:
                conversation.last_message_at = sent
        elif outbound:
            conversation.last_message_at = sent
        return pk

    # --- actions --------------------------------------------------------------------------

    def open(
        self,
        *,
        code: str,
        channel: Channel,
        conversation: ConversationRow,
        route: Route,
        at: int,
        kind: str,
        theme_id: int | None,
        subject: str,
        description: str,
        identity_id: int | None,
        citizen_id: int | None,
        place: str = "",
        campaign: Campaign | None = None,
        actor: Staff | None = None,
        due_at: datetime | None = None,
    ) -> Case:
        """`open_ticket`: the case with its route, SLA due time (or the explicit `due_at` of a
        booked callback), conversation and campaign tag."""
        if at >= self.horizon:
            raise Beyond
        opened = to_datetime(at)
        policy = route.sla_policy
        due = sla.promised_due_at(policy, opened, booked=due_at)
        ticket = TicketRow(
            id=self.ids.take(Ticket),
            code=code,
            channel_id=channel.id,
            kind=kind,
            theme_id=theme_id,
            campaign_id=campaign.id if campaign else None,
            level=route.level,
            office_id=route.office.id if route.office else None,
            team_id=route.team.id if route.team else None,
            citizen_id=citizen_id,
            identity_id=identity_id,
            subject=subject[:255],
            description=description,
            place=place[:255],
            sla_policy_id=policy.id if policy else None,
            due_at=due,
            created_at=opened,
            updated_at=opened,
        )
        self.sink.values(TicketConversations, ticket_id=ticket.id, conversation_id=conversation.id)
        if campaign is not None and campaign.tag_id is not None:
            self.sink.values(TicketTags, ticket_id=ticket.id, tag_id=campaign.tag_id)
        case = Case(
            ticket,
            conversation,
            channel,
            route.office.name if route.office else "",
            last=at,
            saved_at=at,
        )
        if due is not None:
            due_epoch = int(due.timestamp())
            case.breach_at = (due_epoch // SLA_CHECK_EVERY + 1) * SLA_CHECK_EVERY
        self._event(case, events.opened_event(channel_code=channel.code, route=route), actor, at)
        return case

    def acknowledge(self, case: Case, at: int) -> None:
        """The outbox handler `send_acknowledgement` (web and email cases): tracking code and
        due date, sent by nobody in particular."""
        at = self._step(case, at)
        ticket = case.ticket
        text = acknowledgement_text(ticket.code, ticket.due_at, self.municipality)
        self.message(
            case.conversation,
            Message.Direction.OUTBOUND,
            at,
            text,
            subject=f"[{ticket.code}] Richiesta ricevuta",
        )

    def assign(self, case: Case, at: int, actor: Staff | None, assignee: Staff) -> None:
        """`assign_ticket` to an operator (the team stays the routed or escalated one)."""
        at = self._step(case, at)
        ticket = case.ticket
        ticket.assignee_id = assignee.id
        self._event(case, events.assigned_event(case.assignee_name, assignee, None), actor, at)
        case.assignee_name = assignee.name
        if ticket.status == Status.NEW:
            self._move(case, Status.OPEN, actor, at)
        case.saved_at = at

    def escalate(self, case: Case, at: int, actor: Staff | None, desk: Desk, note: str) -> None:
        """`escalate_ticket` to a second-level office and its team, with a note."""
        at = self._step(case, at)
        ticket = case.ticket
        self._move(case, Status.OFFICE, actor, at)
        previous = case.office_name
        ticket.office_id, ticket.team_id, ticket.assignee_id, ticket.level = (
            desk.id,
            desk.team_id,
            None,
            Ticket.Level.SECOND,
        )
        case.office_name, case.assignee_name = desk.name, ""
        self._event(case, events.escalated_event(previous, desk, note), actor, at)
        if note:
            self.message(case.conversation, Message.Direction.NOTE, at, note, author=actor)
        case.saved_at = at

    def reply(self, case: Case, at: int, actor: Staff | None, text: str) -> None:
        """`reply_to_ticket`."""
        at = self._step(case, at)
        self._reply(case, at, actor, text)
        case.saved_at = at

    def _reply(self, case: Case, at: int, actor: Staff | None, text: str) -> None:
        ticket = case.ticket
        message = self.message(
            case.conversation,
            Message.Direction.OUTBOUND,
            at,
            text,
            author=actor,
            subject=f"[{ticket.code}] {ticket.subject}",
        )
        if ticket.first_response_at is None:
            ticket.first_response_at = to_datetime(at)
        if ticket.status == Status.NEW:
            self._move(case, Status.OPEN, actor, at)
        self._event(case, events.replied_event(message), actor, at)

    def wait(self, case: Case, at: int, actor: Staff | None, question: str) -> None:
        """`wait_for_citizen`, asking `question` on the case's channel."""
        at = self._step(case, at)
        self._reply(case, at, actor, question)
        self._move(case, Status.WAITING, actor, at)
        case.saved_at = at

    def citizen_writes(
        self,
        case: Case,
        at: int,
        text: str,
        external_id: str,
        attachments: list[dict[str, Any]] | None = None,
    ) -> None:
        """`receive` (intake and `TicketIntake.thread`) of a message on the case's conversation."""
        at = self._step(case, at)
        message = self.message(
            case.conversation,
            Message.Direction.INBOUND,
            at,
            text,
            external_id=external_id,
            attachments=attachments,
        )
        self.seen[case.conversation.identity_id] = at
        ticket = case.ticket
        back = Status.OFFICE if ticket.level == 2 else Status.OPEN
        if ticket.status == Status.WAITING:
            self._move(case, back, None, at, cause="citizen_replied")
        elif ticket.status == Status.RESOLVED:
            self._move(case, back, None, at, cause="citizen_wrote_after_resolution")
        self._event(case, events.message_event(message), None, at)
        case.saved_at = at

    def resolve(
        self, case: Case, at: int, actor: Staff | None, resolution: str, *, notify: bool
    ) -> None:
        """`resolve_ticket`; with `notify` the resolution is also sent as a reply."""
        at = self._step(case, at)
        if notify:
            self._reply(case, at, actor, resolution)
        self._move(case, Status.RESOLVED, actor, at)
        case.ticket.resolution = resolution
        case.saved_at = at

    def close(self, case: Case, at: int, actor: Staff | None) -> None:
        """`close_ticket`."""
        at = self._step(case, at)
        self._move(case, Status.CLOSED, actor, at)
        case.saved_at = at

    def tag(self, case: Case, at: int, actor: Staff | None, tags: list[tuple[int, str]]) -> None:
        """`tag_ticket` adding labels (no save of the case: `updated_at` does not move)."""
        at = self._step(case, at)
        for tag_id, _slug in tags:
            self.sink.values(TicketTags, ticket_id=case.ticket.id, tag_id=tag_id)
        self._event(case, events.tagged_event([slug for _id, slug in tags], []), actor, at)

    def link_campaign(self, case: Case, at: int, actor: Staff | None, campaign: Campaign) -> None:
        """`link_campaign`: the case joins a campaign and gets its tag."""
        at = self._step(case, at)
        ticket = case.ticket
        self._event(case, events.campaign_event(None, campaign), actor, at)
        ticket.campaign_id = campaign.id
        case.saved_at = at
        if campaign.tag_id is not None:
            self.sink.values(TicketTags, ticket_id=ticket.id, tag_id=campaign.tag_id)

    def finish(self, case: Case) -> None:
        """End the replay of a case and hand it to the sink: a breach still due before the
        horizon is recorded, and `updated_at` is the time of the last action that saved it.
        Every case opened must be finished."""
        self._breach_until(case, self.horizon - 1)
        case.ticket.updated_at = to_datetime(case.saved_at)
        self.sink.add(case.ticket, Ticket)  # rows are made when added: the case is complete now


def _outbound_id(kind: str, pk: int, at: int) -> str:
    """The id the channel gives a message we send. Email and web replies get the Message-ID the
    email adapter makes; social and WhatsApp replies of the bulk path (large scales, see
    docs/demo-city.md) the shape of Meta's ids, written as sent without sending them."""
    if kind in (Channel.Kind.WEB, Channel.Kind.EMAIL):
        return f"<{at}.{pk}@ascolto.local>"
    if kind == Channel.Kind.WHATSAPP:
        return f"wamid.OUT{pk:012d}"
    if kind == Channel.Kind.MESSENGER:
        return f"m_out{pk:012d}"
    return f"out_{pk:012d}"
