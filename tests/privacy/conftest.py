"""Two citizens of one office with data of every kind, for the data-protection tests.

Maria Rossi writes on Scrivi with a file, her fiscal code and her phone; she writes again by
email, on WhatsApp, calls the contact center, answers a survey, and an operator answers her. Luca
Bianchi writes on Scrivi to the same office. Nothing of Luca's may reach Maria's archive, and
erasing Maria must leave Luca's data as it was.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from ascolto.channels.actions import receive
from ascolto.channels.inbound import STORED, Attachment, InboundMessage
from ascolto.channels.models import Message
from ascolto.citizens.actions import link_identity, resolve_identity
from ascolto.citizens.models import Citizen, Identity, MergeSuggestion
from ascolto.contactcenter.actions import record_call
from ascolto.contactcenter.models import CallRecord
from ascolto.tickets import actions
from ascolto.tickets.models import Ticket
from ascolto.web.views.scrivi.request import privacy_notice
from tests import factories, personas

MARIA_PHONE = "+393337654321"
MARIA_PHONE_FORMS = ("+393337654321", "3337654321", "333 765 4321", "393337654321")
MARIA_NAMES = ("Maria", "Rossi")
MARIA_TEXT = "La mia dichiarazione TARI di via Solferino 12 risulta sbagliata"
MARIA_WHATSAPP_TEXT = "Buongiorno, quando passa il ritiro ingombranti in via Solferino?"
MARIA_FILE = b"%PDF-1.4\n% ricevuta di Maria\n"
LUCA_TEXT = "Sono Luca Bianchi e chiedo il rimborso della TARI di corso Como 3"
OTHER_NAME = ("Giovanni", "Verdini")


@dataclass
class Household:
    maria: Citizen
    luca: Citizen
    maria_scrivi: Ticket
    maria_email: Ticket
    luca_scrivi: Ticket
    maria_file: str  # its name in the default storage
    call: CallRecord
    suggestion: MergeSuggestion


@pytest.fixture
def storage_dirs(settings, tmp_path: Path) -> Iterator[Path]:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ASCOLTO_PRIVACY_ARCHIVE_DIR = tmp_path / "privacy"
    yield tmp_path


def stored(name: str, data: bytes) -> Attachment:
    path = default_storage.save(f"scrivi/{uuid.uuid4().hex}/{name}", ContentFile(data))
    return Attachment(name, "application/pdf", len(data), f"{STORED}{path}")


def _id(value: int | None) -> int:
    assert value is not None
    return value


def build_household(cast: personas.Cast) -> Household:
    privacy_notice()  # the Scrivi form was shown: its notice's words are stored
    attachment = stored("ricevuta.pdf", MARIA_FILE)
    maria_msg = factories.scrivi_message(
        MARIA_TEXT,
        subject="Dichiarazione TARI di Maria",
        fiscal_code=personas.MARIA_FISCAL_CODE,
        phone="333 765 4321",
        theme="tari-dichiarazione",
    )
    received = receive(dataclasses.replace(maria_msg, attachments=(attachment,)))
    maria_scrivi = Ticket.objects.get(pk=_id(received.ticket_id))
    maria = Citizen.objects.get(pk=_id(maria_scrivi.citizen_id))
    maria_scrivi = actions.escalate_ticket(maria_scrivi, cast.tari, actor=cast.operator)
    actions.reply_to_ticket(
        maria_scrivi,
        "Gentile Maria Rossi, abbiamo corretto la dichiarazione.",
        actor=cast.office_operator,
    )
    maria_email = factories.open_case("Scrivo di nuovo: Maria Rossi, via Solferino 12.")
    phone = link_identity(resolve_identity(Identity.Kind.PHONE, MARIA_PHONE), maria)
    whatsapp = receive(
        InboundMessage(
            channel="whatsapp",
            external_id=factories.new_id("wamid"),
            handle_kind=Identity.Kind.WHATSAPP,
            handle="393337654321",
            display_name="Maria Rossi",
            text=MARIA_WHATSAPP_TEXT,
            raw={"from": "393337654321", "profile": {"name": "Maria Rossi"}},
        )
    )
    link_identity(whatsapp.identity, maria)
    call = record_call(
        external_id="call-maria-1",
        queue="tributi",
        arrived_at=timezone.now() - timedelta(hours=2),
        wait_seconds=40,
        talk_seconds=180,
        caller=phone,
    )
    Ticket.objects.filter(pk=maria_scrivi.pk).update(satisfaction=4)

    luca_received = factories.submit_scrivi(
        LUCA_TEXT,
        email="luca.bianchi@example.it",
        first_name="Luca",
        last_name="Bianchi",
        fiscal_code=personas.LUCA_FISCAL_CODE,
        phone=personas.LUCA_PHONE,
        theme="tari-dichiarazione",
    )
    luca_scrivi = actions.escalate_ticket(
        Ticket.objects.get(pk=_id(luca_received.ticket_id)), cast.tari, actor=cast.operator
    )
    other = Citizen.objects.create(
        first_name=OTHER_NAME[0], last_name=OTHER_NAME[1], email="giovanni.verdini@example.it"
    )
    suggestion = MergeSuggestion.objects.create(
        first=maria,
        second=other,
        evidence={
            "holder": other.pk,
            "matched": [{"kind": "email", "value": "giovanni.verdini@example.it"}],
            "source": "scrivi",
        },
    )
    name = attachment.url.removeprefix(STORED)
    assert Message.objects.filter(attachments__0__url=attachment.url).exists()
    return Household(
        maria=maria,
        luca=Citizen.objects.get(pk=_id(luca_scrivi.citizen_id)),
        maria_scrivi=maria_scrivi,
        maria_email=maria_email,
        luca_scrivi=luca_scrivi,
        maria_file=name,
        call=call,
        suggestion=suggestion,
    )


@pytest.fixture
def household(cast: personas.Cast, storage_dirs: Path) -> Household:
    return build_household(cast)
