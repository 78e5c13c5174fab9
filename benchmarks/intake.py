"""Messages per second through intake (`channels.intake.receive_many`), SQLite and PostgreSQL.

    python benchmarks/intake.py [--messages 6000] [--workers 2] [--batch 200]
                                [--databases sqlite,postgres]

Each run uses a fresh database (a temporary SQLite file; PostgreSQL database `ascolto_bench`,
dropped and re-created, at $BENCH_POSTGRES_URL or postgres://postgres@127.0.0.1:5432), migrates
it, configures the channels, routing rules and SLA of a city, then feeds a realistic mix:

- 40 % Scrivi web-form submissions (new citizen details, new case, SLA, acknowledgement queued),
- 35 % WhatsApp messages, most continuing an open conversation,
- 20 % emails to the URP mailbox, some replying in an existing thread,
- 5 % webhook re-deliveries of a message already received (must change nothing).

Messages go through intake in batches of `--batch`, as a webhook delivery or the intake queue
hands them over, and one at a time (a batch of one: what a lone webhook call costs). Follow-up
work goes to the production task backend (django-tasks database backend): intake stores the
task, a worker would run it. `--workers` processes share the load, as web workers do behind a
load balancer. Budget (DESIGN §6): >= 1,000 messages/s on PostgreSQL on 2 cores.

Each configuration runs `--rounds` times (3), each on a fresh copy of the migrated database
(migrated once per database); it prints the median and the spread (lowest–highest), the load
average at the start, and on PostgreSQL the write cost the cases table's indexes add: how many
indexes each new case writes an entry in, and their size per 1,000 cases after the run (issue
19, decision 0029). `$BENCH_POSTGRES_DB` names the database (default `ascolto_bench`) so two
runs side by side do not drop each other's.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import figures

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

PG_BASE = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
PG_NAME = os.environ.get("BENCH_POSTGRES_DB", "ascolto_bench")


def _django(database_url: str | None) -> None:
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ["ASCOLTO_TASK_BACKEND"] = "database"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ascolto.config.settings")
    os.environ["ASCOLTO_LOG_LEVEL"] = "WARNING"
    import django

    django.setup()


def _prepare(env: dict[str, str]) -> None:
    subprocess.run(  # noqa: S603
        [sys.executable, "-m", "ascolto", "migrate", "-v0"], env=env, check=True, cwd=ROOT
    )
    code = (
        "from ascolto.channels.models import Channel\n"
        "def c(kind, code, name, config=None):\n"
        "    channel = Channel(kind=kind, code=code, name=name, config=config or {})\n"
        "    channel.full_clean()\n"
        "    channel.save()\n"
        "from ascolto.tickets.models import SlaPolicy, RoutingRule\n"
        "from ascolto.organisation.models import Office\n"
        "crm = Office.objects.create(name='Contact Center', code='cc', kind='unit')\n"
        "sla = SlaPolicy.objects.create(code='scrivi-30', name='Scrivi', resolution_days=30)\n"
        "RoutingRule.objects.create(name='Scrivi', priority=10, channel_kind='web', office=crm,"
        " sla_policy=sla)\n"
        "RoutingRule.objects.create(name='Tutto', priority=100, office=crm)\n"
        "c('web', 'scrivi', 'Scrivi')\n"
        "c('email', 'email-urp', 'URP', {'address': 'urp@comune.example.it'})\n"
        "c('whatsapp', 'whatsapp', 'WhatsApp', {'phone_number_id': '106540352242922',"
        " 'opens_cases': True})\n"
    )
    subprocess.run(  # noqa: S603
        [sys.executable, "-m", "ascolto", "shell", "-c", code],
        env=env,
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _messages(worker: int, count: int, seed: int) -> list[object]:
    from ascolto.channels.inbound import CaseHints, InboundMessage
    from ascolto.citizens.sender import Sender

    rng = random.Random(seed * 1000 + worker)  # noqa: S311
    start = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    themes = ["tari-pagamento", "cie-rinnovo", "pass-residenti", "nidi-domanda", "verbali-ricorsi"]
    out: list[object] = []
    for i in range(count):
        at = start + timedelta(seconds=i * 3 + worker)
        roll = rng.random()
        if roll < 0.40:
            n = f"{worker}-{i}"
            out.append(
                InboundMessage(
                    channel="scrivi",
                    external_id=f"web-{n}",
                    handle_kind="email",
                    handle=f"cittadino{n}@example.org",
                    subject="Richiesta informazioni",
                    text="Buongiorno, vorrei sapere come pagare la TARI di quest'anno. " * 3,
                    sent_at=at,
                    sender=Sender(
                        first_name="Maria",
                        last_name=f"Rossi {n}",
                        email=f"cittadino{n}@example.org",
                    ),
                    hints=CaseHints(kind="information", theme=rng.choice(themes)),
                    privacy_notice="2026-11-22",
                )
            )
        elif roll < 0.75:
            person = rng.randrange(200)
            out.append(
                InboundMessage(
                    channel="whatsapp",
                    external_id=f"wamid.{worker}.{i}",
                    handle_kind="whatsapp",
                    handle=f"39333{worker}{person:05d}",
                    text="Buongiorno, orari anagrafe?",
                    sent_at=at,
                    display_name="Giulia",
                )
            )
        elif roll < 0.95:
            thread = rng.randrange(300)
            out.append(
                InboundMessage(
                    channel="email-urp",
                    external_id=f"<{worker}.{i}@mail.example.org>",
                    handle_kind="email",
                    handle=f"Utente{thread}.W{worker}@Example.org",
                    thread_id=f"<thread-{worker}-{thread}@mail.example.org>",
                    subject="Segnalazione",
                    text="Segnalo una buca in via Padova 12.",
                    sent_at=at,
                )
            )
        elif out:
            out.append(out[rng.randrange(len(out))])
    return out


def _worker(database_url: str | None, worker: int, count: int, batch: int, queue: Any) -> None:
    _django(database_url)
    from ascolto.channels.intake import Received, receive_many

    messages: list[Any] = _messages(worker, count, seed=7 + batch)
    receive_many(messages[:1])  # warm up the connection
    started = time.perf_counter()
    duplicates = errors = 0
    for start in range(1, len(messages), batch):
        for outcome in receive_many(messages[start : start + batch]):
            if isinstance(outcome, Received):
                duplicates += outcome.duplicate
            else:
                errors += 1
    elapsed = time.perf_counter() - started
    queue.put((len(messages) - 1, duplicates, errors, elapsed))


def run(database_url: str | None, messages: int, workers: int, batch: int) -> tuple[float, int]:
    """(messages/s, re-deliveries) of one run on an already migrated and configured database."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    per_worker = messages // workers
    procs = [
        ctx.Process(target=_worker, args=(database_url, w, per_worker, batch, queue))
        for w in range(workers)
    ]
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    total = sum(r[0] for r in results)
    errors = sum(r[2] for r in results)
    busiest = max(r[3] for r in results)
    if errors:
        raise SystemExit(f"{errors} messages were refused: the benchmark input is wrong")
    return total / busiest, sum(r[1] for r in results)


