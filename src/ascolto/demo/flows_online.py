"""Emails, social networks and the WhatsApp assistant.

Social comments and chats open no case by themselves (their channels say `opens_cases: false`):
the social team opens one for the requests it handles. WhatsApp sessions are the assistant's
menu and information cards; a few end with a hand-off to an operator, which opens a case.

Social and WhatsApp traffic goes through Meta's webhook and the local Graph server when the run
has them (`run.meta`, `demo/meta.py`: the default scales); at large scales it is written as rows
(the bulk path), as the rest of the city is (docs/demo-city.md).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from ascolto.channels.adapters.meta import replay as replay_meta
from ascolto.channels.models import Channel, Conversation, Message
from ascolto.citizens.models import Identity
from ascolto.demo import reference as ref
from ascolto.demo import texts as words
from ascolto.demo.city import KINDS
from ascolto.demo.flows import Progress, Run, written_case
from ascolto.demo.meta import Traffic
from ascolto.demo.plan import (
    DAY,
    SOCIAL_INBOUND,
    SOCIAL_TICKETS,
    WHATSAPP_USERS_PER_MONTH,
    Web,
    scaled,
)
from ascolto.demo.population import phone_numbers, social_handles
from ascolto.demo.replay import Beyond, ConversationRow
from ascolto.demo.texts import CHANNEL_KIND_FACTORS, KIND_PROFILES, greeting
from ascolto.demo.timeline import (
    DAYS,
    IntArray,
    office_hours_after,
    online_days,
    online_hours,
    to_datetime,
)

# Share of social inbound messages per channel, and of conversations that are requests (the
# rest are comments: thanks, protests, jokes) per channel and shape.
SOCIAL_SPLIT = (("facebook", 0.55), ("instagram", 0.20), ("messenger", 0.25))
REQUEST_SHARE = {"comment": 0.45, "chat": 0.9}
FOLLOW_UPS = (
    "Mi potete rispondere per favore?",
    "Aggiungo che ho già provato a chiamare lo 020202.",
    "Grazie in anticipo.",
    "Qualcuno legge questi messaggi?",
)
# Sessions played together through the webhook (one delivery per step carries their messages).
WAVE = 50
SURVEY_SCORES = (1, 2, 3, 4, 5)
SURVEY_WEIGHTS = (0.06, 0.07, 0.17, 0.35, 0.35)


def write_emails(run: Run, emails: Web, progress: Progress) -> int:
    """Messages to the URP mailbox and to the voucher campaign's mailbox, each a case."""
    city, replay, sink, rnd, texts = run.city, run.replay, run.sink, run.rnd, run.texts
    clerks = city.staff[ref.SCRIVI_TEAM]
    for i in range(len(emails.at)):
        at = int(emails.at[i])
        person = int(run.registry.email_person[int(emails.person[i])])
        leaf = int(emails.leaf[i])
        topic = city.leaf_topic[leaf]
        kind = KINDS[int(emails.kind[i])]
        info = run.campaign(int(emails.campaign[i]))
        channel = city.channels["email-buoni-spesa" if info else "email-urp"]
        theme_id = run.theme_id(leaf, bool(emails.on_parent[i]))
        people = run.registry.people
        dear = greeting(
            people.first_name(person), people.last_name(person), run.registry.female(person)
        )
        domain = run.registry.emails[person].split("@")[1]
        message_id = f"<{uuid.UUID(int=rnd.getrandbits(128), version=4)}@{domain}>"
        subject = topic.summary if rnd.random() < 0.7 else f"Richiesta: {topic.summary.lower()}"
        text = texts.request(topic, kind, at)
        conversation = ConversationRow(
            id=run.ids.take(Conversation),
            channel=channel,
            identity_id=int(run.registry.email_identity[person]),
            external_thread_id=message_id,
            subject=subject,
            started_at=to_datetime(at),
            last_message_at=to_datetime(at),
        )
        replay.message(
            conversation,
            Message.Direction.INBOUND,
            at,
            text,
            subject=subject,
            external_id=message_id,
        )
        case = replay.open(
            code=run.codes.next(),
            channel=channel,
            conversation=conversation,
            route=city.route("email", theme_id, kind),
            at=at,
            kind=kind,
            theme_id=theme_id,
            subject=subject,
            description=text,
            identity_id=conversation.identity_id,
            citizen_id=run.registry.citizen_id(person),
            campaign=info.campaign if info else None,
        )
        written_case(
            run, case, at, int(emails.duration[i]), bool(emails.escalate[i]), leaf, info, clerks,
            dear, texts.answer(topic, kind, at),
        )  # fmt: skip
        sink.add(conversation, Conversation)
        if i % 1_000 == 0:
            sink.maybe_flush()
            progress("email", i)
    sink.flush()
    return len(emails.at)


