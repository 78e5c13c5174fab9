"""WhatsApp media: fetched from the Graph API (the local sandbox) by id when the delivery is
drained, checked like any citizen's attachment, stored in the default storage once."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from ascolto.channels.adapters.meta import deliveries
from ascolto.channels.adapters.meta.sandbox import GraphSandbox
from ascolto.channels.inbound import STORED
from ascolto.channels.models import Message, WebhookDelivery
from tests.meta.inbound.conftest import Meta

pytestmark = pytest.mark.django_db


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 120, 40)).save(out, format="JPEG", quality=90)
    return out.getvalue()


# A real (flat) photo: stored images are decoded and written again without their metadata
# (`channels.files.sanitised`), and this one comes out byte for byte the same.
JPEG = _jpeg()
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"0" * 200
OGG = b"OggS\x00\x02" + b"\x00" * 22 + b"OpusHead" + b"\x01" * 200
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200
IMAGE, DOCUMENT, AUDIO = "1003383421387256", "1003383421387257", "1003383421387258"


@pytest.fixture
def storage(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _drain() -> deliveries.Drained:
    return deliveries.drain()


def _inbound() -> list[Message]:
    return list(Message.objects.filter(direction=Message.Direction.INBOUND).order_by("pk"))


def test_image_document_and_voice_message_are_fetched_checked_and_stored(
    meta: Meta, graph_sandbox: GraphSandbox, storage: Path
) -> None:
    graph_sandbox.add_media(IMAGE, JPEG, "image/jpeg")
    graph_sandbox.add_media(DOCUMENT, PDF, "application/pdf")
    graph_sandbox.add_media(AUDIO, OGG, "audio/ogg")
    for name in ("whatsapp_image", "whatsapp_document", "whatsapp_audio"):
        meta.deliver(name)
    assert _drain().processed == 3

    image, document, audio = _inbound()
    assert image.text == "La buca in via Torino"
    assert document.text == "[Documento]"
    assert audio.text == "[Messaggio vocale o audio]"
    expected = [
        (image, "image.jpg", "image/jpeg", JPEG),
        (document, "ricevuta_TARI.pdf", "application/pdf", PDF),
        (audio, "audio.ogg", "audio/ogg", OGG),
    ]
    for message, name, mime, data in expected:
        [attachment] = message.attachments
        assert (attachment["name"], attachment["content_type"]) == (name, mime)
        assert attachment["size"] == len(data)
        assert attachment["url"].startswith(STORED)
        with default_storage.open(attachment["url"].removeprefix(STORED)) as stored:
            assert stored.read() == data
    # The Graph API was asked by id, with the channel's token.
    paths = [r.path for r in graph_sandbox.requests]
    assert any(path.endswith(f"/{IMAGE}") for path in paths)


def test_a_re_delivered_media_message_is_neither_fetched_nor_stored_again(
    meta: Meta, graph_sandbox: GraphSandbox, storage: Path
) -> None:
    graph_sandbox.add_media(IMAGE, JPEG, "image/jpeg")
    meta.deliver("whatsapp_image")
    _drain()
    fetched = len(graph_sandbox.requests)
    meta.deliver("whatsapp_image")
    assert _drain().processed == 1
    assert len(graph_sandbox.requests) == fetched
    assert len(_inbound()) == 1
    assert len(list((storage / "meta").rglob("*.jpg"))) == 1


def test_a_file_of_a_type_we_do_not_take_is_noted_not_stored(
    meta: Meta, graph_sandbox: GraphSandbox, storage: Path
) -> None:
    graph_sandbox.add_media(IMAGE, MP4, "image/jpeg")  # it says image; it is a video
    meta.deliver("whatsapp_image")
    assert _drain().processed == 1
    [message] = _inbound()
    assert message.attachments == []
    assert message.text == (
        "La buca in via Torino\n\n"
        "[Allegato «image.jpg» non importato: non è un'immagine, un PDF o un audio.]"
    )


def test_graph_down_delays_the_delivery_then_the_message_goes_in_with_a_note(
    meta: Meta, graph_sandbox: GraphSandbox, storage: Path, time_machine: Any
) -> None:
    meta.deliver("whatsapp_image")
    for attempt in range(1, deliveries.MEDIA_TRIES):
        graph_sandbox.fail_next(5, status=503)
        assert _drain().failed == 1
        row = WebhookDelivery.objects.get()
        assert row.attempts == attempt and row.last_error.startswith("media:")
        assert not _inbound()
        time_machine.move_to(row.next_attempt_at)
    graph_sandbox.fail_next(5, status=503)
    assert _drain().processed == 1  # the last try: taken in without the file, with a note
    [message] = _inbound()
    assert message.attachments == []
    assert "[Allegato «image.jpg» non scaricato da WhatsApp:" in message.text
    assert message.raw["whatsapp"]["message"]["image"]["id"] == IMAGE


def test_media_the_graph_api_does_not_know_is_noted_at_once(
    meta: Meta, graph_sandbox: GraphSandbox, storage: Path
) -> None:
    meta.deliver("whatsapp_document")  # no media added to the sandbox: Meta answers (#100)
    assert _drain().processed == 1
    [message] = _inbound()
    assert "[Allegato «ricevuta_TARI.pdf» non scaricato da WhatsApp:" in message.text


def test_without_the_access_token_the_delivery_waits_for_the_administrator_to_set_it(
    meta: Meta, graph_sandbox: GraphSandbox, storage: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    graph_sandbox.add_media(IMAGE, JPEG, "image/jpeg")
    monkeypatch.delenv("ASCOLTO_WHATSAPP_TOKEN")
    meta.deliver("whatsapp_image")
    assert _drain().failed == 1
    row = WebhookDelivery.objects.get()
    assert "access token" in row.last_error
    monkeypatch.setenv("ASCOLTO_WHATSAPP_TOKEN", graph_sandbox.token)
    assert deliveries.retry_now([row.pk]).processed == 1
    [message] = _inbound()
    assert message.attachments[0]["content_type"] == "image/jpeg"
