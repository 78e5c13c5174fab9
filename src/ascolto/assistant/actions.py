"""The assistant's writes: turns of WhatsApp and web chat sessions, the replies' sending, the
survey and the end of idle sessions (the engine itself is `engine.py`; decision 0016).

- `take_turns(inbounds)`: the Meta drain's hook (`channels.assistants`), inside the drain's
  transaction: each message is one turn of its session (a re-delivered message none); the
  replies are queued as `Reply` rows and sent after commit; a form submitted, a hand-off, and
  every message of a session with an operator go on to intake;
- `web_turn(token, text, choice)`: a turn of the web chat, answered in the response;
- `web_pause(token, ending)`: the web chat's survey, after its silence or when it is ended;
- `send_due(ids, now)`: send the queued replies that are due (the survey too), in order per
  session; "sent" only when the Graph API accepted; transient failures retried with backoff
  while WhatsApp's window lasts; the recipient is erased from the row once it is sent or given
  up;
- `tick(now)`: what the periodic command runs: send what is due, end idle sessions.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from ascolto.assistant import engine, sender
from ascolto.assistant.engine import Bot, Out, Step
from ascolto.assistant.models import (
    Menu,
    MenuVersion,
    Reply,
    Session,
    SurveyAnswer,
    Turn,
    Unanswered,
)
from ascolto.channels.adapters.meta.graph import (
    GraphClient,
    GraphError,
    Row,
    TransientGraphError,
)
from ascolto.channels.assistants import choice_of, menu_of
from ascolto.channels.config import secret
from ascolto.channels.inbound import CaseHints, InboundMessage
from ascolto.channels.models import Channel
from ascolto.core import outbox
from ascolto.core.bulk import update_each
from ascolto.core.retry import backoff

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)  # a reply being sent is not taken by another sender meanwhile
RETRY_BASE = timedelta(seconds=30)
RETRY_CAP = timedelta(minutes=30)
_BOLD = re.compile(r"\*([^*\n]+)\*")
_SURVEY_CHOICE = re.compile(r"^survey:(yes|no):(\d+)$")


# --- WhatsApp turns ---------------------------------------------------------------------------

# The session's columns a turn may change, written for the whole batch in one statement.
SESSION_FIELDS = ["version", "mode", "state", "last_at", "last_inbound_at", "ended_at"]


@dataclass
class _Batch:
    """The turns of one drained batch: what they read once (the messages already taken, the
    open sessions, the published version of each menu, the current alerts) and the rows they
    write, inserted or updated together at the end (`save`): a batch costs a handful of
    statements, not seven a turn. A citizen with several messages in the batch has them taken
    in order, on the same session object."""

    now: datetime
    taken: set[str] = field(default_factory=set)  # inbound keys of turns taken
    sessions: dict[str, Session] = field(default_factory=dict)  # the open session of each key
    new: set[int] = field(default_factory=set)  # sessions created by this batch
    touched: dict[int, Session] = field(default_factory=dict)
    turns: list[Turn] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)
    recipients: dict[int, tuple[str, str]] = field(default_factory=dict)  # (channel, handle)
    _published: dict[int, MenuVersion | None] = field(default_factory=dict)
    _alerts: dict[str, list[Any]] = field(default_factory=dict)

    def published(self, menu: Menu) -> MenuVersion | None:
        """The version of `menu` published now, read once per batch."""
        if menu.pk not in self._published:
            self._published[menu.pk] = menu.published()
        return self._published[menu.pk]

    def alerts(self, channel: str) -> list[Any]:
        """The current alerts of `channel`, read once per batch."""
        if channel not in self._alerts:
            self._alerts[channel] = engine.current_alerts(channel)
        return self._alerts[channel]

    def read(self, inbound_keys: Sequence[str], session_keys: set[str]) -> None:
        """The turns already taken among `inbound_keys` and the open sessions of
        `session_keys`, locked until the batch commits (a drain running side by side waits for
        a citizen's session instead of answering from the same state)."""
        taken = Turn.objects.filter(inbound_key__in=list(inbound_keys))
        self.taken.update(k for k in taken.values_list("inbound_key", flat=True) if k)
        sessions = Session.objects.select_related("version__menu").filter(
            key__in=list(session_keys), ended_at__isnull=True
        )
        if connection.features.has_select_for_update_of:
            sessions = sessions.select_for_update(of=("self",))
        for session in sessions.order_by("pk"):
            self.sessions[session.key] = session  # the latest open one, as `_session_for` had

    def save(self) -> list[int]:
        """Write the batch's turns, sessions and replies; (re)schedule each session's survey
        SURVEY_AFTER from now (once per session; none with an operator). Returns the ids of
        the replies to send now."""
        Turn.objects.bulk_create(self.turns)
        if self.touched:
            update_each(list(self.touched.values()), SESSION_FIELDS)
        surveys = self._surveys()
        rows = Reply.objects.bulk_create([*self.replies, *surveys])
        return [row.pk for row in rows[: len(self.replies)]]

    def _surveys(self) -> list[Reply]:
        """Cancel the waiting survey of sessions with an operator, move the others' to
        SURVEY_AFTER from now, and return the surveys to create for those without one."""
        waiting = Reply.objects.filter(purpose=Reply.Purpose.SURVEY, status=Reply.Status.QUEUED)
        # Only WhatsApp sessions have a survey (the web chat's turns queue no replies).
        whatsapp = [s for s in self.touched.values() if s.pk in self.recipients]
        handoff = [s.pk for s in whatsapp if s.mode == Session.Mode.HANDOFF]
        if handoff:
            waiting.filter(session_id__in=handoff).update(
                status=Reply.Status.CANCELLED, recipient=""
            )
        due = [s for s in whatsapp if s.mode != Session.Mode.HANDOFF and s.survey_sent_at is None]
        known = [s.pk for s in due if s.pk not in self.new]  # a new session has none yet
        have = set(waiting.filter(session_id__in=known).values_list("session_id", flat=True))
        if have:
            waiting.filter(session_id__in=have).update(not_before=self.now + engine.SURVEY_AFTER)
        survey = engine.survey_out()
        created = []
        for session in due:
            if session.pk in have:
                continue
            channel, handle = self.recipients[session.pk]
            choices = tuple(replace(c, id=f"{c.id}:{session.pk}") for c in survey.choices)
            created.append(
                Reply(
                    session=session,
                    channel=channel,
                    recipient=handle,
                    purpose=Reply.Purpose.SURVEY,
                    payload=replace(survey, choices=choices).payload(),
                    created_at=self.now,
                    not_before=self.now + engine.SURVEY_AFTER,
                )
            )
        return created


def take_turns(
    inbounds: Sequence[InboundMessage], channels: dict[str, Channel] | None = None
) -> list[InboundMessage | None]:
    """One turn per message (see the module docstring); for each, None when the assistant kept
    it, or the message intake takes in instead. `channels`: the messages' channels by code, as
    the drain read them (read here when not given). Runs in the caller's transaction; the
    batch's replies are sent after its commit (`sender`)."""
    batch = _Batch(timezone.now())
    codes = {i.channel for i in inbounds}
    if channels is None or not codes <= channels.keys():
        channels = {c.code: c for c in Channel.objects.filter(code__in=codes)}
    batch.read(
        [engine.message_key(i.channel, i.external_id) for i in inbounds],
        {engine.session_key(Session.Kind.WHATSAPP, i.channel, i.handle) for i in inbounds},
    )
    results = [_take_turn(inbound, channels[inbound.channel], batch) for inbound in inbounds]
    queued = batch.save()
    if queued:
        transaction.on_commit(lambda: sender.send_after_commit(queued))
    return results


def _take_turn(inbound: InboundMessage, channel: Channel, batch: _Batch) -> InboundMessage | None:
    now = batch.now
    inbound_key = engine.message_key(channel.code, inbound.external_id)
    if inbound_key in batch.taken:
        return None  # a re-delivery: that turn was taken (and its reply queued) already
    batch.taken.add(inbound_key)
    key = engine.session_key(Session.Kind.WHATSAPP, channel.code, inbound.handle)
    choice = _choice_of(inbound)
    session, new = _session_for(key, channel, choice, batch)
    if session is None:
        logger.warning("assistant: channel %s names no published menu", channel.code)
        return inbound
    step = Bot(session, now, published=batch.published, alerts=batch.alerts).turn(
        inbound.text, _plain_choice(choice), new=new, written=_written(inbound)
    )
    _record(session, step, now, inbound_key, batch)
    if step.subscribe is not None:
        _subscribe(channel.code, inbound.handle, step.subscribe)
    _queue_replies(session, channel, inbound.handle, step, batch)
    if step.escalation is not None:
        escalation = step.escalation
        return replace(
            inbound,
            text=escalation.text,
            hints=CaseHints(theme=escalation.theme, open_case=True),
        )
    if step.relay:
        return inbound
    return None


def _choice_of(inbound: InboundMessage) -> str:
    """The id of the button or list row the citizen tapped, "" for typed text."""
    return choice_of(inbound)


def _written(inbound: InboundMessage) -> bool:
    """A text, a tap on our buttons or a template's quick reply (not a photo, a voice message,
    a location, a contact card)."""
    message = ((inbound.raw or {}).get("whatsapp") or {}).get("message") or {}
    kind = message.get("type") if isinstance(message, dict) else None
    return kind in (None, "text", "interactive", "button") and not inbound.attachments


def _plain_choice(choice: str) -> str:
    match = _SURVEY_CHOICE.match(choice)
    return f"survey:{match.group(1)}" if match else choice


def _session_for(
    key: str, channel: Channel, choice: str, batch: _Batch
) -> tuple[Session | None, bool]:
    """The session of `key`: the open one, the one a survey's answer names, or a new one on
    the published version of the channel's menu (None when there is none)."""
    now = batch.now
    session = batch.sessions.get(key)
    match = _SURVEY_CHOICE.match(choice)
    if match:
        if session is not None and session.pk == int(match.group(2)):
            return session, False
        answered = (
            Session.objects.select_related("version__menu")
            .filter(pk=int(match.group(2)), key=key)
            .first()
        )
        if answered is not None:
            if answered.ended_at is not None:
                answered.ended_at = None
            if session is None or answered.pk > session.pk:
                batch.sessions[key] = answered
            return answered, False
    if session is not None:
        idle = engine.HANDOFF_IDLE if session.mode == Session.Mode.HANDOFF else engine.SESSION_IDLE
        if session.last_at + idle > now:
            return session, False
        _end(session)
        batch.touched.pop(session.pk, None)
        del batch.sessions[key]
    menu = Menu.objects.filter(code=menu_of(channel)).first()
    version = batch.published(menu) if menu is not None else None
    if version is None:
        return None, False
    session = Session.objects.create(
        key=key,
        kind=Session.Kind.WHATSAPP,
        channel=channel.code,
        version=version,
        started_at=now,
        last_at=now,
    )
    batch.sessions[key] = session
    batch.new.add(session.pk)
    return session, True


def _record(
    session: Session, step: Step, now: datetime, inbound_key: str | None, batch: _Batch
) -> None:
    """Record the turn (its rows and the session's state, written by `batch.save`), the
    unanswered question, the survey's answer."""
    turns = step.turns
    first_in = next((t for t in turns if t.direction == Turn.Direction.INBOUND), None)
    if first_in is None:
        first_in = Turn(
            session=session, direction=Turn.Direction.INBOUND, kind=Turn.Kind.GREETING, at=now
        )
        turns.insert(0, first_in)
    first_in.inbound_key = inbound_key
    for turn in turns:
        turn.session = session
    batch.turns.extend(turns)
    session.last_at = now
    session.last_inbound_at = now
    batch.touched[session.pk] = session
    if step.unanswered:
        Unanswered.objects.create(
            session=session,
            text=step.unanswered,
            node_key=str(session.state.get("menu") or ""),
            at=now,
        )
    if step.survey is not None:
        _survey_answer(session, step.survey, now)


def _survey_answer(session: Session, answer: tuple[str, Any], now: datetime) -> None:
    survey, _created = SurveyAnswer.objects.get_or_create(
        session=session,
        defaults={"path": str(session.state.get("path") or ""), "asked_at": now},
    )
    what, value = answer
    if what == "useful":
        survey.useful = bool(value)
    else:
        survey.suggestion = str(value)
    survey.answered_at = now
    survey.save()
    # Other apps listen (the surveys app makes it a response of its chatbot survey).
    outbox.publish("assistant.survey_answered", survey_answer_id=survey.pk)


def _subscribe(channel_code: str, handle: str, on: bool) -> None:
    from ascolto.knowledge import alerts

    if on:
        alerts.subscribe(channel_code, handle)
    else:
        alerts.unsubscribe(channel_code, handle)


def _queue_replies(
    session: Session, channel: Channel, handle: str, step: Step, batch: _Batch
) -> None:
    """Queue the step's messages (inserted by `batch.save`, which also schedules the survey)."""
    batch.replies.extend(
        Reply(
            session=session,
            channel=channel.code,
            recipient=handle,
            payload=out.payload(),
            created_at=batch.now,
        )
        for out in step.outs
    )
    batch.recipients[session.pk] = (channel.code, handle)


# --- sending ----------------------------------------------------------------------------------


def _due(now: datetime) -> QuerySet[Reply]:
    return Reply.objects.filter(
        Q(not_before__isnull=True) | Q(not_before__lte=now),
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        status=Reply.Status.QUEUED,
    )


def send_due(
    ids: Sequence[int] | None = None, now: datetime | None = None, limit: int = 500
) -> int:
    """Send the due queued replies (only `ids` when given), oldest first, in order within a
    session (one that fails holds back the session's later ones). Returns how many were sent.

    The rows are claimed together (`_claim`). Sessions are sent side by side, up to
    `ASCOLTO_ASSISTANT_SENDERS` requests at a time, each session's replies one after the other
    (`_sending`): with one request at a time, the Graph API's round trip (on the internet,
    ~0.1-0.3 s) would cap a process at a few replies a second, and on this machine one sending
    thread was the ceiling of `benchmarks/chatbot.py`. The outcomes are written together, at
    most WRITE_EVERY after each send (`_write`): a reply sent whose outcome a crash lost is sent
    again when its lease ends, so that window stays short."""
    now = now or timezone.now()
    rows = _claim(ids, now, limit)
    clients: dict[str, tuple[GraphClient, str] | None] = {}
    done: list[Reply] = []
    sessions: dict[int, list[Reply]] = {}  # the rows to send, per session, oldest first
    for row in rows:
        if row.purpose == Reply.Purpose.SURVEY and not _survey_still_due(row, now):
            _close(row, Reply.Status.CANCELLED)
            done.append(row)
            continue
        _client(row.channel, clients)  # read here: the sending threads use no database
        sessions.setdefault(row.session_id, []).append(row)
    sent = 0
    outcomes: queue.SimpleQueue[tuple[Reply, bool | None | BaseException]] = queue.SimpleQueue()
    waiting = sum(len(group) for group in sessions.values())
    written = time.monotonic()
    failure: BaseException | None = None
    try:
        if len(sessions) == 1 or _senders() == 1:
            for group in sessions.values():
                _sending(group, clients, outcomes.put)
        else:
            pool = _pool()
            for group in sessions.values():
                pool.submit(_sending, group, clients, outcomes.put)
        while waiting:
            try:
                row, outcome = outcomes.get(timeout=WRITE_EVERY)
            except queue.Empty:
                pass  # nothing came back meanwhile: write what did
            else:
                waiting -= 1
                if isinstance(outcome, BaseException):
                    failure = failure or outcome  # the row keeps its lease: tried again later
                    continue
                done.append(row)
                if outcome is True:
                    sent += 1
                    if row.purpose == Reply.Purpose.SURVEY:
                        _survey_sent(row, now)
            if time.monotonic() - written > WRITE_EVERY:
                _write(done)
                done, written = [], time.monotonic()
    finally:
        _write(done)
    if failure is not None:
        raise failure
    return sent


def _sending(
    rows: list[Reply],
    clients: dict[str, tuple[GraphClient, str] | None],
    report: Callable[[tuple[Reply, bool | None | BaseException]], None],
) -> None:
    """Send one session's `rows` in order and report each outcome (True sent, False to retry,
    None given up or not tried). After a failure, the later rows are released untried: due
    again at once, after the held one. An unexpected error is reported for the row and the
    rest (they keep their lease). Uses no database: it may run in a sending thread."""
    held = False
    for index, row in enumerate(rows):
        if held:
            row.next_attempt_at = None
            report((row, None))
            continue
        try:
            outcome = _deliver(row, clients)
        except BaseException as exc:  # noqa: BLE001 (reported to the caller, which raises it)
            for left in rows[index:]:
                report((left, exc))
            return
        report((row, outcome))
        held = outcome is False


_pool_lock = threading.Lock()
_sending_pool: ThreadPoolExecutor | None = None


def _senders() -> int:
    return max(1, int(settings.ASCOLTO_ASSISTANT_SENDERS))


def _pool() -> ThreadPoolExecutor:
    """The process's sending threads (made on first use, kept)."""
    global _sending_pool
    with _pool_lock:
        if _sending_pool is None:
            _sending_pool = ThreadPoolExecutor(_senders(), thread_name_prefix="assistant-send")
        return _sending_pool


WRITE_EVERY = 0.1  # seconds: how long a sent reply's outcome may wait to be written
_WRITTEN = [
    "status",
    "recipient",
    "next_attempt_at",
    "last_error",
    "attempts",
    "external_id",
    "sent_at",
]


def _claim(ids: Sequence[int] | None, now: datetime, limit: int) -> list[Reply]:
    """Take the due rows (only `ids` when given) for this sender for LEASE, in one statement:
    another sender skips them meanwhile (and, on PostgreSQL, while they are being claimed)."""
    with transaction.atomic():
        queryset = _due(now)
        if ids is not None:
            queryset = queryset.filter(pk__in=list(ids))
        if connection.features.has_select_for_update_skip_locked:
            queryset = queryset.select_for_update(skip_locked=True, of=("self",))
        rows = _in_turn(list(queryset.select_related("session").order_by("pk")[:limit]))
        if rows:
            Reply.objects.filter(pk__in=[row.pk for row in rows]).update(
                next_attempt_at=now + LEASE
            )
    for row in rows:
        row.next_attempt_at = now + LEASE
    return rows


def _in_turn(rows: list[Reply]) -> list[Reply]:
    """`rows` without the replies that an earlier reply of their session, still queued and not
    among `rows` (another sender holds it, or it waits for its retry), must precede: sent now
    they would overtake it. They are taken once it is sent. A survey neither waits nor holds
    others back."""
    sessions = {row.session_id for row in rows if row.purpose == Reply.Purpose.REPLY}
    if not sessions:
        return rows
    taken = {row.pk for row in rows}
    first_left: dict[int, int] = {}  # session -> its first queued reply not taken here
    earlier = Reply.objects.filter(
        session_id__in=sessions, status=Reply.Status.QUEUED, purpose=Reply.Purpose.REPLY
    ).exclude(pk__in=taken)
    for session_id, pk in earlier.order_by("pk").values_list("session_id", "pk"):
        first_left.setdefault(session_id, pk)
    return [
        row
        for row in rows
        if row.purpose != Reply.Purpose.REPLY or row.pk < first_left.get(row.session_id, row.pk + 1)
    ]


def _write(rows: list[Reply]) -> None:
    """Write the outcome of `rows` (sent, given up, to retry, released) in one statement."""
    if rows:
        update_each(rows, _WRITTEN)


def _survey_still_due(row: Reply, now: datetime) -> bool:
    session = row.session
    session.refresh_from_db(fields=["survey_sent_at", "last_inbound_at", "mode", "ended_at"])
    return (
        session.survey_sent_at is None
        and session.mode != Session.Mode.HANDOFF
        and session.last_inbound_at is not None
        and session.last_inbound_at + engine.WINDOW > now
    )


# One Graph client per channel and token, kept between sends: building one costs tens of
# milliseconds (its TLS context), more than a turn. httpx clients are safe across threads.
_clients: dict[tuple[str, str, str], GraphClient] = {}


def _client(
    code: str, clients: dict[str, tuple[GraphClient, str] | None]
) -> tuple[GraphClient, str] | None:
    if code not in clients:
        channel = Channel.objects.filter(code=code).first()
        if channel is None:
            clients[code] = None
        else:
            token = secret(str(channel.config.get("access_token_env") or ""))
            key = (code, token, str(settings.ASCOLTO_META_GRAPH_URL))
            client = _clients.get(key)
            if client is None:
                if len(_clients) > 32:
                    _clients.clear()
                client = _clients[key] = GraphClient.for_channel(channel)
            clients[code] = (client, str(channel.config.get("phone_number_id") or ""))
    return clients[code]


def _deliver(row: Reply, clients: dict[str, tuple[GraphClient, str] | None]) -> bool | None:
    """Send one row: True sent, False to retry later, None given up (the row's new state is
    written by the caller, `_write`)."""
    now = timezone.now()
    out = Out.from_payload(row.payload)
    try:
        found = _client(row.channel, clients)
        if found is None:
            _close(row, Reply.Status.FAILED, "the channel no longer exists")
            return None
        client, phone_id = found
        if out.style == "list" and out.choices:
            rows = [Row(c.id, c.title, c.description) for c in out.choices]
            wamid = client.send_list(
                phone_id, row.recipient, out.text, out.button, [("", rows)], footer=out.footer
            )
        elif out.style == "buttons" and out.choices:
            wamid = client.send_buttons(
                phone_id,
                row.recipient,
                out.text,
                [(c.id, c.title) for c in out.choices],
                footer=out.footer,
            )
        else:
            wamid = client.send_text(phone_id, row.recipient, out.text, preview_url=True)
    except TransientGraphError as exc:
        row.attempts += 1
        row.last_error = str(exc)[:500]
        if row.created_at + engine.WINDOW <= now:
            _close(row, Reply.Status.FAILED, row.last_error)
            return None
        row.next_attempt_at = now + backoff(row.attempts, base=RETRY_BASE, cap=RETRY_CAP)
        logger.warning("assistant: reply %s not sent (%s); retried", row.pk, exc.code)
        return False
    except GraphError as exc:
        row.attempts += 1
        logger.warning("assistant: reply %s refused by the Graph API (%s)", row.pk, exc.code)
        _close(row, Reply.Status.FAILED, str(exc))
        return None
    row.attempts += 1
    row.external_id = wamid
    row.sent_at = now
    _close(row, Reply.Status.SENT)
    return True


def _close(row: Reply, status: str, error: str = "") -> None:
    """The row's last state, the recipient erased (decision 0016); written by `_write`."""
    row.status = status
    row.recipient = ""
    row.next_attempt_at = None
    if error:
        row.last_error = error[:500]


def _survey_sent(row: Reply, now: datetime) -> None:
    session = row.session
    Session.objects.filter(pk=session.pk).update(survey_sent_at=now)
    SurveyAnswer.objects.get_or_create(
        session=session,
        defaults={"path": str(session.state.get("path") or ""), "asked_at": now},
    )


# --- the periodic tick ------------------------------------------------------------------------


def end_idle_sessions(now: datetime | None = None) -> int:
    """End the sessions idle for SESSION_IDLE (HANDOFF_IDLE with an operator): their state is
    emptied (a form's answers, the transcript) and their waiting survey cancelled."""
    now = now or timezone.now()
    idle = Session.objects.filter(ended_at__isnull=True).filter(
        Q(last_at__lte=now - engine.SESSION_IDLE) & ~Q(mode=Session.Mode.HANDOFF)
        | Q(last_at__lte=now - engine.HANDOFF_IDLE, mode=Session.Mode.HANDOFF)
    )
    ended = 0
    for session in idle.iterator():
        if _survey_waiting(session, now):
            continue
        _end(session)
        ended += 1
    return ended


def _survey_waiting(session: Session, now: datetime) -> bool:
    return (
        Reply.objects.filter(
            session=session, purpose=Reply.Purpose.SURVEY, status=Reply.Status.QUEUED
        )
        .filter(Q(not_before__gt=now) | Q(next_attempt_at__gt=now))
        .exists()
    )


def _end(session: Session) -> None:
    with transaction.atomic():
        session.ended_at = session.last_at
        session.state = {}
        session.mode = Session.Mode.BOT
        session.save(update_fields=["ended_at", "state", "mode"])
        Reply.objects.filter(
            session=session, status=Reply.Status.QUEUED, purpose=Reply.Purpose.SURVEY
        ).update(status=Reply.Status.CANCELLED, recipient="")


def tick(now: datetime | None = None) -> tuple[int, int]:
    """Send what is due (replies to retry, surveys), then end the idle sessions; returns
    (sent, ended)."""
    now = now or timezone.now()
    sent = send_due(now=now)
    ended = end_idle_sessions(now)
    return sent, ended


# --- the web chat ----------------------------------------------------------------------------


def web_menu() -> MenuVersion | None:
    """The published version the web chat runs: the menu `ASCOLTO_ASSISTANT_WEB_MENU` names,
    else the first menu with a published version."""
    code = str(getattr(settings, "ASCOLTO_ASSISTANT_WEB_MENU", "") or "")
    versions = MenuVersion.objects.filter(status=MenuVersion.Status.PUBLISHED).select_related(
        "menu"
    )
    if code:
        versions = versions.filter(menu__code=code)
    return versions.order_by("menu__code").first()


@transaction.atomic
def web_turn(token: str, text: str, choice: str = "", now: datetime | None = None) -> list[Out]:
    """A turn of the web chat whose browser holds the random `token`: the replies, at once
    (none when no menu is published). Only the hash of the token is stored."""
    now = now or timezone.now()
    key = engine.session_key(Session.Kind.WEB, "web", token)
    session = (
        Session.objects.select_related("version__menu")
        .filter(key=key, ended_at__isnull=True)
        .order_by("-pk")
        .first()
    )
    new = False
    if session is not None and session.last_at + engine.SESSION_IDLE <= now:
        _end(session)
        session = None
    if session is None:
        version = web_menu()
        if version is None:
            return []
        session = Session.objects.create(
            key=key, kind=Session.Kind.WEB, channel="web", version=version, started_at=now
        )
        new = True
    if choice.startswith("survey:") and (new or session.survey_sent_at is None):
        choice = "menu"  # a survey's answer is taken only once the survey was offered
    step = Bot(session, now, unlimited=True).turn(text, choice, new=new)
    batch = _Batch(now)
    _record(session, step, now, None, batch)
    batch.save()
    # WhatsApp's *bold* marks read as asterisks on a web page.
    return [replace(o, text=_BOLD.sub(r"\1", o.text)) for o in step.outs]


@transaction.atomic
def web_pause(token: str, *, ending: bool, now: datetime | None = None) -> list[Out]:
    """The web chat's visitor went silent for SURVEY_AFTER (the page's timer asks) or ended the
    chat (`ending`): the survey, offered once per session, as WhatsApp's tick sends it (its
    answers are turns of `web_turn`, stored per session and menu path). Ending once the survey
    was offered ends the session (its state emptied) with a goodbye. [] when there is nothing
    to say: no session, or silence after the survey."""
    now = now or timezone.now()
    key = engine.session_key(Session.Kind.WEB, "web", token)
    session = (
        Session.objects.select_for_update()
        .filter(key=key, ended_at__isnull=True)
        .order_by("-pk")
        .first()
    )
    if session is None:
        return []
    if session.last_at + engine.SESSION_IDLE <= now:
        _end(session)
        return []
    if session.survey_sent_at is None:
        session.survey_sent_at = now
        session.save(update_fields=["survey_sent_at"])
        SurveyAnswer.objects.get_or_create(
            session=session,
            defaults={"path": str(session.state.get("path") or ""), "asked_at": now},
        )
        return [engine.survey_out()]
    if not ending:
        return []
    _end(session)
    return [Out(_("Conversazione terminata. Grazie e a presto!"))]