def _start_times(n: int, run: Run, rng: np.random.Generator) -> IntArray:
    weights = online_days(run.city.calendar)
    days = rng.choice(DAYS, n, p=weights / weights.sum())
    hours = rng.choice(24, n, p=online_hours())
    at: IntArray = run.city.calendar.midnight[days] + hours * 3600 + rng.integers(0, 3600, n)
    return np.sort(at)


@dataclass
class _Thread:
    """A social conversation: a comment thread under a post or a private chat."""

    start: int
    channel: str
    shape: str  # "comment" or "chat"
    size: int  # inbound messages
    request: bool = False
    handled: bool = False


def _social_threads(run: Run, scale: float, rng: np.random.Generator) -> list[_Thread]:
    rnd = run.rnd
    total = scaled(SOCIAL_INBOUND, scale)
    shapes: list[tuple[str, str, int]] = []
    for code, share in SOCIAL_SPLIT:
        wanted = int(round(total * share))
        while wanted > 0:
            chat = code == "messenger" or (code == "instagram" and rnd.random() < 0.4)
            size = min(int(rng.geometric(0.55 if chat else 0.8)), wanted)
            shapes.append((code, "chat" if chat else "comment", size))
            wanted -= size
    # Shapes were drawn channel by channel: deal them out over the year's arrival times.
    order = rng.permutation(len(shapes)).tolist()
    starts = _start_times(len(shapes), run, rng).tolist()
    threads = [_Thread(starts[k], *shapes[order[k]]) for k in range(len(shapes))]
    for thread in threads:
        thread.request = rnd.random() < REQUEST_SHARE[thread.shape]
    candidates = [j for j, t in enumerate(threads) if t.request]
    if candidates:
        weights = np.array([3.0 if threads[j].shape == "chat" else 1.0 for j in candidates])
        count = min(scaled(SOCIAL_TICKETS, scale), len(candidates))
        for j in rng.choice(candidates, count, replace=False, p=weights / weights.sum()).tolist():
            threads[j].handled = True
    return threads


