"""The channels the busiest requests read are kept a few seconds per process (`core.memo.Kept`):
the Scrivi form's for a minute on the wall clock (a channel missing or switched off is asked
for again), the Meta webhook's and the API's for ten seconds, forgotten at once when a channel
is saved or deleted in the process."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import time_machine
from django.utils import timezone

from ascolto.api import submissions
from ascolto.channels.adapters.meta import views as meta_views
from ascolto.channels.models import Channel
from ascolto.core.memo import Kept
from ascolto.web.views.scrivi import request as scrivi
from tests import personas


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_value_is_kept_for_its_seconds_then_read_again() -> None:
    clock = Clock()
    kept: Kept[str, int | None] = Kept(10.0, clock=clock)
    reads: list[str] = []

    def read(value: int | None) -> int | None:
        reads.append("read")
        return value

    assert kept.get("a", lambda: read(1)) == 1
    clock.now += 9.9
    assert kept.get("a", lambda: read(2)) == 1
    clock.now += 0.1
    assert kept.get("a", lambda: read(3)) == 3
    assert kept.get("b", lambda: read(None)) is None
    assert kept.get("b", lambda: read(4)) is None  # a missing value is kept too, by default
    kept.forget()
    assert kept.get("a", lambda: read(5)) == 5
    assert len(reads) == 4


def test_a_missing_value_can_be_asked_for_again_and_the_keys_are_bounded() -> None:
    kept: Kept[int, int | None] = Kept(60.0, clock=Clock(), keep_missing=False, most=3)
    assert kept.get(0, lambda: None) is None
    assert kept.get(0, lambda: 7) == 7
    for key in range(1, 5):
        kept.get(key, lambda: 1)
    assert kept.get(0, lambda: 8) == 8  # past `most` keys, everything was dropped


@pytest.fixture
def clean() -> Iterator[None]:
    for kept in (submissions._channel, meta_views._channels, scrivi._channel):
        kept.forget()
    yield
    for kept in (submissions._channel, meta_views._channels, scrivi._channel):
        kept.forget()


@pytest.mark.django_db
@pytest.mark.usefixtures("clean")
def test_the_api_channel_is_kept_ten_seconds_and_forgotten_when_a_channel_is_saved() -> None:
    clock = Clock()
    submissions._channel.clock = clock
    try:
        channel = submissions.api_channel()
        Channel.objects.filter(pk=channel.pk).update(name="Cambiato")  # no signal: unseen
        clock.now += 9.9
        assert submissions.api_channel().name == "API"
        clock.now += 0.1
        assert submissions.api_channel().name == "Cambiato"
        Channel.objects.filter(pk=channel.pk).update(is_active=False)
        personas.make_channel("web", "altro", "Altro")  # a channel saved in this process
        assert submissions.api_channel().is_active is False
    finally:
        submissions._channel.clock = time.monotonic


@pytest.mark.django_db
@pytest.mark.usefixtures("clean")
def test_the_meta_channels_are_kept_ten_seconds_by_code_and_forgotten_on_save() -> None:
    clock = Clock()
    meta_views._channels.clock = clock
    try:
        assert meta_views._channel("wa") is None  # unknown: kept as unknown
        channel = personas.make_channel(
            "whatsapp", "wa", "WhatsApp", {"phone_number_id": "1234567890"}
        )
        found = meta_views._channel("wa")  # the save forgot the unknown code
        assert found is not None and found.pk == channel.pk
        Channel.objects.filter(pk=channel.pk).update(is_active=False)
        clock.now += 9.9
        assert meta_views._channel("wa") is not None
        clock.now += 0.1
        assert meta_views._channel("wa") is None
    finally:
        meta_views._channels.clock = time.monotonic


@pytest.mark.django_db
@pytest.mark.usefixtures("clean")
def test_the_scrivi_channel_is_kept_a_minute_by_its_configured_code(settings: object) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        assert scrivi._active_channel() is None  # not configured yet: asked for again
        channel = personas.make_channel("web", "scrivi", "Scrivi al Comune")
        found = scrivi._active_channel()
        assert found is not None and found.pk == channel.pk
        Channel.objects.filter(pk=channel.pk).update(name="Cambiato")
        traveller.shift(59)
        assert scrivi._active_channel().name == "Scrivi al Comune"  # type: ignore[union-attr]
        traveller.shift(1)
        assert scrivi._active_channel().name == "Cambiato"  # type: ignore[union-attr]
        # Another configured code is another channel, read at once.
        other = personas.make_channel("web", "modulo", "Modulo")
        settings.ASCOLTO_SCRIVI_CHANNEL = "modulo"  # type: ignore[attr-defined]
        assert scrivi._active_channel().pk == other.pk  # type: ignore[union-attr]
