"""Two readers of the reports on two connections: the one that finds the other refreshing the
summaries does not wait for it past `summaries.WAIT`; it reads the summaries as the last
refresh committed them, and the next read catches up (decision 0012).

The lock is held by a real second connection (a thread) through `summaries.locked`, the lock
every refresh takes: on SQLite the database's write lock, on PostgreSQL the advisory lock. The
in-memory SQLite of the tests (shared cache) refuses the second writer at once; a file database
(`ASCOLTO_TEST_SQLITE=/tmp/t.sqlite3`) and PostgreSQL make it wait `WAIT` seconds first.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from ascolto.analytics import summaries
from ascolto.analytics.models import SummaryState
from ascolto.analytics.period import Period
from ascolto.analytics.report import monthly_report
from ascolto.contactcenter.actions import record_call
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

HOLD = summaries.WAIT + 20  # the holder lets go by itself after this (the test failed by then)


@pytest.fixture(autouse=True)
def _pinned_clock() -> Iterator[None]:
    with time_machine.travel(datetime(2026, 6, 17, 10, 0, tzinfo=ZoneInfo("Europe/Rome"))):
        yield


class Holder:
    """Another reader in the middle of a refresh: a thread holding the summaries' lock on its
    own connection until `release()`."""

    def __init__(self) -> None:
        self.holding = threading.Event()
        self.released = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        try:
            with summaries.locked() as got:
                assert got
                self.holding.set()
                self.released.wait(timeout=HOLD)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc
            self.holding.set()
        finally:
            connection.close()

    def __enter__(self) -> Holder:
        self.thread.start()
        assert self.holding.wait(timeout=30), "the other connection never took the lock"
        assert self.error is None, f"the other connection failed: {self.error!r}"
        return self

    def release(self) -> None:
        self.released.set()
        self.thread.join(timeout=30)
        assert not self.thread.is_alive()

    def __exit__(self, *exc: object) -> None:
        self.release()


def _call(minutes_ago: int) -> None:
    record_call(
        external_id=factories.new_id("call"),
        queue="tributi",
        arrived_at=timezone.now() - timedelta(minutes=minutes_ago),
        wait_seconds=30,
        talk_seconds=120,
        abandoned=False,
        caller_phone="+393331119999",
    )


def test_a_reader_does_not_wait_for_another_readers_refresh() -> None:
    factories.ensure_taxonomy()
    month = Period.month(2026, 6)
    _call(60)
    assert monthly_report(month).calls.offered == 1
    _call(30)  # summarised by the next refresh

    with Holder() as other:
        started = time.monotonic()
        stale = monthly_report(month)
        waited = time.monotonic() - started
        assert other.thread.is_alive(), "the reader waited until the other refresh ended"

    assert waited < summaries.WAIT + 5
    assert stale.calls.offered == 1  # what the last refresh committed
    assert monthly_report(month).calls.offered == 2  # the next read catches up


def test_with_no_summary_yet_a_reader_says_they_are_being_built() -> None:
    factories.ensure_taxonomy()
    _call(60)
    assert not SummaryState.objects.exists()

    with Holder(), pytest.raises(summaries.SummariesBusy):
        summaries.refresh()

    assert summaries.refresh() == -1
    assert monthly_report(Period.month(2026, 6)).calls.offered == 1