def write_social(run: Run, scale: float, rng: np.random.Generator, progress: Progress) -> int:
    """Comments and private messages on Facebook, Messenger and Instagram; the social team
    turns the requests it handles into cases. Returns the number of inbound messages.

    With `run.meta` every message is a signed delivery posted to the webhook (conversations,
    identities and the triage queue are what intake and `social.queue.sync` made of them) and
    the team's replies go to the local Graph server; without it, the bulk path writes rows."""
    city, rnd, sink = run.city, run.rnd, run.sink
    live = run.meta is not None
    threads = _social_threads(run, scale, rng)
    # Facebook and Messenger share page-scoped ids; a few people write many times.
    handle_kind = {
        "facebook": Identity.Kind.FACEBOOK_PSID,
        "messenger": Identity.Kind.FACEBOOK_PSID,
        "instagram": Identity.Kind.INSTAGRAM_ID,
    }
    owner: list[Identity | None] = [None] * len(threads)
    names = run.registry.people.names
    for kind, digits in ((Identity.Kind.FACEBOOK_PSID, 16), (Identity.Kind.INSTAGRAM_ID, 17)):
        size = max(int(len(threads) * 0.8), 1)
        handles = social_handles(size, rng, digits)
        weight = rng.pareto(1.2, size) + 1
        picks = rng.choice(size, len(threads), p=weight / weight.sum()).tolist()
        known: dict[int, Identity] = {}
        for j, thread in enumerate(threads):  # in time order: the first thread creates it
            if handle_kind[thread.channel] != kind:
                continue
            identity = known.get(picks[j])
            if identity is None:
                first = rnd.choice(names.female if rnd.random() < 0.55 else names.male)
                identity = known[picks[j]] = Identity(
                    id=None if live else run.ids.take(Identity),
                    kind=kind,
                    value=handles[picks[j]],
                    display_name=f"{first} {rnd.choice(names.last)[0]}.",
                    created_at=to_datetime(thread.start),
                    last_seen_at=to_datetime(thread.start),
                )
                if not live:  # live: intake makes it from the first delivery
                    sink.add(identity)
            owner[j] = identity
    sink.flush()
    areas = rng.choice(len(city.areas), len(threads), p=city.area_shares).tolist()
    last_seen: dict[int, int] = {}
    handled: list[tuple[int, int, bool, int, int]] = []
    sent = 0
    wave: list[_ThreadLive] = []
    authors: set[tuple[str, str]] = set()

    def play() -> None:
        assert run.meta is not None  # noqa: S101 (live only)
        _play_threads(run, run.meta, wave)
        handled.extend(t.handled for t in wave if t.handled is not None)

    for j, thread in enumerate(threads):
        identity = owner[j]
        assert identity is not None  # noqa: S101 (every channel has a handle kind)
        if run.meta is not None:
            author = (identity.kind, identity.value)
            if author in authors or len(wave) >= WAVE:
                play()
                wave, authors = [], set()
            played = _ThreadLive(run, run.meta, j, thread, identity)
            _social_conversation(run, thread, areas[j], played)
            wave.append(played)
            authors.add(author)
        else:
            last = _social_conversation(
                run, thread, areas[j], _ThreadRows(run, j, thread, identity)
            )
            last_seen[identity.id] = max(last_seen.get(identity.id, 0), last)
        sent += thread.size
        if j % 1_000 == 0:
            sink.maybe_flush()
            progress("social", sent)
    if live:
        if wave:
            play()
        _queue_threads(handled)
    else:
        # `resolve_identity` moves last_seen_at at every message; known only now.
        sink.update(Identity, "last_seen_at", [(to_datetime(t), pk) for pk, t in last_seen.items()])
    return sent


def _queue_threads(handled: list[tuple[int, int, bool, int, int]]) -> None:
    """The triage queue of the comment threads intake stored (`social.queue.sync`), with the
    threads the social team turned into cases, or forwarded to an office, in that state."""
    from ascolto.social import queue
    from ascolto.social.models import SocialThread

    queue.sync()
    for conversation_id, ticket_id, forwarded, operator_id, at in handled:
        SocialThread.objects.filter(conversation_id=conversation_id).update(
            state=SocialThread.State.FORWARDED if forwarded else SocialThread.State.CASE,
            ticket_id=ticket_id,
            handled_by_id=operator_id,
            handled_at=to_datetime(at),
        )


class _Thread_:
    """Where a social thread's messages and case go (rows, or the webhook)."""

    handled: tuple[int, int, bool, int, int] | None = None  # conversation, case, forwarded, ...

    def message(self, m: int, at: int, text: str) -> None:
        raise NotImplementedError

    def case(self, last: int, topic: words.Topic, kind: str, leaf: int, text: str) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        """The thread is complete."""


class _ThreadRows(_Thread_):
    def __init__(self, run: Run, j: int, thread: _Thread, identity: Identity) -> None:
        self.run = run
        channel = run.city.channels[thread.channel]
        page = channel.config.get("page_id", "0")
        thread_id = f"{page}_{thread.start // DAY}{j:07d}" if thread.shape == "comment" else ""
        self.identity_id = identity.id
        self.conversation = ConversationRow(
            id=run.ids.take(Conversation),
            channel=channel,
            identity_id=identity.id,
            external_thread_id=thread_id,
            started_at=to_datetime(thread.start),
            last_message_at=to_datetime(thread.start),
        )

    def message(self, m: int, at: int, text: str) -> None:
        conversation = self.conversation
        thread_id = conversation.external_thread_id
        external = f"{thread_id}_{m}" if thread_id else f"m_{conversation.id:010d}{m:03d}"
        self.run.replay.message(
            conversation, Message.Direction.INBOUND, at, text, external_id=external
        )

    def case(self, last: int, topic: words.Topic, kind: str, leaf: int, text: str) -> None:
        _social_case(self.run, self.conversation, last, topic, kind, leaf, text, self.identity_id)

    def finish(self) -> None:
        self.run.sink.add(self.conversation, Conversation)


