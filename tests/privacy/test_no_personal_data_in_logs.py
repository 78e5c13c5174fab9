"""No personal data in the logs: every log record of a whole journey (a citizen writes on Scrivi,
a mail of theirs arrives, an operator reads, answers and resolves, a WhatsApp message comes in
through Meta's webhook, a call is logged with the caller's fiscal code, an administrator exports
and erases their data) is captured at DEBUG on every logger and searched for the citizen's name,
email, phone (in each way it is written) and fiscal code: in the message, its arguments and the
text of any exception."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from ascolto.channels.adapters.email.receive import Fetched, take_in
from ascolto.channels.adapters.meta import deliveries, replay
from ascolto.citizens.models import Citizen
from ascolto.citizens.sender import Sender
from ascolto.contactcenter.actions import RESOLVE, log_call
from ascolto.privacy.actions import erase_citizen
from ascolto.tickets.models import Ticket
from ascolto.web.forms.scrivi import forget_taxonomy
from ascolto.web.views.scrivi.request import submission_token
from tests import personas

pytestmark = pytest.mark.django_db

FIRST, LAST = "Ermenegilda", "Scarabottolo"
EMAIL = "ermenegilda.scarabottolo@example.it"
PHONES = ("+393471122334", "347 112 2334", "3471122334", "393471122334")
FISCAL_CODE = "SCRRNG80A41F205I"  # born in Milan on 01/01/1980
APP_SECRET = "segreto-app-meta-di-prova"


def _mail() -> bytes:
    return (
        f"From: {FIRST} {LAST} <{EMAIL}>\r\n"
        "To: buonispesa@comune.it\r\n"
        f"Subject: Buoni spesa per {FIRST} {LAST}\r\n"
        "Message-ID: <mail-ermenegilda-1@example.it>\r\n"
        "Date: Mon, 07 Dec 2026 09:00:00 +0100\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"Sono {FIRST} {LAST}, codice fiscale {FISCAL_CODE}, telefono {PHONES[1]}.\r\n"
    ).encode()


def _records_text(records: list[logging.LogRecord]) -> str:
    lines = []
    for record in records:
        lines.append(record.getMessage())
        lines.append(repr(record.args))
        if record.exc_info:
            lines.append(logging.Formatter().formatException(record.exc_info))
        lines.append(record.exc_text or "")
    return "\n".join(lines)


def test_a_whole_journey_logs_no_name_email_phone_or_fiscal_code(
    cast: personas.Cast,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
    storage_dirs: Path,
) -> None:
    cache.clear()
    forget_taxonomy()
    # Every logger at DEBUG, as with ASCOLTO_LOG_LEVEL=DEBUG: those the settings hold higher
    # (SQL, HTTP clients, template lookups) stay as configured, since that is what runs.
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("ASCOLTO_META_APP_SECRET", APP_SECRET)

    # A citizen writes on Scrivi; the queue is drained by the task the form enqueues.
    form = {
        "kind": "information", "area": "tributi", "service": "tari",
        "description": f"Sono {FIRST} {LAST}: vorrei pagare la TARI. Tel. {PHONES[1]}",
        "first_name": FIRST, "last_name": LAST, "email": EMAIL, "phone": PHONES[1],
        "place": "", "privacy": "on", "website": "", "submission": submission_token(),
    }  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        sent = Client().post(reverse("scrivi:home"), form)
    assert sent.status_code == 303
    ticket = Ticket.objects.get(citizen__email=EMAIL)

    # A mail of theirs arrives in the voucher mailbox.
    with django_capture_on_commit_callbacks(execute=True):
        take_in(cast.mailbox, [Fetched("1", _mail(), len(_mail()))])
    assert Ticket.objects.filter(channel=cast.mailbox).exists()

    # An operator reads the case, answers and resolves it.
    operator = Client()
    operator.force_login(cast.operator)
    assert operator.get(f"/console/cases/{ticket.code}/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        for action, data in (
            ("reply", {"text": f"Gentile {FIRST} {LAST}, ecco come pagare."}),
            ("resolve", {"resolution": "Risposto.", "notify": "silent"}),
        ):
            response = operator.post(
                reverse("console:case-action", args=[ticket.code, action]),
                {**data, "confirmed": "True"},
            )
            assert response.status_code in (200, 302, 303), __import__("re").findall(
                r"non è stato eseguito[^<]*", response.content.decode()
            )
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.RESOLVED

    # A WhatsApp message comes in through Meta's webhook.
    at = int(time.time())
    payload = replay.whatsapp(
        "1234567890",
        messages=[replay.wa_text("wamid.ermenegilda", PHONES[3], f"Sono {FIRST}, ciao", at)],
        contacts=[replay.wa_contact(PHONES[3], f"{FIRST} {LAST}")],
    )
    raw = replay.body(payload)
    with django_capture_on_commit_callbacks(execute=True):
        posted = Client().post(
            "/webhooks/meta/whatsapp/",
            raw,
            content_type="application/json",
            headers={replay.SIGNATURE_HEADER: replay.signed(raw, APP_SECRET)},
        )
        assert posted.status_code == 200
        deliveries.drain()

    # The caller phones; the operator logs the call with their fiscal code.
    with django_capture_on_commit_callbacks(execute=True):
        log_call(
            operator=cast.operator,
            question="Pagamento TARI",
            outcome=RESOLVE,
            answer="Spiegato al telefono.",
            sender=Sender(
                first_name=FIRST, last_name=LAST, fiscal_code=FISCAL_CODE, phone=PHONES[0]
            ),
        )

    # An administrator exports and erases their data.
    citizen = Citizen.objects.get(email=EMAIL)
    admin = Client()
    admin.force_login(cast.administrator)
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(f"/console/citizens/{citizen.pk}/privacy/export/")
        erase_citizen(citizen, actor=cast.administrator, reason="Richiesta")

    logged = _records_text(caplog.records)
    assert len(caplog.records) > 10 and "intake" in logged  # the journey did log
    for trace in (FIRST, LAST, EMAIL, FISCAL_CODE, *PHONES):
        assert trace.lower() not in logged.lower(), trace
