"""Mails per second from a real IMAP mailbox into cases (`poll_mailboxes`), SQLite and PostgreSQL.

    python benchmarks/mailboxes.py [--mails 1000] [--databases sqlite,postgres] [--rounds 3]

Starts a throwaway Dovecot on the loopback (as the tests do: Debian's dovecot-imapd), and for
each database a fresh one (a temporary SQLite file; PostgreSQL database `ascolto_bench_email`,
dropped and re-created, at $BENCH_POSTGRES_URL or postgres://postgres@127.0.0.1:5432), migrated,
with one mailbox channel read from Dovecot. It takes in 100 mails first (the existing cases,
not timed), then appends `--mails` mails to the mailbox:

- 85 % new requests from new senders (a case each, with the raw .eml stored),
- 10 % replies to the existing cases (In-Reply-To and References: threaded, no new case),
- 5 % out-of-office auto-replies to them (attached as notes, never a case),

and times one poll that takes them all in: fetched by UID in batches, parsed, threaded, stored,
marked seen. Follow-up work (acknowledgements) goes to the production task backend (stored, not
run). That is one round; each database runs `--rounds` of them (3, `figures.py`) on its
mailbox and tables, each with mails of its own (the mailbox holds only the round's unseen
ones). It prints each round's counts (new cases, replies threaded, auto-replies as notes) and
rate, then the median and range of the rates, after the conditions (mails, rounds, CPUs, load
average at the start) and before the load average at the end. Budget: >= 200 mails/s on
PostgreSQL on this machine (the median).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

import figures

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

PG_BASE = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
PG_NAME = "ascolto_bench_email"
ADDRESS = "urp@comune.example.it"
SEEDED = 100


def _mail(n: int, text: str, *, reply_to: str = "", headers: dict[str, str] | None = None) -> bytes:
    from datetime import UTC, datetime

    message = EmailMessage(policy=SMTP)
    message["From"] = f"Cittadino {n} <cittadino.{n}@example.org>"
    message["To"] = ADDRESS
    message["Subject"] = f"Richiesta {n}" if not reply_to else f"Re: Richiesta {n}"
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(idstring=str(n), domain="mail.example.org")
    if reply_to:
        message["In-Reply-To"] = reply_to
        message["References"] = reply_to
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text + "\n\n" + "Cordiali saluti\n" * 3)
    return message.as_bytes()


def _run(
    name: str, database_url: str | None, account: dict[str, Any], mails: int, rounds: int, out: Any
) -> None:
    """Set up the database and the channel, then run the rounds; put each round's line, then
    the median's, then None on `out`."""
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ["ASCOLTO_TASK_BACKEND"] = "database"
    os.environ["ASCOLTO_LOG_LEVEL"] = "WARNING"
    os.environ["BENCH_MAILBOX_PASSWORD"] = account["password"]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ascolto.config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from tests.email.servers import Account

    from ascolto.channels.adapters.email import mailbox
    from ascolto.channels.models import Channel, Message
    from ascolto.tickets.models import Ticket

    imap = Account(account["host"], account["port"], account["user"], account["password"])
    channel = Channel(
        kind="email",
        code="email-urp",
        name="URP",
        config={
            "address": ADDRESS,
            "imap_host": imap.host,
            "imap_port": imap.port,
            "imap_tls": "none",
            "imap_user": imap.user,
            "imap_password_env": "BENCH_MAILBOX_PASSWORD",
        },
    )
    channel.full_clean()  # as the admin does: the config is checked against the kind's schema
    channel.save()
    seeds = [
        _mail(n, f"Richiesta iniziale {n}: segnalo una buca in via Padova.") for n in range(SEEDED)
    ]
    with imap.open() as box:
        for raw in seeds:
            box.append(raw, "INBOX")
    mailbox.poll(channel)
    seeded_ids = list(
        Message.objects.filter(direction="inbound").values_list("external_id", flat=True)
    )
    rates = []
    for n in range(rounds):
        rate, line = _one_round(channel, imap, seeded_ids, SEEDED + n * mails, mails, Ticket)
        rates.append(rate)
        out.put(f"{name:<10}  round {n + 1}  {line}")
    out.put(f"{name:<10}  over {rounds} rounds: {figures.spread(rates, 'mails/s')}")
    out.put(None)