class _ThreadLive(_Thread_):
    """A thread as Meta delivers it: Page feed comments (a top-level comment under the day's
    post, the follow-ups replies to it), Instagram comments, Messenger or Instagram Direct
    messages; the author's name is in what a comment carries, not in a direct message."""

    def __init__(
        self, run: Run, traffic: Traffic, j: int, thread: _Thread, identity: Identity
    ) -> None:
        self.run, self.traffic, self.j, self.thread = run, traffic, j, thread
        self.channel = run.city.channels[thread.channel]
        self.page = str(self.channel.config.get("page_id", "0"))
        self.handle = identity.value
        self.name = identity.display_name
        self.first = ""

        # ("in", (what it is delivered as, the item, its time)) or ("do", the team's case)
        self.steps: list[tuple[str, Any]] = []

    def message(self, m: int, at: int, text: str) -> None:
        thread, j, page = self.thread, self.j, self.page
        day = 100_000 + thread.start // DAY
        if thread.shape == "comment" and thread.channel == "facebook":
            external = f"{day}_{j:07d}{m:03d}"
            item = replay_meta.feed_comment(
                page, f"{page}_{day}", external, self.handle, self.name, text, at,
                parent_id=self.first,
            )  # fmt: skip
        elif thread.shape == "comment":
            external = f"178{j:011d}{m:03d}"
            username = self.name.replace(" ", ".").replace("..", ".").rstrip(".").lower()
            item = replay_meta.ig_comment(
                external, self.handle, username, text, f"179{day:014d}", at, parent_id=self.first
            )
        else:
            external = f"m_{thread.channel[:2]}{j:09d}{m:03d}"
            item = replay_meta.direct_message(self.handle, page, external, text, at)
        self.steps.append(("in", ((thread.channel, thread.shape), item, at)))
        self.first = self.first or external

    def case(self, last: int, topic: words.Topic, kind: str, leaf: int, text: str) -> None:
        self.steps.append(("do", lambda: self._case(last, topic, kind, leaf, text)))

    def _case(self, last: int, topic: words.Topic, kind: str, leaf: int, text: str) -> None:
        stored = self.traffic.conversation_of(self.channel, self.first)
        row = _row_of(stored, self.channel, last)
        with self.run.live_case():
            outcome = _social_case(self.run, row, last, topic, kind, leaf, text, row.identity_id)
        _touch(stored, row)
        if outcome is not None and row.external_thread_id:  # a comment thread of the queue
            ticket_id, forwarded, operator_id, opened = outcome
            self.handled = (stored.pk, ticket_id, forwarded, operator_id, opened)


def _play_threads(run: Run, traffic: Traffic, wave: list[_ThreadLive]) -> None:
    """Play the recorded threads of a wave in step: at each step, one delivery per channel and
    shape with the wave's messages (Meta batches a page's changes and messaging events), then
    the cases the team opens. A wave holds one thread per author."""
    step = 0
    while True:
        playing = [t for t in wave if step < len(t.steps)]
        if not playing:
            return
        groups: dict[tuple[str, str], list[tuple[dict[str, Any], int]]] = {}
        for thread in playing:
            kind, what = thread.steps[step]
            if kind == "in":
                key, item, at = what
                groups.setdefault(key, []).append((item, at))
        for (code, shape), items in sorted(groups.items()):
            channel = run.city.channels[code]
            page = str(channel.config.get("page_id", "0"))
            latest = max(at for _item, at in items)
            wrap = replay_meta.instagram if code == "instagram" else replay_meta.page
            if shape == "comment":
                payload = wrap(page, latest, changes=[item for item, _at in items])
            else:
                payload = wrap(page, latest, messaging=[item for item, _at in items])
            traffic.post(channel, payload)
        for thread in playing:
            kind, what = thread.steps[step]
            if kind == "do":
                what()
        step += 1


