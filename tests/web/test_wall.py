"""The supervisors' wall: its figures on a pinned clock with known data, who may open it, and a
query count that does not grow with the cases."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ascolto.contactcenter.models import CallbackBooking, CallRecord, ForecastPoint, ForecastRun
from ascolto.organisation.models import User
from ascolto.tickets.models import Ticket
from tests import factories
from tests.personas import Cast

pytestmark = pytest.mark.django_db

WALL = "/console/overview/wall/"


def local(hour: int, minute: int = 0) -> datetime:
    """2 March 2026 at `hour`:`minute` in the municipality's time."""
    return datetime(2026, 3, 2, hour, minute, tzinfo=timezone.get_current_timezone())


@pytest.fixture(autouse=True)
def _pinned_clock() -> object:
    with time_machine.travel(local(10, 30), tick=False) as traveller:
        yield traveller


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def case_at(when: datetime, subject: str, *, scrivi: bool = False) -> Ticket:
    with time_machine.travel(when, tick=False):
        if scrivi:
            received = factories.submit_scrivi(subject, email=f"{when:%H%M}@example.it")
            return Ticket.objects.get(pk=received.ticket_id)
        return factories.open_case(subject, email=f"{when:%H%M}@example.it")


@pytest.fixture
def day(cast: Cast) -> dict[str, Ticket]:
    """Today until 10:30: one email at 08:10, one Scrivi request at 09:20, three callbacks
    asked at 10:15 (20-minute slots: 10:00 late, 11:00 due within two hours, 14:00 not yet due); a
    forecast of 5 calls every quarter of an hour from 08:00 to 12:00; one call at 10:05."""
    first = case_at(local(8, 10), "Avviso TARI")
    second = case_at(local(9, 20), "Buca in via Roma", scrivi=True)
    Ticket.objects.filter(pk=first.pk).update(due_at=local(9, 0))  # breached
    Ticket.objects.filter(pk=second.pk).update(due_at=local(20, 0))  # due soon
    for start in (local(10), local(11), local(14)):
        ticket = case_at(local(10, 15), f"Richiamata {start:%H}")
        CallbackBooking.objects.create(
            ticket=ticket, phone="+393331234567", slot_start=start,
            slot_end=start + timedelta(minutes=20), requested_via="operator",
        )  # fmt: skip
    run = ForecastRun.objects.create(
        source=ForecastRun.Source.CALL_RECORDS, interval_minutes=15,
        history_start=local(0) - timedelta(days=90), history_end=local(0),
        horizon_start=local(8), horizon_end=local(12), model_name="test",
    )  # fmt: skip
    ForecastPoint.objects.bulk_create(
        ForecastPoint(
            run=run,
            series="generale",
            start=local(8) + timedelta(minutes=15 * i),
            calls=5,
            lo80=4,
            hi80=6,
            lo95=3,
            hi95=7,
        )  # fmt: skip
        for i in range(16)
    )
    CallRecord.objects.create(
        external_id="call-1", queue="tributi", arrived_at=local(10, 5), ended_at=local(10, 9),
        wait_seconds=30, talk_seconds=200,
    )  # fmt: skip
    return {"first": first, "second": second}


def figure(html: str, element_id: str) -> str:
    start = html.index(f'id="{element_id}">') + len(f'id="{element_id}">')
    return html[start : html.index("<", start)].strip()


def test_the_wall_shows_todays_figures(cast: Cast, day: dict[str, Ticket]) -> None:
    html = client_for(cast.supervisor).get(WALL).content.decode()

    assert figure(html, "wall-open") == "5"
    assert figure(html, "wall-due-soon") == "1"
    assert figure(html, "wall-breached") == "1"
    assert figure(html, "wall-intake") == "5"
    assert figure(html, "wall-forecast") == "80,0"
    assert figure(html, "wall-callbacks") == "2"
    assert "(1 in ritardo)" in html
    hour = html[
        html.index('id="wall-hour-10"') : html.index("</tr>", html.index('id="wall-hour-10"'))
    ]
    # Columns: the channels of today (email 4, Scrivi 0), cases, calls arrived, calls forecast.
    cells = [c.split(">")[-1] for c in hour.split("</td>")[:-1]]
    assert cells[-3:] == ["3", "1", "20,0"]
    assert 'id="wall-hour-8"' in html and 'id="wall-hour-11"' in html
    assert day["first"].code in html[html.index('id="wall-oldest"') :]
    callbacks = html[html.index('id="wall-callback-list"') :]
    assert "10:00–10:20" in callbacks and "11:00–11:20" in callbacks and "14:00" not in callbacks
    assert 'hx-trigger="every 30s"' in html


def test_polling_gets_the_tiles_only(cast: Cast, day: dict[str, Ticket]) -> None:
    part = client_for(cast.administrator).get(WALL, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in part and 'id="wall-open">' in part


def test_only_supervisors_and_administrators(cast: Cast) -> None:
    for user, status in [
        (cast.supervisor, 200),
        (cast.administrator, 200),
        (cast.operator, 403),
        (cast.office_operator, 403),
        (cast.analyst, 403),
    ]:
        assert client_for(user).get(WALL).status_code == status, user
    assert Client().get(WALL).status_code == 302


def test_the_query_count_does_not_grow_with_the_cases(cast: Cast, day: dict[str, Ticket]) -> None:
    from ascolto.knowledge.alerts import forget_cached_alerts

    client = client_for(cast.supervisor)
    # Each request reads the alerts afresh, so both count the same (the cache is not the point).
    forget_cached_alerts()
    with CaptureQueriesContext(connection) as few:
        client.get(WALL)
    for hour in (8, 9, 10):
        case_at(local(hour, 40 if hour < 10 else 20), f"Altro {hour}", scrivi=hour == 9)
    forget_cached_alerts()
    with CaptureQueriesContext(connection) as more:
        client.get(WALL)
    assert len(more.captured_queries) == len(few.captured_queries)
