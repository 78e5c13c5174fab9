"""Generate the demo city's year: plan it with numpy, then write it in bulk, phase by phase.

Deterministic for a given (seed, scale, end): every random draw comes from generators seeded
from `seed` (numpy's, one per phase, and one `random.Random` for the texts), never from global
state, and ids continue from an empty database the same way on SQLite and PostgreSQL.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from faker import Faker

from ascolto.channels.models import Conversation, Message
from ascolto.citizens.models import Citizen, Identity
from ascolto.contactcenter.models import CallRecord
from ascolto.core import maintenance
from ascolto.core.errors import DomainError
from ascolto.demo.assistant import disconnect, play_month
from ascolto.demo.charters import seed_charters
from ascolto.demo.city import load_city
from ascolto.demo.flows import Codes, Run, write_calls, write_web
from ascolto.demo.flows_online import write_emails, write_social, write_whatsapp
from ascolto.demo.ivr import seed_ivr
from ascolto.demo.listening import write_ratings
from ascolto.demo.meta import local_meta
from ascolto.demo.plan import plan_calls, plan_emails, plan_web
from ascolto.demo.population import Names
from ascolto.demo.questionnaire import write_questionnaire
from ascolto.demo.registry import build_registry
from ascolto.demo.replay import Replay
from ascolto.demo.seed import seed_reference
from ascolto.demo.survey_plan import seed_survey_plan
from ascolto.demo.surveys import write_surveys
from ascolto.demo.texts import Writer
from ascolto.demo.timeline import Window
from ascolto.demo.writer import (
    INSERT_ORDER,
    Ids,
    Sink,
    reset_sequences,
    wipe,
)
from ascolto.tickets.models import Ticket, TicketEvent

Say = Callable[[str], None]

# Up to this scale the social and WhatsApp traffic goes through Meta's webhook and a local Graph
# server (a few thousand requests at the demo's 0.02); above it, it is written as rows, as the
# rest of the city is (a full city-year would post about half a million deliveries).
LIVE_META_SCALE = 0.1


@dataclass
class Report:
    """What a generation wrote: rows per table and seconds per phase."""

    rows: dict[str, int] = field(default_factory=dict)
    phases: list[tuple[str, str, float]] = field(default_factory=list)
    seconds: float = 0.0


class Phases:
    """Prints each phase's outcome with its elapsed time, and progress inside long ones."""

    def __init__(self, say: Say, report: Report) -> None:
        self.say = say
        self.report = report
        self.started = time.monotonic()
        self.phase_started = self.started
        self.next_mark = 0

    def begin(self) -> None:
        self.phase_started = time.monotonic()
        self.next_mark = 250_000

    def progress(self, what: str, done: int) -> None:
        if done >= self.next_mark:
            elapsed = time.monotonic() - self.phase_started
            self.say(f"    … {what}: {done:,} ({elapsed:.0f} s)")
            self.next_mark += 250_000

    def end(self, name: str, summary: str) -> None:
        elapsed = time.monotonic() - self.phase_started
        self.report.phases.append((name, summary, elapsed))
        self.say(f"  {name:<24} {summary}  ({elapsed:.1f} s)")
        self.begin()


def ensure_migrated() -> None:
    """Refuse to write into a database whose schema is behind the code: a missing table would
    surface halfway through a generation as an obscure error."""
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise DomainError(
            "The database has unapplied migrations: run `python -m ascolto migrate` first "
            "(`python -m ascolto demo` does it for you)."
        )


def default_end() -> date:
    """Yesterday in the municipality's time zone."""
    return timezone.localdate() - timedelta(days=1)