def _row_of(stored: Conversation, channel: Channel, at: int) -> ConversationRow:
    """A conversation intake stored, as the replay of its case reads it."""
    return ConversationRow(
        id=stored.pk,
        channel=channel,
        identity_id=stored.identity_id,
        external_thread_id=stored.external_thread_id,
        started_at=stored.started_at,
        last_message_at=max(stored.last_message_at, to_datetime(at)),
        subject=stored.subject,
    )


def _touch(stored: Conversation, row: ConversationRow) -> None:
    """The case's replies moved the conversation's last message time."""
    Conversation.objects.filter(pk=stored.pk, last_message_at__lt=row.last_message_at).update(
        last_message_at=row.last_message_at
    )


def _social_conversation(run: Run, thread: _Thread, area: int, out: _Thread_) -> int:
    """One thread and, when the social team handled it, its case; returns its last message's
    time."""
    city, rnd, texts = run.city, run.rnd, run.texts
    options = city.leaves_of(area)
    weights = city.leaf_weight[options].tolist()
    leaf = int(options[rnd.choices(range(len(options)), weights=weights)[0]])
    topic = city.leaf_topic[leaf]
    profile = KIND_PROFILES[topic.profile]
    factors = CHANNEL_KIND_FACTORS["social"]
    kind = rnd.choices(KINDS, weights=[profile[k] * factors.get(k, 1.0) for k in KINDS])[0]
    at = thread.start
    first_text = ""
    for m in range(thread.size):
        if m == 0:
            text = texts.request(topic, kind, at) if thread.request else texts.chatter(at)
            first_text = text
        else:
            at += int(rnd.expovariate(1 / 1200)) + 5
            text = rnd.choice(FOLLOW_UPS)
        out.message(m, at, text)
    if thread.handled:
        out.case(at, topic, kind, leaf, first_text)
    out.finish()
    return at


def _social_case(
    run: Run,
    conversation: ConversationRow,
    last: int,
    topic: words.Topic,
    kind: str,
    leaf: int,
    text: str,
    identity_id: int,
) -> tuple[int, bool, int, int] | None:
    """The case the social team opens on a thread; returns (case id, forwarded to an office,
    operator id, opened at), or None when it would open after the year's end."""
    city, replay, rnd, texts = run.city, run.replay, run.rnd, run.texts
    team = city.staff[ref.SOCIAL_TEAM]
    operator = run.pick(team)
    opened = last + rnd.randint(600, 4 * 3600)
    theme_id = city.leaf_theme_id[leaf]
    channel = conversation.channel
    try:
        case = replay.open(
            code=run.codes.next(),
            channel=channel,
            conversation=conversation,
            route=city.route(channel.kind, theme_id, kind),
            at=opened,
            kind=kind,
            theme_id=theme_id,
            subject=topic.summary,
            description=text,
            identity_id=identity_id,
            citizen_id=None,
            place=texts.address() if kind == "disservice" else "",
            actor=operator,
        )
    except Beyond:
        return None
    forwarded = False
    try:
        replay.assign(case, opened + 5, operator, operator)
        answer = texts.answer(topic, kind, opened)
        desk = city.leaf_desk[leaf]
        if kind == "disservice" and desk is not None and rnd.random() < 0.8:
            # Reports of broken services go to the competent office (DESIGN §1).
            forwarded = True
            notice = words.SOCIAL_FORWARD.format(office=desk.name)
            replay.reply(case, opened + rnd.randint(60, 900), operator, notice)
            replay.escalate(case, case.last + 60, operator, desk, texts.note())
            clerk = run.pick(desk.staff)
            taken = office_hours_after(case.last + rnd.randint(1800, DAY), city.calendar)
            replay.assign(case, taken, clerk, clerk)
            done = office_hours_after(
                opened + int(rnd.lognormvariate(np.log(6.0), 0.8) * DAY), city.calendar
            )
            replay.resolve(case, max(done, taken + 600), clerk, answer, notify=False)
        else:
            reply = words.SOCIAL_REPLY_FRAME.format(answer=answer)
            replay.resolve(case, opened + rnd.randint(300, 2 * 3600), operator, reply, notify=True)
        run.close_later(case)
    except Beyond:
        pass
    replay.finish(case)
    return case.ticket.id, forwarded, operator.id, opened


