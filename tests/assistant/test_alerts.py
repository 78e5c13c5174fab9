"""Alerts on current topics at the top of the assistant's menu, gone once they end; "AVVISI"
subscribes the citizen to the alerts by template (the one moment the bot links an identity)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from ascolto.assistant.models import MenuVersion
from ascolto.citizens.models import Identity
from ascolto.knowledge.alerts import AlertData, create_alert, is_subscribed
from tests.assistant.conftest import Citizen, body_text, choices

pytestmark = pytest.mark.django_db

T0 = datetime(2027, 1, 12, 7, 30, tzinfo=UTC)


def test_a_current_alert_is_shown_above_the_menu_until_it_ends(
    citizen: Citizen, menu: MenuVersion
) -> None:
    with time_machine.travel(T0, tick=False):
        create_alert(
            AlertData(
                title="Emergenza neve",
                text="Scuole chiuse oggi; il piano neve è attivo.",
                starts_at=T0 - timedelta(hours=1),
                ends_at=T0 + timedelta(hours=2),
                channels=("whatsapp",),
                link="https://www.comune.example.it/neve",
            )
        )
        create_alert(
            AlertData(
                title="Sciopero dei mezzi",
                text="Solo sul portale.",
                starts_at=T0 - timedelta(hours=1),
                ends_at=T0 + timedelta(hours=2),
                channels=("web",),
            )
        )
        greeting, alert, top = citizen.say("ciao")
        assert "Emergenza neve" in body_text(alert)
        assert "https://www.comune.example.it/neve" in body_text(alert)
        assert "Sciopero" not in body_text(alert)
        assert "«AVVISI»" in body_text(alert)
        assert len(choices(top)) == 6
    with time_machine.travel(T0 + timedelta(hours=2, minutes=1), tick=False):
        greeting, top = citizen.say("menu")  # a new session (the last was idle for 2 hours)
        assert len(choices(top)) == 6
        assert "Emergenza neve" not in body_text(greeting) + body_text(top)


def test_avvisi_subscribes_the_citizen_to_the_alerts(citizen: Citizen, menu: MenuVersion) -> None:
    citizen.say("ciao")
    assert not Identity.objects.exists()
    [done] = citizen.say("AVVISI")
    assert "riceverai gli avvisi" in body_text(done)
    identity = Identity.objects.get(kind=Identity.Kind.WHATSAPP)
    assert identity.citizen is not None and is_subscribed(identity.citizen)
    [stopped] = citizen.say("stop avvisi")
    assert "Non riceverai più" in body_text(stopped)
    assert not is_subscribed(identity.citizen)