def generate(*, seed: int, scale: float, end: date, wipe_first: bool, say: Say) -> Report:
    """Write a city-year of contacts and cases; see docs/demo-city.md."""
    if scale <= 0 or scale > 5:
        raise DomainError(f"--scale must be above 0 and at most 5, not {scale}.")
    report = Report()
    phases = Phases(say, report)
    if Ticket.objects.exists() and not wipe_first:
        raise DomainError(
            "There are cases in the database already: the demo city is generated into an "
            "empty one. Run with --wipe to delete every case, message, conversation, call, "
            "identity and citizen first."
        )
    if wipe_first:
        deleted = wipe()
        phases.end("wipe", f"{sum(deleted.values()):,} rows deleted")
    seed_reference(end, reset_passwords=False)
    window = Window.ending(end)
    city = load_city(window)
    seed_ivr(city)  # the IVR menu the calls' paths go through
    phases.end("reference data", f"window {window.start:%d/%m/%Y}–{window.end:%d/%m/%Y}")

    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(9)]
    rnd = random.Random(seed)
    fake = Faker("it_IT")
    fake.seed_instance(seed)
    calls = plan_calls(city, scale, streams[0])
    web = plan_web(city, scale, calls.persons, streams[1])
    emails = plan_emails(city, scale, streams[2])
    phases.end(
        "plan",
        f"{len(calls.at):,} calls, {len(web.at):,} web requests, {len(emails.at):,} emails",
    )

    _tune_connection()
    ids = Ids(*INSERT_ORDER)
    sink = Sink()
    registry = build_registry(
        calls, web, emails, Names.build(fake), streams[3], rnd, ids, sink, end.year
    )
    phases.end(
        "people", f"{sink.written[Identity]:,} identities, {sink.written[Citizen]:,} citizens"
    )
    kinds = {c.pk: c.kind for c in city.channels.values()}
    replay = Replay(sink, ids, window.horizon_epoch, settings.ASCOLTO_MUNICIPALITY, kinds)
    run = Run(city, replay, sink, ids, rnd, Writer(rnd, end.year), Codes(streams[4]), registry)
    cases = write_calls(run, calls, phases.progress)
    phases.end("020202 calls", f"{len(calls.at):,} calls, {cases:,} cases")
    write_web(run, web, phases.progress)
    phases.end("Scrivi", f"{len(web.at):,} cases")
    write_emails(run, emails, phases.progress)
    sink.update(Identity, "last_seen_at", registry.later_seen(replay.seen))
    phases.end("email", f"{len(emails.at):,} cases")
    if scale <= LIVE_META_SCALE:
        _write_meta_live(run, scale, streams, phases)
    else:
        inbound = write_social(run, scale, streams[5], phases.progress)
        phases.end("social (rows)", f"{inbound:,} inbound messages")
        sessions = write_whatsapp(run, scale, streams[6], phases.progress)
        phases.end("WhatsApp (rows)", f"{sessions:,} sessions")
    phases.end("page ratings", write_ratings(city, scale, streams[7]))
    # Its own stream, so the questionnaire leaves every other generated figure as it was.
    phases.end("questionnaire", write_questionnaire(end.year, np.random.default_rng([seed, 17])))
    phases.end("charters", f"{seed_charters(end)}; {seed_survey_plan(end)}")
    run.sink.flush()  # the resolved cases the post-case survey invites
    phases.end("surveys", write_surveys(city, scale, streams[8]))
    reset_sequences()
    maintenance.analyze(*INSERT_ORDER)  # the planner's statistics of what was just loaded
    phases.end("statistics", "ANALYZE of the loaded tables")

    for model in INSERT_ORDER:
        report.rows[model._meta.label] = sink.written[model]
    report.seconds = time.monotonic() - phases.started
    tickets = sink.written[Ticket]
    say(
        f"  done: {tickets:,} cases, {sink.written[TicketEvent]:,} events, "
        f"{sink.written[Message]:,} messages, {sink.written[Conversation]:,} conversations, "
        f"{sink.written[CallRecord]:,} calls in {report.seconds:.1f} s"
    )
    return report


def _write_meta_live(
    run: Run, scale: float, streams: list[np.random.Generator], phases: Phases
) -> None:
    """Social and WhatsApp through Meta's webhook and a local Graph server (`demo/meta.py`):
    what intake stores takes the database's next ids, so the bulk rows written so far are
    flushed and the sequences moved past them first, and the ids continue after intake's
    rows afterwards."""
    run.sink.flush()
    reset_sequences()
    disconnect(run.city.channels["whatsapp"])
    with local_meta(run.city.channels) as traffic:
        run.meta = traffic
        run.replay.outbound = traffic.reply
        try:
            inbound = write_social(run, scale, streams[5], phases.progress)
            phases.end("social", f"{inbound:,} inbound messages through the webhook")
            sessions = write_whatsapp(run, scale, streams[6], phases.progress)
            phases.end(
                "WhatsApp",
                f"{sessions:,} sessions; {traffic.posted:,} deliveries posted, "
                f"{traffic.sent:,} messages accepted by the Graph server, "
                f"{traffic.failed:,} not sent",
            )
            played = play_month(
                traffic, run.city.channels["whatsapp"], run.city.window.horizon, scale, run.rnd
            )
            phases.end("assistant", f"{played:,} sessions of the last month through the engine")
            run.sink.flush()  # the replies the status webhooks are about
            reported = traffic.report_statuses()
            phases.end("statuses", f"{reported:,} status deliveries from the Graph server")
        finally:
            run.meta = None
            run.replay.outbound = None
    run.sink.flush()
    run.ids.resync()


def _tune_connection() -> None:
    if connection.vendor == "sqlite":
        # A larger page cache for this connection only: the indexes of a million cases no
        # longer fit SQLite's default 8 MB, and every insert would read them from disk again.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -262144")
