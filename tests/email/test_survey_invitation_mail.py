"""The invitation after a resolved email case leaves as a mail through a real SMTP server
(aiosmtpd on the loopback), with the link to the answering page in its body."""

from __future__ import annotations

from typing import Any

import pytest

from ascolto.channels.models import Message
from ascolto.surveys.models import Invitation, Survey
from ascolto.surveys.tokens import invitation_of
from ascolto.tickets import actions
from tests import factories, personas
from tests.email.servers import Recorder
from tests.invitation_cases import open_survey

pytestmark = pytest.mark.django_db


def test_the_invitation_mail_reaches_the_smtp_server_with_the_link(
    cast: personas.Cast,
    smtp_server: tuple[Recorder, int],
    django_capture_on_commit_callbacks: Any,
) -> None:
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
    open_survey("dopo-pratica", Survey.Trigger.CASE_RESOLVED)
    ticket = factories.open_case("Non ho ricevuto l'avviso TARI.", channel=mailbox.code)
    with django_capture_on_commit_callbacks(execute=True):
        actions.resolve_ticket(ticket, "L'avviso è stato spedito di nuovo.", actor=cast.operator)

    invitation = Invitation.objects.get()
    sent = Message.objects.get(subject__contains="La sua opinione")
    assert sent.status == Message.Status.SENT
    [mail] = recorder.received
    assert mail["To"] == "maria.rossi@example.it"
    assert ticket.code in mail["Subject"]
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert f"richiesta {ticket.code} è stata risolta" in text
    link = text.split("Risponda qui: ", 1)[1].split()[0]
    assert link.startswith("http://127.0.0.1:8000/scrivi/questionario/")
    assert invitation_of(link.rstrip("/").rsplit("/", 1)[1]) == invitation