def write_whatsapp(run: Run, scale: float, rng: np.random.Generator, progress: Progress) -> int:
    """Sessions with the WhatsApp assistant, month by month; returns the number of sessions.

    With `run.meta` the citizens' messages are signed deliveries posted to the webhook and the
    assistant's and operators' messages go to the local Graph server, session after session in
    time order; without it, the bulk path writes rows."""
    city, rnd = run.city, run.rnd
    window, calendar = city.window, city.calendar
    per_month = max(scaled(WHATSAPP_USERS_PER_MONTH, scale), 1)
    pool_size = per_month * 7
    numbers = phone_numbers(pool_size, rng, landline_share=0.0)
    weight = rng.pareto(1.5, pool_size) + 1
    popularity = weight / weight.sum()
    day_weight = online_days(calendar)
    sessions: list[tuple[int, int]] = []  # (start, user)
    months = sorted({(window.day(i).year, window.day(i).month) for i in range(DAYS)})
    for year, month in months:
        days = np.array(
            [i for i in range(DAYS) if (window.day(i).year, window.day(i).month) == (year, month)]
        )
        length = (date(year + month // 12, month % 12 + 1, 1) - date(year, month, 1)).days
        factor = 0.7 if month == 8 else 1.0
        users = int(round(per_month * factor * len(days) / length))
        if users == 0:
            continue
        active = rng.choice(pool_size, min(users, pool_size), replace=False, p=popularity)
        count = 1 + rng.poisson(0.3, len(active))
        owners = np.repeat(active, count)
        w = day_weight[days]
        day = rng.choice(days, len(owners), p=w / w.sum())
        hour = rng.choice(24, len(owners), p=online_hours())
        start = calendar.midnight[day] + hour * 3600 + rng.integers(0, 3600, len(owners))
        sessions.extend(zip(start.tolist(), owners.tolist(), strict=True))
    sessions.sort()
    identities: dict[int, Identity] = {}
    names = run.registry.people.names
    for start, user in sessions:  # in time order: the first session creates the identity
        if user not in identities:
            first = rnd.choice(names.female if rnd.random() < 0.55 else names.male)
            identities[user] = Identity(
                id=None if run.meta else run.ids.take(Identity),
                kind=Identity.Kind.WHATSAPP,
                value=numbers[user],
                display_name=first,
                created_at=to_datetime(start),
                last_seen_at=to_datetime(start),
            )
            if run.meta is None:  # live: intake makes it from the first delivery
                run.sink.add(identities[user])
    run.sink.flush()
    last_seen: dict[int, int] = {}
    wave: list[_SessionLive] = []
    in_wave: set[int] = set()
    for s, (start, user) in enumerate(sessions):
        identity = identities[user]
        if run.meta is not None:
            if user in in_wave or len(wave) >= WAVE:
                _play(run.meta, city.channels["whatsapp"], wave)
                wave, in_wave = [], set()
            live = _SessionLive(run, run.meta, s, identity)
            _whatsapp_session(run, start, live)
            wave.append(live)
            in_wave.add(user)
        else:
            rows = _SessionRows(run, start, identity)
            last_seen[identity.id] = _whatsapp_session(run, start, rows)
        if s % 1_000 == 0:
            run.sink.maybe_flush()
            progress("whatsapp", s)
    if wave and run.meta is not None:
        _play(run.meta, city.channels["whatsapp"], wave)
    if run.meta is None:
        run.sink.update(
            Identity, "last_seen_at", [(to_datetime(t), pk) for pk, t in last_seen.items()]
        )
    return len(sessions)


class _Session:
    """Where a WhatsApp session's messages and hand-off go (rows, or the webhook and the Graph
    server)."""

    last_inbound = 0

    def inbound(self, at: int, text: str, choice: str) -> None:
        raise NotImplementedError

    def outbound(self, at: int, text: str, survey: bool) -> None:
        raise NotImplementedError

    def handoff(self, at: int, leaf: int, topic: words.Topic, question: str) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        """The session is complete."""


class _SessionRows(_Session):
    def __init__(self, run: Run, start: int, identity: Identity) -> None:
        self.run = run
        self.identity_id = identity.id
        self.counter = 0
        self.conversation = ConversationRow(
            id=run.ids.take(Conversation),
            channel=run.city.channels["whatsapp"],
            identity_id=identity.id,
            started_at=to_datetime(start),
            last_message_at=to_datetime(start),
        )

    def inbound(self, at: int, text: str, choice: str) -> None:
        self.counter += 1
        self.last_inbound = at
        external = f"wamid.IN{self.conversation.id:010d}{self.counter:03d}"
        self.run.replay.message(
            self.conversation, Message.Direction.INBOUND, at, text, external_id=external
        )

    def outbound(self, at: int, text: str, survey: bool) -> None:
        self.counter += 1
        self.run.replay.message(self.conversation, Message.Direction.OUTBOUND, at, text)

    def handoff(self, at: int, leaf: int, topic: words.Topic, question: str) -> None:
        _whatsapp_case(self.run, self.conversation, at, leaf, topic, question, self.identity_id)

    def finish(self) -> None:
        self.run.sink.add(self.conversation, Conversation)


class _SessionLive(_Session):
    """A session through Meta's ends: the citizen's messages posted to the webhook (a text, or
    a tap on the survey's list), the assistant's sent to the Graph server. The script is
    recorded first (`steps`), then played by `_play` together with the other sessions of its
    wave."""

    def __init__(self, run: Run, traffic: Traffic, session: int, identity: Identity) -> None:
        self.run, self.traffic = run, traffic
        self.channel = run.city.channels["whatsapp"]
        self.number, self.name = identity.value, identity.display_name
        self.prefix = f"wamid.HBgM{session:07d}"
        self.counter = 0
        self.survey = ""  # the id the Graph server gave the survey: the answer quotes it
        self.conversation: Conversation | None = None
        # ("in", the message to deliver, built when played) or ("do", what the city does)
        self.steps: list[tuple[str, Callable[[], Any]]] = []

    def inbound(self, at: int, text: str, choice: str) -> None:
        self.counter += 1
        self.last_inbound = at
        wamid = f"{self.prefix}{self.counter:03d}"

        def message() -> dict[str, Any]:
            if choice:
                return replay_meta.wa_interactive(
                    wamid, self.number, choice, text, at, kind="list_reply", context=self.survey
                )
            return replay_meta.wa_text(wamid, self.number, text, at)

        self.steps.append(("in", message))

    def outbound(self, at: int, text: str, survey: bool) -> None:
        self.counter += 1
        self.steps.append(("do", lambda: self._send(at, text, survey)))

    def _send(self, at: int, text: str, survey: bool) -> None:
        conversation = self.conversation
        assert conversation is not None  # noqa: S101 (the citizen writes first)
        if survey:
            rows = [(f"voto-{n}", str(n)) for n in SURVEY_SCORES]
            sent = self.traffic.send_list(conversation, at, text, words.WHATSAPP_RATE, rows)
            self.survey = sent.external_id
        else:
            self.traffic.send_text(conversation, at, text)

    def handoff(self, at: int, leaf: int, topic: words.Topic, question: str) -> None:
        self.steps.append(("do", lambda: self._handoff(at, leaf, topic, question)))

    def _handoff(self, at: int, leaf: int, topic: words.Topic, question: str) -> None:
        stored = self.conversation
        assert stored is not None  # noqa: S101 (the citizen writes first)
        row = _row_of(stored, self.channel, at)
        with self.run.live_case():
            _whatsapp_case(self.run, row, at, leaf, topic, question, stored.identity_id)
        _touch(stored, row)


def _play(traffic: Traffic, channel: Channel, wave: list[_SessionLive]) -> None:
    """Play the recorded sessions of a wave in step: at each step, the citizens' messages of
    every session in one delivery (Meta batches them), then what the city answers to each.
    A wave holds one session per citizen, so each session's messages keep their order and a
    reply's window sees exactly the citizen's messages before it."""
    step = 0
    while True:
        playing = [s for s in wave if step < len(s.steps)]
        if not playing:
            return
        inbound = [(s, s.steps[step][1]()) for s in playing if s.steps[step][0] == "in"]
        if inbound:
            traffic.whatsapp_many([(s.number, s.name, message) for s, message in inbound])
            missing = {message["id"]: s for s, message in inbound if s.conversation is None}
            if missing:
                for stored in Message.objects.select_related("conversation").filter(
                    channel=channel, external_id__in=list(missing)
                ):
                    missing[stored.external_id].conversation = stored.conversation
        for session in playing:
            kind, action = session.steps[step]
            if kind == "do":
                action()
        step += 1


def _whatsapp_session(run: Run, start: int, out: _Session) -> int:
    """One session with the assistant; returns the time of the citizen's last message."""
    city, rnd, texts = run.city, run.rnd, run.texts
    at = start

    def say(text: str, inbound: bool, gap: int, *, choice: str = "", survey: bool = False) -> None:
        nonlocal at
        at += gap
        if inbound:
            out.inbound(at, text, choice)
        else:
            out.outbound(at, text, survey)

    say(rnd.choice(words.WHATSAPP_GREETINGS), True, 0)
    say(words.WHATSAPP_MENU, False, 2)
    handoff = None
    for turn in range(1 + (rnd.random() < 0.35)):
        if turn:
            say("MENU", True, rnd.randint(20, 180))
            say(words.WHATSAPP_MENU, False, 2)
        area = rnd.choices(range(len(city.areas)), weights=city.area_shares.tolist())[0]
        code = city.areas[area]
        letter = words.WHATSAPP_LETTERS.get(code, "L")
        say(letter, True, rnd.randint(5, 90))
        if letter == "L":
            say(texts.fill(rnd.choice(words.WHATSAPP_ALERTS), at), False, 2)
            continue
        options = city.leaves_of(area)
        leaf = int(options[rnd.randrange(len(options))])
        topic = city.leaf_topic[leaf]
        answer = texts.answer(topic, "information", at)
        say(words.WHATSAPP_CARD.format(summary=topic.summary, answer=answer), False, 2)
        if rnd.random() < 0.04:
            handoff = (leaf, topic)
            break
    if handoff is not None:
        leaf, topic = handoff
        say(words.WHATSAPP_HANDOFF, True, rnd.randint(20, 240))
        say(words.WHATSAPP_HANDOFF_REPLY, False, 2)
        question = texts.request(topic, "information", at)
        say(question, True, rnd.randint(30, 300))
        out.handoff(at, leaf, topic, question)
    elif rnd.random() < 0.6:
        # The survey goes out after ten minutes of silence, as a list of the five scores.
        say(words.WHATSAPP_SURVEY, False, 600, survey=True)
        if rnd.random() < 0.5:
            score = rnd.choices(SURVEY_SCORES, weights=SURVEY_WEIGHTS)[0]
            say(str(score), True, rnd.randint(20, 600), choice=f"voto-{score}")
            say(words.WHATSAPP_THANKS, False, 2)
    out.finish()
    return out.last_inbound


def _whatsapp_case(
    run: Run,
    conversation: ConversationRow,
    at: int,
    leaf: int,
    topic: words.Topic,
    question: str,
    identity_id: int,
) -> None:
    """A hand-off: the question opens a case (`TicketIntake.thread` with the assistant's
    hints), which a contact-center operator answers on WhatsApp."""
    city, replay, rnd, texts = run.city, run.replay, run.rnd, run.texts
    theme_id = city.leaf_theme_id[leaf]
    subject = question[:60] + ("…" if len(question) > 60 else "")
    try:
        case = replay.open(
            code=run.codes.next(),
            channel=conversation.channel,
            conversation=conversation,
            route=city.route("whatsapp", theme_id, "information"),
            at=at,
            kind="information",
            theme_id=theme_id,
            subject=subject,
            description=question,
            identity_id=identity_id,
            citizen_id=None,
        )
    except Beyond:
        return
    try:
        operator = run.pick(city.staff[ref.FIRST_LEVEL_TEAM])
        taken = office_hours_after(at + rnd.randint(120, 1800), city.calendar)
        replay.assign(case, taken, operator, operator)
        answer = texts.answer(topic, "information", at)
        replay.resolve(case, taken + rnd.randint(300, 2400), operator, answer, notify=True)
        run.close_later(case)
    except Beyond:
        pass
    replay.finish(case)