def _env(database_url: str | None) -> dict[str, str]:
    env = dict(os.environ, ASCOLTO_TASK_BACKEND="database", ASCOLTO_LOG_LEVEL="WARNING")
    if database_url:
        env["DATABASE_URL"] = database_url
    else:
        env.pop("DATABASE_URL", None)
    return env


def _psql(sql: str, database: str = "postgres") -> str:
    done = subprocess.run(  # noqa: S603
        ["psql", f"{PG_BASE}/{database}", "-qAtc", sql],  # noqa: S607
        check=True,
        capture_output=True,
        text=True,
        env=dict(os.environ, PGOPTIONS="-c client_min_messages=warning"),
    )
    return done.stdout.strip()


def _index_cost(database: str) -> str:
    """The cases table's indexes after a run: how many, and their size per 1,000 cases."""
    row = _psql(
        "SELECT count(*), sum(pg_relation_size(indexrelid)), "
        "(SELECT count(*) FROM tickets_ticket) FROM pg_index "
        "WHERE indrelid = 'tickets_ticket'::regclass",
        database,
    )
    indexes, size, cases = (int(x) for x in row.split("|"))
    per_thousand = size / 1024 / max(cases, 1) * 1000
    return f"tickets_ticket: {indexes} indexes, {per_thousand:.0f} kB per 1,000 cases"


