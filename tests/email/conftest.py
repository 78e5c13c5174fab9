"""Fixtures of the mailbox tests: a real IMAP server (Dovecot) and a real SMTP server
(aiosmtpd) on the loopback, and a mailbox channel configured to use them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from ascolto.channels.models import Channel
from tests import personas
from tests.email.servers import Account, Dovecot, Recorder, dovecot_installed, free_port

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "email"
ADDRESS = "buonispesa@comune.example.it"


def fixture(name: str, **replace: str) -> bytes:
    """A replayed mail of tests/fixtures/email, with placeholders (e.g. OUR-MESSAGE-ID) set."""
    raw = (FIXTURES / name).read_bytes()
    for placeholder, value in replace.items():
        raw = raw.replace(placeholder.encode(), value.encode())
    return raw


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    if not dovecot_installed():
        pytest.skip(
            "Dovecot is not installed: the mailbox tests need Debian's dovecot-imapd "
            "(`./scripts/mailserver` installs it)"
        )
    server = Dovecot()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def account(dovecot: Dovecot) -> Account:
    return dovecot.account()


@pytest.fixture
def smtp_server() -> Iterator[tuple[Recorder, int]]:
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield recorder, controller.port
    controller.stop()


@pytest.fixture
def mailbox(
    cast: Any, account: Account, smtp_server: tuple[Recorder, int], monkeypatch: pytest.MonkeyPatch
) -> Channel:
    """The voucher campaign's mailbox, read from Dovecot, replying through aiosmtpd."""
    monkeypatch.setenv("TEST_MAILBOX_PASSWORD", account.password)
    return personas.make_channel(
        "email",
        "casella-test",
        "Casella di prova",
        {
            "address": ADDRESS,
            "imap_host": account.host,
            "imap_port": account.port,
            "imap_tls": "none",
            "imap_user": account.user,
            "imap_password_env": "TEST_MAILBOX_PASSWORD",
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_server[1],
            "smtp_tls": "none",
        },
    )
