"""An alert appears on its channels at its start and disappears by itself at its end, with the
clock pinned; a cached answer never outlives the end it knows of."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ascolto.core.errors import InvalidInput
from ascolto.knowledge import alerts
from ascolto.knowledge.models import Alert
from tests.alerts.helpers import make_alert

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 1, 12, 7, 0, tzinfo=UTC)


def test_an_alert_appears_at_its_start_and_expires_at_its_end(taxonomy: None) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        snow = make_alert(T0 + timedelta(hours=1), hours=2)
        assert alerts.current_alerts("web") == []
        clock.shift(timedelta(hours=1))  # its start: shown
        assert alerts.current_alerts("web") == [snow]
        assert alerts.current_alerts("whatsapp") == [snow]
        clock.shift(timedelta(hours=2) - timedelta(seconds=1))
        assert alerts.current_alerts("console") == [snow]
        clock.shift(timedelta(seconds=1))  # its end: gone, with nobody touching it
        assert alerts.current_alerts("web") == []
        assert alerts.current_alerts("console") == []


def test_the_answer_at_a_given_time_comes_from_the_database(taxonomy: None) -> None:
    snow = make_alert(T0, hours=2)
    assert alerts.current_alerts("web", at=T0 - timedelta(seconds=1)) == []
    assert alerts.current_alerts("web", at=T0) == [snow]
    assert alerts.current_alerts("web", at=T0 + timedelta(hours=2)) == []


def test_only_the_channels_chosen_and_the_most_urgent_first(taxonomy: None) -> None:
    strike = make_alert(T0, title="Sciopero dei mezzi", channels=("web",))
    snow = make_alert(T0 + timedelta(minutes=5), title="Neve", priority=Alert.Priority.URGENT)
    deadline = make_alert(
        T0 - timedelta(minutes=5), title="Scadenza TARI", channels=("web", "console")
    )
    at = T0 + timedelta(minutes=10)
    assert alerts.current_alerts("web", at=at) == [snow, deadline, strike]
    assert alerts.current_alerts("console", at=at) == [snow, deadline]
    assert alerts.current_alerts("whatsapp", at=at) == [snow]
    with pytest.raises(InvalidInput):
        alerts.current_alerts("fax")


def test_a_cache_hit_costs_no_query_and_a_miss_one(taxonomy: None) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        snow = make_alert(T0, hours=1)
        with CaptureQueriesContext(connection) as miss:
            assert alerts.current_alerts("web") == [snow]
        with CaptureQueriesContext(connection) as hit:
            assert alerts.current_alerts("web") == [snow]
        assert (len(miss), len(hit)) == (1, 0)
        clock.shift(timedelta(hours=1))
        assert alerts.current_alerts("web") == []


def test_the_cache_does_not_hide_an_alert_that_starts_meanwhile(taxonomy: None) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        later = make_alert(T0 + timedelta(seconds=20), hours=1)
        assert alerts.current_alerts("web") == []  # cached until `later` starts
        clock.shift(timedelta(seconds=20))
        assert alerts.current_alerts("web") == [later]


def test_an_edit_shows_at_once(taxonomy: None) -> None:
    with time_machine.travel(T0, tick=False):
        snow = make_alert(T0, hours=3)
        assert alerts.current_alerts("console") == [snow]
        alerts.end_alert(snow)
        assert alerts.current_alerts("console") == []
        strike = make_alert(T0, title="Sciopero")
        assert alerts.current_alerts("console") == [strike]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": "  "}, "title"),
        ({"text": ""}, "text"),
        ({"text": "x" * 1001}, "text"),
        ({"link": "javascript:alert(1)"}, "link"),
        ({"link": "www.comune.it"}, "link"),
        ({"ends_at": T0}, "ends_at"),
        ({"ends_at": T0 - timedelta(hours=1)}, "ends_at"),
        ({"channels": ()}, "channels"),
        ({"channels": ("fax",)}, "channels"),
        ({"priority": 9}, "priority"),
    ],
)
def test_what_the_editors_get_wrong_is_refused_before_any_write(
    taxonomy: None, change: dict[str, Any], field: str
) -> None:
    fields: dict[str, Any] = {
        "title": "Neve",
        "text": "Scuole chiuse.",
        "starts_at": T0,
        "ends_at": T0 + timedelta(hours=1),
        "channels": ("web",),
        "link": "https://www.comune.example.it/neve",
    } | change
    with pytest.raises(InvalidInput) as error:
        alerts.create_alert(alerts.AlertData(**fields))
    assert error.value.field == field
    assert not Alert.objects.exists()


def test_the_demo_city_has_two_current_alerts_seeded_once(taxonomy: None) -> None:
    from ascolto.demo.knowledge import seed_alerts

    with time_machine.travel(T0, tick=False):
        assert seed_alerts() == seed_alerts() == 2
        for channel in alerts.CHANNELS:
            assert len(alerts.current_alerts(channel)) == 2
        [urgent, _info] = alerts.current_alerts("web")
        assert urgent.title == "Sciopero dei mezzi pubblici"
