"""The retention policy, applied each night by `apply_retention`: the dry run lists what is past
its period and changes nothing; the real run does exactly what the dry run listed; cases under a
legal hold and citizens still in contact are left alone. The clock is pinned."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from axes.models import AccessLog
from django.core.management import call_command
from django.utils import timezone

from ascolto.assistant.menus import new_menu
from ascolto.assistant.models import Session
from ascolto.channels.models import Message
from ascolto.citizens.models import Citizen
from ascolto.privacy.actions import build_access_archive, request_access_archive, set_legal_hold
from ascolto.privacy.models import AccessArchive, RetentionRun
from ascolto.tickets import actions
from ascolto.tickets.models import Ticket
from tests import factories, personas
from tests.privacy.conftest import MARIA_TEXT, build_household
from tests.privacy.test_erasure import database_text

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 11, 10, 0, tzinfo=ZoneInfo("Europe/Rome"))


def test_the_dry_run_changes_nothing_and_the_run_does_what_it_listed(
    cast: personas.Cast, storage_dirs: Path
) -> None:
    with time_machine.travel(START, tick=False):
        house = build_household(cast)
        for ticket in (house.maria_scrivi, house.maria_email):
            actions.resolve_ticket(factories.refresh(ticket), "Risposto.", actor=cast.operator)
        kept = factories.open_case("Ricorso in corso", email="carla@example.it")
        actions.resolve_ticket(kept, "Chiuso.", actor=cast.operator)
        set_legal_hold(kept, reason="Procedimento in corso", actor=cast.administrator)
        version = new_menu("menu-prova", "Menu di prova")
        Session.objects.create(key="a" * 64, kind=Session.Kind.WEB, version=version)
        job = build_access_archive(request_access_archive(house.maria, actor=cast.administrator).pk)
        assert (storage_dirs / "privacy" / job.folder / "dati.zip").exists()
        # A staff sign-in as django-axes records it, with the address and the browser.
        AccessLog.objects.create(
            username="operatore", ip_address="192.0.2.7", user_agent="Firefox", attempt_time=START
        )
    with time_machine.travel(START + timedelta(days=5 * 365 + 30), tick=False):
        recent = Session.objects.create(key="b" * 64, kind=Session.Kind.WEB, version=version)
        today = AccessLog.objects.create(
            username="operatore",
            ip_address="192.0.2.7",
            user_agent="Firefox",
            attempt_time=timezone.now(),
        )
        before = database_text(skip=(RetentionRun,))
        out = io.StringIO()
        call_command("apply_retention", "--dry-run", verbosity=2, stdout=out)
        assert database_text(skip=(RetentionRun,)) == before  # nothing changed but the record
        dry = RetentionRun.objects.get()
        assert dry.dry_run and dry.counts["cases"] == 2 and dry.counts["access_archives"] == 1
        assert dry.counts["assistant_sessions"] == 1  # the old one; today's stays
        assert dry.counts["sign_ins"] == 1  # the old sign-in; today's stays
        listing = out.getvalue()
        ids = " ".join(str(pk) for pk in sorted([house.maria_scrivi.pk, house.maria_email.pk]))
        assert "cases: 2 would be" in listing and f"ids: {ids}" in listing
        assert Ticket.objects.get(pk=house.maria_scrivi.pk).description == MARIA_TEXT

        call_command("apply_retention", stdout=io.StringIO())
        run = RetentionRun.objects.filter(dry_run=False).get()
        assert run.counts == dry.counts and run.finished_at is not None

    assert Ticket.objects.get(pk=house.maria_scrivi.pk).description == ""
    assert Ticket.objects.get(pk=kept.pk).description == "Ricorso in corso"  # held
    assert Ticket.objects.get(pk=house.luca_scrivi.pk).description  # still open: kept
    assert str(Citizen.objects.get(pk=house.maria.pk)).startswith("Cittadino anonimizzato")
    assert Citizen.objects.get(pk=house.luca.pk).last_name == "Bianchi"
    assert list(Session.objects.values_list("pk", flat=True)) == [recent.pk]
    assert list(AccessLog.objects.values_list("pk", flat=True)) == [today.pk]
    assert not Message.objects.filter(
        raw__isnull=False, sent_at__lt=START + timedelta(days=1)
    ).exists()
    assert AccessArchive.objects.get().status == AccessArchive.Status.EXPIRED
    job.refresh_from_db()
    assert job.folder and not (storage_dirs / "privacy" / job.folder).exists()


def test_nothing_is_due_before_its_period(cast: personas.Cast, storage_dirs: Path) -> None:
    with time_machine.travel(START, tick=False):
        house = build_household(cast)
        actions.resolve_ticket(
            factories.refresh(house.maria_scrivi), "Risposto.", actor=cast.operator
        )
    with time_machine.travel(START + timedelta(days=4 * 365), tick=False):
        call_command("apply_retention", stdout=io.StringIO())
    run = RetentionRun.objects.get()
    assert run.counts["cases"] == 0 and run.counts["citizens"] == 0
    assert Ticket.objects.get(pk=house.maria_scrivi.pk).description == MARIA_TEXT
