"""How each kind of contact becomes rows: calls to 020202 and Scrivi requests.

Each function walks a plan in order of arrival and replays, for every contact, the actions an
operator would have taken (replay.py), then lets the sink write the rows in batches.
"""

from __future__ import annotations

import csv
import random
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ascolto.channels.models import Conversation, Message
from ascolto.contactcenter.actions import COLUMNS, SLOT_MINUTES, csv_records, import_call_records
from ascolto.contactcenter.models import CallbackBooking, CallRecord
from ascolto.core.errors import DomainError
from ascolto.demo import reference as ref
from ascolto.demo.city import KINDS, CampaignInfo, City
from ascolto.demo.plan import DAY, WEB_BUCKETS, Calls, Web
from ascolto.demo.registry import Registry
from ascolto.demo.replay import Beyond, Case, ConversationRow, Desk, Replay, Staff
from ascolto.demo.texts import Topic, Writer, greeting
from ascolto.demo.timeline import ROME, office_hours_after, to_datetime
from ascolto.demo.writer import Ids, Sink, reset_sequences
from ascolto.organisation.models import User
from ascolto.tickets.codes import ALPHABET

if TYPE_CHECKING:
    from ascolto.demo.meta import Traffic

Progress = Callable[[str, int], None]

QUEUES = {
    "anagrafe": ("anagrafe", 1),
    "tributi": ("tributi", 2),
    "polizia-locale": ("polizia-locale", 3),
    "sociale": ("sociale", 4),
    "casa": ("sociale", 4),
}
GENERAL_QUEUE = ("generale", 9)
CALLBACK_SLOT = SLOT_MINUTES * 60  # the contact center books callbacks in half hours
AUTO_CLOSE = 7 * DAY  # resolved cases are closed after a week without news from the citizen


class Codes:
    """Public tracking codes like `codes.new_code()` makes them (12 characters of Crockford's
    base 32, in groups of four), drawn from the run's seeded generator instead of the system's
    CSPRNG so the same seed gives the same codes; duplicates are drawn again."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.seen: set[int] = set()
        self.batch: list[str] = []
        self.alphabet = np.array(list(ALPHABET))

    def next(self) -> str:
        if not self.batch:
            fresh = []
            for value in self.rng.integers(0, 1 << 60, 50_000, dtype=np.int64).tolist():
                if value not in self.seen:
                    self.seen.add(value)
                    fresh.append(value)
            digits = (np.array(fresh, dtype=np.int64)[:, None] >> np.arange(55, -1, -5)) & 31
            chars = self.alphabet[digits]
            self.batch = [f"{''.join(c[:4])}-{''.join(c[4:8])}-{''.join(c[8:])}" for c in chars]
            self.batch.reverse()
        return self.batch.pop()


class LiveCase:
    """A case replayed (as rows) on a conversation intake stored: the ids continue after what
    intake inserted, and the case's rows are written at once, the sequences moved past them,
    so the next message intake stores takes the id after them."""

    def __init__(self, run: Run) -> None:
        self.run = run

    def __enter__(self) -> None:
        self.run.sink.flush()
        self.run.ids.resync()

    def __exit__(self, *exc: object) -> None:
        self.run.sink.flush()
        reset_sequences()


@dataclass
class Run:
    """Everything a flow needs."""

    city: City
    replay: Replay
    sink: Sink
    ids: Ids
    rnd: random.Random
    texts: Writer
    codes: Codes
    registry: Registry
    # The webhook and Graph server of Meta's channels (`demo/meta.py`); None: the bulk path.
    meta: Traffic | None = None

    def live_case(self) -> LiveCase:
        """Around a case replayed on a conversation the Meta traffic made: see `LiveCase`."""
        return LiveCase(self)

    def campaign(self, index: int) -> CampaignInfo | None:
        """The campaign of a plan's campaign index (-1: none)."""
        return self.city.campaign_list[index] if index >= 0 else None

    def pick(self, staff: tuple[Staff, ...]) -> Staff:
        return staff[self.rnd.randrange(len(staff))]

    def desk(self, leaf: int, info: CampaignInfo | None) -> Desk:
        if info is not None:
            return self.rnd.choices(info.desks, weights=info.desk_weights)[0]
        desk = self.city.leaf_desk[leaf]
        if desk is None:
            raise AssertionError("plan bug: escalating a case the first level is competent for")
        return desk

    def theme_id(self, leaf: int, on_parent: bool) -> int:
        parent = self.city.leaf_parent_id[leaf]
        return parent if on_parent and parent is not None else self.city.leaf_theme_id[leaf]

    def extra_tags(self, case: Case, at: int, actor: Staff, info: CampaignInfo | None) -> None:
        if info is None or not info.extra_tags:
            return
        tags = [(tag, slug) for tag, slug, share in info.extra_tags if self.rnd.random() < share]
        if tags:
            self.replay.tag(case, at, actor, tags)

    def at_work(self, at: int, before: int) -> int:
        """`at`, moved to the next office hours when that still comes before `before`."""
        moved = office_hours_after(at, self.city.calendar)
        return moved if moved < before - 60 else at

    def close_later(self, case: Case) -> None:
        self.replay.close(case, case.last + AUTO_CLOSE + self.rnd.randint(0, 3600), None)


