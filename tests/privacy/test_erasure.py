"""The right to erasure: a citizen's personal data go from every table and their files from disk,
the cases keep their figures, a case under a legal hold stays whole with its reason recorded,
another citizen's data stay as they were, and the case history is not touched."""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import models
from django.test import Client

from ascolto.channels.actions import receive
from ascolto.channels.inbound import STORED, Attachment
from ascolto.channels.models import Message
from ascolto.citizens.models import Citizen, Consent
from ascolto.core.errors import InvalidInput
from ascolto.privacy.actions import (
    build_access_archive,
    erase_citizen,
    request_access_archive,
    set_legal_hold,
)
from ascolto.privacy.models import AccessArchive, Erasure
from ascolto.tickets.models import Ticket, TicketEvent
from tests import factories, personas
from tests.privacy.conftest import (
    LUCA_TEXT,
    MARIA_PHONE_FORMS,
    MARIA_TEXT,
    MARIA_WHATSAPP_TEXT,
    Household,
)

pytestmark = pytest.mark.django_db

TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField, models.EmailField)


def database_text(*, skip: tuple[type[models.Model], ...] = ()) -> str:
    """Every text and JSON value of every table of the project (but `skip`), as one string."""
    chunks = []
    for model in apps.get_models():
        if model in skip:
            continue
        names = [f.attname for f in model._meta.concrete_fields if isinstance(f, TEXT_FIELDS)]
        if not names:
            continue
        for row in model._default_manager.values_list(*names):
            chunks.append(json.dumps(row, ensure_ascii=False, default=str))
    return "\n".join(chunks)


def maria_traces() -> list[str]:
    return [
        "Maria",
        "Rossi",
        personas.MARIA_EMAIL,
        personas.MARIA_FISCAL_CODE,
        *MARIA_PHONE_FORMS,
        MARIA_TEXT,
        MARIA_WHATSAPP_TEXT,
        "Solferino",
    ]


def case_figures() -> list[tuple[object, ...]]:
    return list(
        Ticket.objects.order_by("pk").values_list(
            "pk", "code", "channel_id", "kind", "theme_id", "office_id", "status", "level",
            "created_at", "first_response_at", "resolved_at", "closed_at", "satisfaction",
            "citizen_id", "identity_id",
        )
    )  # fmt: skip


def events() -> list[tuple[object, ...]]:
    return list(
        TicketEvent.objects.order_by("pk").values_list(
            "pk", "kind", "at", "from_value", "to_value", "data"
        )
    )


