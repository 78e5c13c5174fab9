"""A reply's files leave as MIME parts of the mail, through a real SMTP server (aiosmtpd on the
loopback): what the citizen's mail server receives carries each file, whole, with its name and
type."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ascolto.channels import attachments as reply_files
from ascolto.channels.actions import deliver_message
from ascolto.channels.models import Message
from ascolto.tickets import actions
from tests import factories, personas
from tests.email.servers import Recorder
from tests.web.test_reply_attachments import PDF, PNG

pytestmark = pytest.mark.django_db


def test_a_reply_with_files_reaches_the_smtp_server_as_mime_parts(
    cast: personas.Cast,
    smtp_server: tuple[Recorder, int],
    settings: Any,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    recorder, port = smtp_server
    mailbox = personas.make_channel(
        "email",
        "casella-smtp",
        "Casella con SMTP",
        {
            "address": "tari@comune.example.it",
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_tls": "none",
        },
    )
    ticket = factories.open_case("Mi serve il modulo.", channel=mailbox.code)
    stored = reply_files.store(
        [SimpleUploadedFile("modulo TARI.pdf", PDF), SimpleUploadedFile("mappa.png", PNG)]
    )
    with django_capture_on_commit_callbacks(execute=True):
        reply = actions.reply_to_ticket(
            ticket, "In allegato il modulo e la mappa.", actor=cast.operator, attachments=stored
        )

    reply.refresh_from_db()
    assert reply.status == Message.Status.SENT
    [mail] = recorder.received
    assert mail["To"] == "maria.rossi@example.it"
    assert mail["Message-ID"] == reply.external_id
    assert mail.get_content_type() == "multipart/mixed"
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None and body.get_content().strip() == "In allegato il modulo e la mappa."
    parts = [
        (part.get_filename(), part.get_content_type(), part.get_payload(decode=True))
        for part in mail.iter_attachments()
    ]
    assert parts == [
        ("modulo_TARI.pdf", "application/pdf", PDF),
        ("mappa.png", "image/png", PNG),
    ]


def test_a_reply_whose_file_vanished_fails_with_the_reason(
    cast: personas.Cast,
    mailoutbox: list[Any],
    settings: Any,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    ticket = factories.open_case("Mi serve il modulo.")
    stored = reply_files.store([SimpleUploadedFile("modulo.pdf", PDF)])
    reply = actions.reply_to_ticket(ticket, "Ecco.", actor=cast.operator, attachments=stored)
    (tmp_path / stored[0].url.removeprefix("storage:")).unlink()
    deliver_message(reply.pk)
    reply.refresh_from_db()
    assert reply.status == Message.Status.FAILED
    assert "modulo.pdf" in reply.last_error
    assert not [m for m in mailoutbox if m.body == "Ecco."]
