"""The access log's retention: records older than ASCOLTO_ACCESS_LOG_DAYS are deleted by the
nightly `prune_access_log`, and a dry run says what it would delete, deleting nothing."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from ascolto.audit.actions import prune_access_log, record_access
from ascolto.audit.models import AccessRecord
from ascolto.audit.readers import Reader

pytestmark = pytest.mark.django_db

ROME = ZoneInfo("Europe/Rome")
NOW = datetime(2026, 3, 10, 2, 30, tzinfo=ROME)
READER = Reader(user_id=1, username="giulia.verdi", ip="10.0.0.1")


def _record_at(at: datetime) -> AccessRecord:
    return record_access(READER, AccessRecord.Purpose.CASE, "ticket", objects=["A"], at=at)


@pytest.fixture
def history() -> dict[str, AccessRecord]:
    """Records 800, 731, 729 and 10 days old at NOW (retention 730 days)."""
    return {
        name: _record_at(NOW - timedelta(days=days))
        for name, days in (("old", 800), ("just_old", 731), ("kept", 729), ("recent", 10))
    }


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("prune_access_log", *args, stdout=out)
    return out.getvalue()


def test_a_dry_run_lists_what_would_go_and_deletes_nothing(
    history: dict[str, AccessRecord], settings: object
) -> None:
    with time_machine.travel(NOW, tick=False):
        printed = _run("--dry-run")
    assert printed.startswith("2 access record(s) older than 2024-03-10 02:30 would be deleted")
    assert "(the oldest from 2023-12-31 02:30)" in printed
    assert AccessRecord.objects.count() == 4


def test_the_prune_deletes_only_the_records_past_the_retention(
    history: dict[str, AccessRecord],
) -> None:
    with time_machine.travel(NOW, tick=False):
        printed = _run()
    assert printed.startswith("2 access record(s) older than 2024-03-10 02:30 deleted")
    left = set(AccessRecord.objects.values_list("pk", flat=True))
    assert left == {history["kept"].pk, history["recent"].pk}


def test_the_retention_is_a_setting(history: dict[str, AccessRecord], settings: object) -> None:
    settings.ASCOLTO_ACCESS_LOG_DAYS = 30  # type: ignore[attr-defined]
    with time_machine.travel(NOW, tick=False):
        pruned = prune_access_log()
    assert pruned.count == 3
    assert list(AccessRecord.objects.values_list("pk", flat=True)) == [history["recent"].pk]


def test_a_retention_under_a_day_is_refused(history: dict[str, AccessRecord]) -> None:
    with pytest.raises(CommandError, match="at least one day"):
        _run("--days", "0")
    assert AccessRecord.objects.count() == 4