def write_calls(run: Run, calls: Calls, progress: Progress) -> int:
    """Call records for every call; a conversation and a case for every answered one.

    The call records arrive as the telephony system's would: written to a CSV export and
    imported through `contactcenter.actions.import_call_records`, the same import a supervisor
    runs, so the demo exercises it. The conversation of each answered call is then linked to
    its record, as `log_call` does when the operator gives the call's id."""
    city, sink = run.city, run.sink
    channel = city.channels["tel-020202"]
    operators = city.staff[ref.FIRST_LEVEL_TEAM]
    usernames = dict(
        User.objects.filter(pk__in=[o.id for o in operators]).values_list("pk", "username")
    )
    queue_of = [QUEUES.get(city.areas[int(a)], GENERAL_QUEUE) for a in city.leaf_area]
    position = [
        int(np.sum(city.leaf_area[:i] == city.leaf_area[i])) + 1 for i in range(len(city.leaves))
    ]
    cases = 0
    links: dict[str, int] = {}  # call id -> conversation id
    with tempfile.TemporaryDirectory() as folder:
        export = Path(folder) / "chiamate-020202.csv"
        with export.open("w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle)
            out.writerow([column.name for column in COLUMNS])
            for i in range(len(calls.at)):
                at, wait, talk = int(calls.at[i]), int(calls.wait[i]), int(calls.talk[i])
                person, leaf = int(calls.person[i]), int(calls.leaf[i])
                identity = int(run.registry.phone_identity[person])
                queue, digit = queue_of[leaf]
                external_id = f"{at}.{i}"
                answered_at, ended, agent = "", at + wait, ""
                if not calls.abandoned[i]:
                    answered, ended = at + wait, at + wait + talk
                    operator = operators[int(calls.operator[i]) % len(operators)]
                    conversation = ConversationRow(
                        id=run.ids.take(Conversation),
                        channel=channel,
                        identity_id=identity,
                        started_at=to_datetime(answered),
                        last_message_at=to_datetime(answered),
                    )
                    links[external_id] = conversation.id
                    answered_at, agent = to_datetime(answered).isoformat(), usernames[operator.id]
                    _phone_case(run, calls, i, conversation, operator, answered, ended)
                    sink.add(conversation, Conversation)
                    cases += 1
                out.writerow(
                    [
                        external_id,
                        queue,
                        to_datetime(at).isoformat(),
                        answered_at,
                        to_datetime(ended).isoformat(),
                        wait,
                        0 if calls.abandoned[i] else talk,
                        int(calls.abandoned[i]),
                        "" if calls.withheld[i] else run.registry.phone_number(person),
                        f"{digit}>{position[leaf]}",
                        agent,
                    ]
                )
                if i % 2_000 == 0:
                    sink.maybe_flush()
                    progress("calls", i)
        sink.flush()
        report = import_call_records(csv_records(export))
    if not report.ok:
        first = report.errors[0]
        raise DomainError(
            f"The demo's call records were refused: line {first.line}, {first.column}: "
            f"{first.message} ({report.error_count} bad rows)"
        )
    sink.written[CallRecord] += report.created
    pairs = CallRecord.objects.values_list("external_id", "pk").iterator(chunk_size=20_000)
    sink.update(
        CallRecord,
        "conversation_id",
        [(links[external_id], pk) for external_id, pk in pairs if external_id in links],
    )
    return cases


def _phone_case(
    run: Run,
    calls: Calls,
    i: int,
    conversation: ConversationRow,
    operator: Staff,
    answered: int,
    ended: int,
) -> None:
    city, replay, rnd, texts = run.city, run.replay, run.rnd, run.texts
    person, leaf = int(calls.person[i]), int(calls.leaf[i])
    topic: Topic = city.leaf_topic[leaf]
    kind = KINDS[int(calls.kind[i])]
    theme_id = run.theme_id(leaf, bool(calls.on_parent[i]))
    info = run.campaign(int(calls.campaign[i]))
    request = texts.request(topic, kind, answered)
    if kind == "callback":
        _book_callback(run, person, leaf, theme_id, info, request, operator, ended, conversation)
        return
    opened = answered + max(15, (ended - answered) // 5)
    case = replay.open(
        code=run.codes.next(),
        channel=conversation.channel,
        conversation=conversation,
        route=city.route("phone", theme_id, kind),
        at=opened,
        kind=kind,
        theme_id=theme_id,
        subject=topic.summary,
        description=texts.phone_description(topic, kind, request),
        identity_id=conversation.identity_id,
        citizen_id=run.registry.citizen_id(person),
        place=texts.address() if kind == "disservice" else "",
        campaign=info.campaign if info else None,
        actor=operator,
    )
    try:
        replay.assign(case, opened + 1, operator, operator)
        run.extra_tags(case, opened + 2, operator, info)
        answer = texts.answer(topic, kind, answered)
        if calls.escalate[i]:
            desk = run.desk(leaf, info)
            replay.escalate(case, ended + rnd.randint(5, 120), operator, desk, texts.note())
            clerk = run.pick(desk.staff)
            taken = office_hours_after(ended + int(rnd.expovariate(1 / (0.6 * DAY))), city.calendar)
            replay.assign(case, taken, clerk, clerk)
            median = 70.0 if info is not None and info.spec.code == "tari" else 4.0
            days = rnd.lognormvariate(np.log(median), 0.8 if median > 10 else 1.0)
            done = office_hours_after(opened + int(days * DAY), city.calendar)
            replay.resolve(
                case,
                max(done, taken + 600),
                clerk,
                texts.phone_resolution(answer, True),
                notify=False,
            )
        else:
            replay.resolve(
                case, ended, operator, texts.phone_resolution(answer, False), notify=False
            )
        run.close_later(case)
    except Beyond:
        pass
    replay.finish(case)


def _book_callback(
    run: Run,
    person: int,
    leaf: int,
    theme_id: int,
    info: CampaignInfo | None,
    request: str,
    operator: Staff,
    ended: int,
    call: ConversationRow,
) -> None:
    """The caller asks to be called back: `contactcenter.actions.book_callback`, as the
    operator runs it at the end of the call. A conversation and a case of kind callback of its
    own, due at the end of a half-hour slot of the next working hours, and the booking; in the
    slot an operator calls back and resolves the case. The call itself opens no case."""
    city, replay, rnd, texts = run.city, run.replay, run.rnd, run.texts
    booked = ended - rnd.randint(5, 30)
    start = office_hours_after(booked + rnd.randint(2 * 3600, 20 * 3600), city.calendar)
    start -= start % CALLBACK_SLOT
    start += CALLBACK_SLOT if start <= booked else 0
    conversation = ConversationRow(
        id=run.ids.take(Conversation),
        channel=call.channel,
        identity_id=call.identity_id,
        started_at=to_datetime(booked),
        last_message_at=to_datetime(booked),
        subject="Richiamata",
    )
    case = replay.open(
        code=run.codes.next(),
        channel=call.channel,
        conversation=conversation,
        route=city.route("phone", theme_id, "callback"),
        at=booked,
        kind="callback",
        theme_id=theme_id,
        subject=f"Richiamata {to_datetime(start).astimezone(ROME):%d/%m %H:%M}",
        description=request,
        identity_id=call.identity_id,
        citizen_id=run.registry.citizen_id(person),
        actor=operator,
        due_at=to_datetime(start + CALLBACK_SLOT),
    )
    run.sink.values(
        CallbackBooking,
        id=run.ids.take(CallbackBooking),
        ticket_id=case.ticket.id,
        phone=run.registry.phone_number(person),
        slot_start=to_datetime(start),
        slot_end=to_datetime(start + CALLBACK_SLOT),
        requested_via=CallbackBooking.Via.OPERATOR,
        created_at=to_datetime(booked),
    )
    try:
        if info is not None:
            replay.link_campaign(case, booked + 1, operator, info.campaign)
        caller = run.pick(city.staff[ref.FIRST_LEVEL_TEAM])
        calling = start + rnd.randint(0, CALLBACK_SLOT - 300)
        replay.assign(case, calling, caller, caller)
        answer = texts.answer(city.leaf_topic[leaf], "callback", booked)
        replay.resolve(
            case,
            calling + rnd.randint(60, 480),
            caller,
            texts.phone_resolution(answer, True),
            notify=False,
        )
        run.close_later(case)
    except Beyond:
        pass
    replay.finish(case)
    run.sink.add(conversation, Conversation)


def _bucket(seconds: int) -> int:
    days = seconds / DAY
    for index, (upper, _share) in enumerate(WEB_BUCKETS):
        if upper is None or days < upper:
            return index
    return len(WEB_BUCKETS) - 1


def write_web(run: Run, web: Web, progress: Progress) -> int:
    """Scrivi requests: the form submission, the acknowledgement, the back office's work, the
    answer by email, and the second-level office's when the case is escalated."""
    city, replay, sink, rnd, texts = run.city, run.replay, run.sink, run.rnd, run.texts
    channel = city.channels["scrivi"]
    clerks = city.staff[ref.SCRIVI_TEAM]
    for i in range(len(web.at)):
        at = int(web.at[i])
        person = int(run.registry.web_person[int(web.person[i])])
        leaf = int(web.leaf[i])
        topic = city.leaf_topic[leaf]
        kind = KINDS[int(web.kind[i])]
        theme_id = run.theme_id(leaf, bool(web.on_parent[i]))
        info = run.campaign(int(web.campaign[i]))
        people = run.registry.people
        dear = greeting(
            people.first_name(person), people.last_name(person), run.registry.female(person)
        )
        text = texts.request(topic, kind, at)
        conversation = ConversationRow(
            id=run.ids.take(Conversation),
            channel=channel,
            identity_id=int(run.registry.email_identity[person]),
            subject=topic.summary,
            started_at=to_datetime(at),
            last_message_at=to_datetime(at),
        )
        attachments = []
        if kind == "disservice" and rnd.random() < 0.3:
            attachments = [_photo(rnd)]
        replay.message(
            conversation,
            Message.Direction.INBOUND,
            at,
            text,
            subject=topic.summary,
            external_id=f"scrivi-{uuid.UUID(int=rnd.getrandbits(128), version=4)}",
            attachments=attachments,
        )
        case = replay.open(
            code=run.codes.next(),
            channel=channel,
            conversation=conversation,
            route=city.route("web", theme_id, kind),
            at=at,
            kind=kind,
            theme_id=theme_id,
            subject=topic.summary,
            description=text,
            identity_id=conversation.identity_id,
            citizen_id=run.registry.citizen_id(person),
            place=texts.address() if kind == "disservice" else "",
            campaign=info.campaign if info else None,
        )
        duration = int(web.duration[i])
        written_case(
            run, case, at, duration, bool(web.escalate[i]), leaf, info, clerks, dear,
            texts.answer(topic, kind, at),
        )  # fmt: skip
        sink.add(conversation, Conversation)
        if i % 1_000 == 0:
            sink.maybe_flush()
            progress("web", i)
    sink.flush()
    return len(web.at)


def written_case(
    run: Run,
    case: Case,
    at: int,
    duration: int,
    escalate: bool,
    leaf: int,
    info: CampaignInfo | None,
    clerks: tuple[Staff, ...],
    dear: str,
    answer: str,
) -> None:
    """The life of a case opened by a written message (Scrivi, email), resolved `duration`
    seconds after it was opened with an answer sent by email."""
    city, replay, rnd, texts = run.city, run.replay, run.rnd, run.texts
    resolved = at + duration
    # Answers go out in office hours when that keeps the resolution time in its bucket (the
    # published buckets are exact; a Sunday-night request answered 'within a day' stays so).
    snapped = office_hours_after(resolved, city.calendar)
    if _bucket(snapped - at) == _bucket(duration) and snapped < replay.horizon:
        resolved = snapped
    span = resolved - at
    clerk = run.pick(clerks)

    def between(low: float, high: float) -> int:
        """A working moment a fraction of the way from the last step to the resolution."""
        left = resolved - case.last
        return run.at_work(case.last + int(left * rnd.uniform(low, high)), resolved)

    try:
        replay.acknowledge(case, at + rnd.randint(1, 4))
        replay.assign(
            case,
            run.at_work(at + max(60, int(span * rnd.uniform(0.03, 0.2))), resolved),
            clerk,
            clerk,
        )
        run.extra_tags(case, case.last + 30, clerk, info)
        handler = clerk
        if escalate:
            desk = run.desk(leaf, info)
            if rnd.random() < 0.4:
                forwarded = texts.forwarded(desk.name, case.ticket.code, clerk.name)
                replay.reply(case, between(0.01, 0.05), clerk, forwarded)
            replay.escalate(case, between(0.02, 0.2), clerk, desk, texts.note())
            handler = run.pick(desk.staff)
            replay.assign(case, between(0.05, 0.3), handler, handler)
        if span > 2 * DAY and rnd.random() < (0.15 if escalate else 0.08):
            asked = between(0.1, 0.3)
            replay.wait(case, asked, handler, texts.question(dear, handler.name))
            answered = asked + int((resolved - asked) * rnd.uniform(0.2, 0.7))
            replay.citizen_writes(
                case,
                answered,
                texts.citizen_reply(),
                f"<{uuid.UUID(int=rnd.getrandbits(128), version=4)}@example.org>",
                [_document(rnd)] if rnd.random() < 0.7 else None,
            )
        replay.resolve(
            case, resolved, handler, texts.letter(answer, dear, handler.name), notify=True
        )
        run.close_later(case)
    except Beyond:
        pass
    replay.finish(case)


def _photo(rnd: random.Random) -> dict[str, object]:
    return {
        "name": f"IMG_{rnd.randint(1000, 9999)}.jpg",
        "content_type": "image/jpeg",
        "size": rnd.randint(400_000, 4_000_000),
        "url": "",
    }


def _document(rnd: random.Random) -> dict[str, object]:
    return {
        "name": rnd.choice(("documento.pdf", "ricevuta.pdf", "planimetria.pdf", "scansione.pdf")),
        "content_type": "application/pdf",
        "size": rnd.randint(80_000, 2_000_000),
        "url": "",
    }
