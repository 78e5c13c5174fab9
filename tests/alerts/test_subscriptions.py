"""Citizens opt in to the alerts on WhatsApp and out again: a consent with its time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from ascolto.citizens.models import Consent, Identity
from ascolto.core.errors import NotFound
from ascolto.knowledge import alerts
from tests import personas

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 1, 12, 7, 0, tzinfo=UTC)


def test_subscribing_records_the_consent_and_its_time(cast: personas.Cast) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        consent = alerts.subscribe("whatsapp", "393331234567")
        identity = Identity.objects.get(kind=Identity.Kind.WHATSAPP, value="+393331234567")
        assert consent.citizen == identity.citizen
        assert (consent.purpose, consent.granted, consent.source, consent.recorded_at) == (
            Consent.Purpose.NEWS,
            True,
            "alerts:whatsapp:whatsapp",
            T0,
        )
        assert list(alerts.subscribers()) == [identity.citizen]
        clock.shift(timedelta(days=3))
        withdrawal = alerts.unsubscribe("whatsapp", "393331234567")
        assert withdrawal is not None and not withdrawal.granted
        assert withdrawal.recorded_at == T0 + timedelta(days=3)
        assert list(alerts.subscribers()) == []
        assert alerts.unsubscribe("whatsapp", "393331234567") is None


def test_a_user_id_subscribes_too_and_unknown_handles_change_nothing(cast: personas.Cast) -> None:
    alerts.subscribe("whatsapp", "IT.1349120865")
    assert Identity.objects.get(kind=Identity.Kind.WHATSAPP_BSUID).citizen is not None
    assert alerts.unsubscribe("whatsapp", "393339999999") is None
    with pytest.raises(NotFound):
        alerts.subscribe("scrivi", "393331234567")