class Database:
    """A database migrated and configured once, copied fresh for each round."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        if kind == "postgres":
            self.template = f"{PG_NAME}_template"
            for sql in (
                f"DROP DATABASE IF EXISTS {self.template}",
                f"CREATE DATABASE {self.template}",
            ):
                _psql(sql)
            _prepare(_env(f"{PG_BASE}/{self.template}"))
        elif kind == "sqlite":
            self.template_dir = tempfile.mkdtemp(prefix="intake-template-")
            os.environ["ASCOLTO_VAR_DIR"] = self.template_dir
            _prepare(_env(None))
        else:
            raise SystemExit(f"unknown database {kind!r}: use sqlite and/or postgres")

    @property
    def name(self) -> str:
        return "PostgreSQL" if self.kind == "postgres" else "SQLite"

    def fresh(self) -> str | None:
        """A fresh copy for one round: its URL (PostgreSQL) or None (SQLite, `ASCOLTO_VAR_DIR`)."""
        if self.kind == "postgres":
            _psql(f"DROP DATABASE IF EXISTS {PG_NAME}")
            _psql(f"CREATE DATABASE {PG_NAME} TEMPLATE {self.template}")
            return f"{PG_BASE}/{PG_NAME}"
        run_dir = tempfile.mkdtemp(prefix="intake-run-")
        for name in os.listdir(self.template_dir):
            shutil.copy(os.path.join(self.template_dir, name), run_dir)
        os.environ["ASCOLTO_VAR_DIR"] = run_dir
        return None

    def close(self) -> None:
        if self.kind == "postgres":
            _psql(f"DROP DATABASE IF EXISTS {self.template}")
        else:
            shutil.rmtree(self.template_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=6000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=200)
    figures.rounds_option(parser)
    parser.add_argument("--databases", default="sqlite,postgres")
    args = parser.parse_args()
    print(
        f"intake benchmark: {args.messages} messages per run, {args.rounds} round(s) each on a "
        f"fresh database, {figures.machine()}",
        flush=True,
    )
    # (batch, workers, messages): one at a time on a tenth of the messages, it is slow.
    runs = [(1, 1, max(args.messages // 10, 100)), (args.batch, 1, args.messages)]
    if args.workers > 1:
        runs.append((args.batch, args.workers, args.messages))
    for kind in args.databases.split(","):
        database = Database(kind)
        try:
            for batch, workers, count in runs:
                rates: list[float] = []
                cost = ""
                for _ in range(args.rounds):
                    url = database.fresh()
                    rate, dups = run(url, count, workers, batch)
                    rates.append(rate)
                    if kind == "postgres":
                        cost = _index_cost(PG_NAME)
                    else:
                        shutil.rmtree(os.environ["ASCOLTO_VAR_DIR"], ignore_errors=True)
                print(
                    f"{database.name:<10}  batch {batch:>4}  {workers} worker(s)  {count:>6} "
                    f"messages ({dups:>4} re-deliveries)  {figures.spread(rates, 'messages/s')}"
                    + (f"  {cost}" if cost else "")
                )
        finally:
            database.close()
            if kind == "postgres":
                _psql(f"DROP DATABASE IF EXISTS {PG_NAME}")
    print(figures.at_end())


if __name__ == "__main__":
    main()
