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
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from ascolto.assistant import engine
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
from ascolto.channels.assistants import menu_of
from ascolto.channels.config import secret
from ascolto.channels.inbound import CaseHints, InboundMessage
from ascolto.channels.models import Channel
from ascolto.core.retry import backoff

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)  # a reply being sent is not taken by another sender meanwhile
RETRY_BASE = timedelta(seconds=30)
RETRY_CAP = timedelta(minutes=30)
_BOLD = re.compile(r"\*([^*\n]+)\*")
_SURVEY_CHOICE = re.compile(r"^survey:(yes|no):(\d+)$")


# --- WhatsApp turns ---------------------------------------------------------------------------


def take_turns(inbounds: Sequence[InboundMessage]) -> list[InboundMessage | None]:
    """One turn per message (see the module docstring); for each, None when the assistant kept
    it, or the message intake takes in instead. Runs in the caller's transaction."""
    now = timezone.now()
    channels = {c.code: c for c in Channel.objects.filter(code__in={i.channel for i in inbounds})}
    queued: list[int] = []
    results: list[InboundMessage | None] = []
    for inbound in inbounds:
        results.append(_take_turn(inbound, channels[inbound.channel], now, queued))
    if queued:
        transaction.on_commit(lambda: _send_after_commit(queued))
    return results


def _send_after_commit(ids: list[int]) -> None:
    """Hand the batch's replies to a task (inline in the tests and the demo, a worker in
    production), so the drain does not wait for the Graph API."""
    from ascolto.assistant.tasks import send_replies

    try:
        send_replies.enqueue(ids)
    except Exception:  # the rows stay queued: the tick sends them
        logger.exception("assistant: replies not handed to a task; the tick sends them")


def _take_turn(
    inbound: InboundMessage, channel: Channel, now: datetime, queued: list[int]
) -> InboundMessage | None:
    inbound_key = engine.message_key(channel.code, inbound.external_id)
    if Turn.objects.filter(inbound_key=inbound_key).exists():
        return None  # a re-delivery: that turn was taken (and its reply queued) already
    key = engine.session_key(Session.Kind.WHATSAPP, channel.code, inbound.handle)
    choice = _choice_of(inbound)
    session, new = _session_for(key, channel, choice, now)
    if session is None:
        logger.warning("assistant: channel %s names no published menu", channel.code)
        return inbound
    step = Bot(session, now).turn(
        inbound.text, _plain_choice(choice), new=new, written=_written(inbound)
    )
    _record(session, step, now, inbound_key)
    if step.subscribe is not None:
        _subscribe(channel.code, inbound.handle, step.subscribe)
    queued.extend(_queue_replies(session, channel, inbound.handle, step, now))
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
    message = ((inbound.raw or {}).get("whatsapp") or {}).get("message") or {}
    interactive = message.get("interactive") if isinstance(message, dict) else None
    if not isinstance(interactive, dict):
        return ""
    reply = interactive.get(str(interactive.get("type") or ""))
    return str(reply.get("id") or "") if isinstance(reply, dict) else ""


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
    key: str, channel: Channel, choice: str, now: datetime
) -> tuple[Session | None, bool]:
    """The session of `key`: the open one, the one a survey's answer names, or a new one on
    the published version of the channel's menu (None when there is none)."""
    match = _SURVEY_CHOICE.match(choice)
    if match:
        answered = Session.objects.filter(pk=int(match.group(2)), key=key).first()
        if answered is not None:
            if answered.ended_at is not None:
                answered.ended_at = None
            return answered, False
    session = (
        Session.objects.select_related("version__menu")
        .filter(key=key, ended_at__isnull=True)
        .order_by("-pk")
        .first()
    )
    if session is not None:
        idle = engine.HANDOFF_IDLE if session.mode == Session.Mode.HANDOFF else engine.SESSION_IDLE
        if session.last_at + idle > now:
            return session, False
        _end(session)
    menu = Menu.objects.filter(code=menu_of(channel)).first()
    version = menu.published() if menu is not None else None
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
    return session, True