def _one_round(
    channel: Any, imap: Any, seeded_ids: list[str], first: int, mails: int, tickets: Any
) -> tuple[float, str]:
    """Append `mails` mails numbered from `first` and time the poll that takes them in."""
    from ascolto.channels.adapters.email import mailbox

    tickets_before = tickets.objects.count()
    replies, autos = mails // 10, mails // 20
    batch: list[bytes] = []
    for i in range(mails):
        n = first + i
        if i % 10 == 0 and i // 10 < replies:
            parent = seeded_ids[(i // 10) % len(seeded_ids)]
            batch.append(_mail(n, "Aggiungo la foto richiesta.", reply_to=parent))
        elif i % 20 == 5 and (i // 20) < autos:
            parent = seeded_ids[(i // 20) % len(seeded_ids)]
            batch.append(
                _mail(
                    n,
                    "Sono fuori ufficio fino a lunedì.",
                    reply_to=parent,
                    headers={"Auto-Submitted": "auto-replied"},
                )
            )
        else:
            batch.append(_mail(n, f"Richiesta {n}: il lampione di via Tortona {n} è spento."))
    with imap.open() as box:
        for raw in batch:
            box.append(raw, "INBOX")
    started = time.perf_counter()
    polled = mailbox.poll(channel)
    elapsed = time.perf_counter() - started
    new_cases = tickets.objects.count() - tickets_before
    rate = polled.fetched / elapsed
    return rate, (
        f"{polled.fetched:>5} mails  {new_cases:>4} new cases  "
        f"{polled.cases - new_cases:>4} replies threaded  "
        f"{polled.reports:>3} auto-replies as notes  "
        f"{elapsed:>6.2f} s  {rate:>6.0f} mails/s"
    )


def _print_lines(queue: Any, process: Any) -> None:
    """Print the child's lines until its None; stop if it died without one."""
    import queue as queues

    while True:
        try:
            line = queue.get(timeout=5)
        except queues.Empty:
            if not process.is_alive():
                raise SystemExit(f"the benchmark's process ended with {process.exitcode}") from None
            continue
        if line is None:
            return
        print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=1000)
    parser.add_argument("--databases", default="sqlite,postgres")
    figures.rounds_option(parser)
    args = parser.parse_args()
    from tests.email.servers import Dovecot, dovecot_installed

    if not dovecot_installed():
        raise SystemExit("Dovecot is not installed: run ./scripts/mailserver")
    print(
        f"conditions: {args.mails} mails a round ({args.mails // 10} replies, {args.mails // 20} "
        f"auto-replies), {args.rounds} rounds per database ({args.databases}, fresh, migrated); "
        f"one IMAP poll a round from a local Dovecot; {figures.machine()}",
        flush=True,
    )
    server = Dovecot()
    server.start()
    try:
        ctx = mp.get_context("spawn")
        for database in args.databases.split(","):
            account = server.account()
            details = vars(account)
            queue = ctx.Queue()
            if database == "sqlite":
                with tempfile.TemporaryDirectory() as tmp:
                    os.environ["ASCOLTO_VAR_DIR"] = tmp
                    process = ctx.Process(
                        target=_run,
                        args=("SQLite", None, details, args.mails, args.rounds, queue),
                    )
                    process.start()
                    _print_lines(queue, process)
                    process.join()
            elif database == "postgres":
                admin = f"{PG_BASE}/postgres"
                for sql in (f"DROP DATABASE IF EXISTS {PG_NAME}", f"CREATE DATABASE {PG_NAME}"):
                    subprocess.run(  # noqa: S603
                        ["psql", admin, "-qc", sql],  # noqa: S607
                        check=True,
                        env=dict(os.environ, PGOPTIONS="-c client_min_messages=warning"),
                    )
                with tempfile.TemporaryDirectory() as tmp:
                    os.environ["ASCOLTO_VAR_DIR"] = tmp
                    url = f"{PG_BASE}/{PG_NAME}"
                    process = ctx.Process(
                        target=_run,
                        args=("PostgreSQL", url, details, args.mails, args.rounds, queue),
                    )
                    process.start()
                    _print_lines(queue, process)
                    process.join()
            else:
                raise SystemExit(f"unknown database {database!r}: use sqlite and/or postgres")
    finally:
        server.stop()
    print(figures.at_end())


if __name__ == "__main__":
    main()