def test_erasure_removes_every_trace_of_the_citizen_and_keeps_the_figures(
    household: Household,
    cast: personas.Cast,
    storage_dirs: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    made = build_access_archive(
        request_access_archive(household.maria, actor=cast.administrator).pk
    )
    before = database_text()
    for trace in maria_traces():
        # the search finds them (the phone as it is stored: normalised, and in the raw payload)
        assert trace in before or trace in MARIA_PHONE_FORMS[1:3], trace
    figures, history = case_figures(), events()
    messages = Message.objects.count()
    consents = Consent.objects.filter(citizen=household.maria).count()

    with django_capture_on_commit_callbacks(execute=True):  # files go once the erasure commits
        erasure = erase_citizen(
            household.maria, actor=cast.administrator, reason="Richiesta prot. 123"
        )

    after = database_text()
    for trace in maria_traces():
        assert trace not in after, trace
    assert not default_storage.exists(household.maria_file)
    assert not (storage_dirs / "privacy" / made.folder).exists()  # the archive went too
    assert AccessArchive.objects.get().status == AccessArchive.Status.EXPIRED
    maria = Citizen.objects.get(pk=household.maria.pk)
    assert str(maria) == f"Cittadino anonimizzato #{maria.pk}"
    assert case_figures() == figures and events() == history
    assert Message.objects.count() == messages
    assert Consent.objects.filter(citizen=maria).count() == consents  # proof of consent kept
    # Luca, in the same office, keeps everything.
    for trace in (LUCA_TEXT, personas.LUCA_FISCAL_CODE, personas.LUCA_PHONE, "Bianchi"):
        assert trace in after
    recorded = Erasure.objects.get(pk=erasure.pk)
    assert recorded.performed_by == cast.administrator and recorded.reason == "Richiesta prot. 123"
    assert recorded.removed["cases"] == 2 and recorded.removed["files"] == 1
    assert recorded.removed["identities"] >= 3


def test_a_case_under_legal_hold_is_kept_whole_with_its_reason(
    household: Household, cast: personas.Cast
) -> None:
    set_legal_hold(
        household.maria_scrivi, reason="Ricorso pendente al TAR", actor=cast.administrator
    )
    erasure = erase_citizen(household.maria, actor=cast.administrator, reason="Richiesta")

    held = Ticket.objects.get(pk=household.maria_scrivi.pk)
    assert held.subject == "Dichiarazione TARI di Maria"
    assert Message.objects.filter(text=MARIA_TEXT).exists()
    assert default_storage.exists(household.maria_file)
    assert {"case": held.code, "reason": "Ricorso pendente al TAR"} in erasure.kept
    other = Ticket.objects.get(pk=household.maria_email.pk)
    assert (
        other.description == ""
        and not Message.objects.filter(text__contains="Scrivo di nuovo").exists()
    )
    assert not Message.objects.filter(text=MARIA_WHATSAPP_TEXT).exists()


def test_erasure_needs_a_reason_and_a_confirmation(
    household: Household, cast: personas.Cast
) -> None:
    with pytest.raises(InvalidInput):
        erase_citizen(household.maria, actor=cast.administrator, reason="  ")
    client = Client()
    client.force_login(cast.administrator)
    url = f"/console/citizens/{household.maria.pk}/privacy/erase/"
    page = client.post(url, {"reason": "Richiesta"}, follow=True).content.decode()
    assert "Spunta la conferma" in page and not Erasure.objects.exists()
    page = client.post(url, {"reason": "Richiesta", "confirm": "1"}, follow=True).content.decode()
    assert "Dati cancellati" in page and Erasure.objects.count() == 1
    assert "Cittadino anonimizzato" in page


def test_the_commands_export_and_erase_for_an_administrator_only(
    household: Household, cast: personas.Cast, storage_dirs: Path
) -> None:
    out = io.StringIO()
    call_command("privacy_export", str(household.maria.pk), "--by", "anna", stdout=out)
    zip_path = out.getvalue().split(": ", 1)[1].splitlines()[0]
    assert "dati.json" in zipfile.ZipFile(zip_path).namelist()
    with pytest.raises(CommandError):
        call_command(
            "erase_citizen", str(household.maria.pk), "--by", "giulia", "--reason", "x", "--yes"
        )
    with pytest.raises(CommandError):
        call_command("erase_citizen", str(household.maria.pk), "--by", "anna", "--reason", "x")
    call_command(
        "erase_citizen", str(household.maria.pk), "--by", "anna", "--reason", "Prot. 9", "--yes",
        stdout=io.StringIO(),
    )  # fmt: skip
    assert Erasure.objects.get().reason == "Prot. 9"


def test_a_mailed_file_another_citizen_also_sent_stays(
    household: Household, cast: personas.Cast, django_capture_on_commit_callbacks: Any
) -> None:
    # Mail attachments are stored by their content: the same document mailed by two citizens
    # is one file, named by both messages.
    name = default_storage.save("email/buoni-spesa/ab/cdef-modulo.pdf", ContentFile(b"%PDF-1.4"))
    shared = Attachment("modulo.pdf", "application/pdf", 8, f"{STORED}{name}")
    for email in (personas.MARIA_EMAIL, "luca.bianchi@example.it"):
        mail = factories.email_message("Allego il modulo.", email=email)
        receive(dataclasses.replace(mail, attachments=(shared,)))
    with django_capture_on_commit_callbacks(execute=True):
        erasure = erase_citizen(household.maria, actor=cast.administrator, reason="Richiesta")
    assert default_storage.exists(name)  # Luca's message still names it
    assert not default_storage.exists(household.maria_file)  # Maria's own file went
    assert erasure.removed["files"] == 1