def _record(session: Session, step: Step, now: datetime, inbound_key: str | None) -> None:
    """Store the turn: its rows, the session's state, the unanswered question, the survey."""
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
    Turn.objects.bulk_create(turns)
    session.last_at = now
    session.last_inbound_at = now
    session.save()
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


def _subscribe(channel_code: str, handle: str, on: bool) -> None:
    from ascolto.knowledge import alerts

    if on:
        alerts.subscribe(channel_code, handle)
    else:
        alerts.unsubscribe(channel_code, handle)


def _queue_replies(
    session: Session, channel: Channel, handle: str, step: Step, now: datetime
) -> list[int]:
    """Queue the step's messages, and (re)schedule the session's survey SURVEY_AFTER from now
    (once per session; none with an operator)."""
    rows = Reply.objects.bulk_create(
        [
            Reply(
                session=session,
                channel=channel.code,
                recipient=handle,
                payload=out.payload(),
                created_at=now,
            )
            for out in step.outs
        ]
    )
    waiting = Reply.objects.filter(
        session=session, purpose=Reply.Purpose.SURVEY, status=Reply.Status.QUEUED
    )
    if session.mode == Session.Mode.HANDOFF:
        waiting.update(status=Reply.Status.CANCELLED, recipient="")
    elif session.survey_sent_at is None and not waiting.update(
        not_before=now + engine.SURVEY_AFTER
    ):
        survey = engine.survey_out()
        choices = tuple(replace(c, id=f"{c.id}:{session.pk}") for c in survey.choices)
        Reply.objects.create(
            session=session,
            channel=channel.code,
            recipient=handle,
            purpose=Reply.Purpose.SURVEY,
            payload=replace(survey, choices=choices).payload(),
            created_at=now,
            not_before=now + engine.SURVEY_AFTER,
        )
    return [row.pk for row in rows]


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
    session (one that fails holds back the session's later ones). Returns how many were sent."""
    now = now or timezone.now()
    queryset = _due(now)
    if ids is not None:
        queryset = queryset.filter(pk__in=list(ids))
    rows = list(queryset.select_related("session").order_by("pk")[:limit])
    held: set[int] = set()
    clients: dict[str, tuple[GraphClient, str] | None] = {}
    sent = 0
    try:
        for row in rows:
            if row.session_id in held:
                continue
            if not _claim(row, now):
                held.add(row.session_id)
                continue
            if row.purpose == Reply.Purpose.SURVEY and not _survey_still_due(row, now):
                _close(row, Reply.Status.CANCELLED)
                continue
            if row.session_id in held:
                continue
            outcome = _deliver(row, clients)
            if outcome is True:
                sent += 1
                if row.purpose == Reply.Purpose.SURVEY:
                    _survey_sent(row, now)
            elif outcome is False:
                held.add(row.session_id)
    finally:
        clients.clear()  # the clients themselves are kept (`_clients`)
    return sent


def _claim(row: Reply, now: datetime) -> bool:
    """Take the row for this sender for LEASE (another sender skips it meanwhile)."""
    claimed = _due(now).filter(pk=row.pk, attempts=row.attempts).update(next_attempt_at=now + LEASE)
    return claimed == 1


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
    """Send one row: True sent, False to retry later, None given up."""
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
        row.save(update_fields=["attempts", "last_error", "next_attempt_at"])
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
    """The row's last state: the recipient erased (decision 0016)."""
    row.status = status
    row.recipient = ""
    row.next_attempt_at = None
    if error:
        row.last_error = error[:500]
    row.save(
        update_fields=[
            "status",
            "recipient",
            "next_attempt_at",
            "last_error",
            "attempts",
            "external_id",
            "sent_at",
        ]
    )


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
    _record(session, step, now, None)
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
