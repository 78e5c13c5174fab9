"""Messenger and Instagram Direct attachments: fetched from the address the delivery gives
(Meta's CDN; here the local Graph sandbox's), without the token, when the delivery is drained;
checked like any citizen's attachment and stored once, under a name fixed by the message."""

from __future__ import annotations

import copy
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from ascolto.channels.adapters.meta import deliveries
from ascolto.channels.adapters.meta.sandbox import GraphSandbox
from ascolto.channels.files import MAX_FILE_BYTES
from ascolto.channels.inbound import STORED
from ascolto.channels.models import Message, WebhookDelivery
from tests.meta.inbound.conftest import Meta, payload

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


@pytest.fixture
def storage(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _with(name: str, *attachments: tuple[str, str], text: str = "") -> dict[str, Any]:
    """The fixture's message carrying `attachments` ((type, url), ...)."""
    data = copy.deepcopy(payload(name))
    message = data["entry"][0]["messaging"][0]["message"]
    message["attachments"] = [{"type": kind, "payload": {"url": url}} for kind, url in attachments]
    if text:
        message["text"] = text
    else:
        message.pop("text", None)
        message.pop("quick_reply", None)
    return data


def _inbound() -> list[Message]:
    return list(Message.objects.filter(direction=Message.Direction.INBOUND).order_by("pk"))


def _stored(attachment: dict[str, Any]) -> bytes:
    assert attachment["url"].startswith(STORED)
    with default_storage.open(attachment["url"].removeprefix(STORED)) as stored:
        return bytes(stored.read())


def test_messenger_image_file_and_audio_are_fetched_checked_and_stored(
    meta: Meta, graph_sandbox: GraphSandbox, storage: Path
) -> None:
    image = graph_sandbox.add_file("lampione.jpg", JPEG, "image/jpeg")
    document = graph_sandbox.add_file("ricevuta_TARI.pdf", PDF, "application/pdf")
    voice = graph_sandbox.add_file("audioclip-1.mp4", OGG, "audio/mpeg")
    body = _with("messenger_attachment", ("image", image), ("file", document), ("audio", voice))
    assert meta.deliver(body, channel="messenger").status_code == 200
    assert deliveries.drain().processed == 1

    [message] = _inbound()
    assert message.text == "[Immagine] [Documento] [Messaggio vocale o audio]"
    names = [(a["name"], a["content_type"], a["size"]) for a in message.attachments]
    assert names == [
        ("image.jpg", "image/jpeg", len(JPEG)),
        ("ricevuta_TARI.pdf", "application/pdf", len(PDF)),
        ("audio.ogg", "audio/ogg", len(OGG)),  # the type read from the bytes, not claimed
    ]
    assert [_stored(a) for a in message.attachments] == [JPEG, PDF, OGG]
    # The CDN was asked without the page's token (the sandbox refuses one, as a leak).
    cdn = [r for r in graph_sandbox.requests if r.path.startswith("/cdn/")]
    assert len(cdn) == 3 and not any(r.authorization for r in cdn)
    assert message.raw["messenger"]["message"]["attachments"][0]["payload"]["url"] == image


def test_an_instagram_image_with_text_is_stored(
    meta: Meta, graph_sandbox: GraphSandbox, storage: Path
) -> None:
    image = graph_sandbox.add_file("buca.jpg", JPEG, "image/jpeg")
    body = _with("instagram_text", ("image", image), text="La buca di via Roma")
    assert meta.deliver(body, channel="instagram").status_code == 200
    assert deliveries.drain().processed == 1
    [message] = _inbound()
    assert message.channel == meta.instagram
    assert message.text == "La buca di via Roma"
    [attachment] = message.attachments
    assert _stored(attachment) == JPEG


def test_a_re_delivered_message_is_neither_fetched_nor_stored_again(
    meta: Meta, graph_sandbox: GraphSandbox, storage: Path
) -> None:
    body = _with("messenger_attachment", ("image", graph_sandbox.add_file("a.jpg", JPEG, "")))
    meta.deliver(body, channel="messenger")
    deliveries.drain()
    asked = len(graph_sandbox.requests)
    meta.deliver(body, channel="messenger")
    assert deliveries.drain().processed == 1
    assert len(graph_sandbox.requests) == asked
    assert len(_inbound()) == 1
    assert len([p for p in (storage / "meta").rglob("*") if p.is_file()]) == 1


def test_a_video_is_noted_not_stored(
    meta: Meta, graph_sandbox: GraphSandbox, storage: Path
) -> None:
    body = _with("messenger_attachment", ("video", graph_sandbox.add_file("v.mp4", MP4, "")))
    meta.deliver(body, channel="messenger")
    assert deliveries.drain().processed == 1
    [message] = _inbound()
    assert message.attachments == []
    assert message.text == (
        "[Video]\n\n[Allegato «video» non importato: non è un'immagine, un PDF o un audio.]"
    )


def test_a_file_above_the_limit_is_noted_at_once(
    meta: Meta, graph_sandbox: GraphSandbox, storage: Path
) -> None:
    big = graph_sandbox.add_file("grande.pdf", PDF + b"0" * MAX_FILE_BYTES, "application/pdf")
    meta.deliver(_with("messenger_attachment", ("file", big)), channel="messenger")
    assert deliveries.drain().processed == 1
    [message] = _inbound()
    assert message.attachments == []
    assert "[Allegato «grande.pdf» non scaricato da Facebook Messenger:" in message.text
    assert "larger than" in message.text


def test_an_expired_address_is_noted_at_once(
    meta: Meta, graph_sandbox: GraphSandbox, storage: Path
) -> None:
    gone = f"{graph_sandbox.root}/cdn/scaduto.jpg?oe=0"  # nothing served there: 404
    meta.deliver(_with("messenger_attachment", ("image", gone)), channel="messenger")
    assert deliveries.drain().processed == 1
    [message] = _inbound()
    assert message.text.startswith("[Immagine]\n\n[Allegato «image» non scaricato da Facebook")


def test_the_cdn_down_delays_the_delivery_then_it_goes_in_with_a_note(
    meta: Meta, graph_sandbox: GraphSandbox, storage: Path, time_machine: Any
) -> None:
    image = graph_sandbox.add_file("lampione.jpg", JPEG, "image/jpeg")
    meta.deliver(_with("messenger_attachment", ("image", image)), channel="messenger")
    graph_sandbox.fail_next(1, status=503)
    assert deliveries.drain().failed == 1
    row = WebhookDelivery.objects.get()
    assert row.last_error.startswith("media:") and not _inbound()
    time_machine.move_to(row.next_attempt_at)
    assert deliveries.drain().processed == 1  # the CDN is back: stored
    [message] = _inbound()
    assert _stored(message.attachments[0]) == JPEG

    second = _with("messenger_attachment", ("image", image))
    second["entry"][0]["messaging"][0]["message"]["mid"] = "m_SECOND"
    meta.deliver(second, channel="messenger")
    for _attempt in range(deliveries.MEDIA_TRIES - 1):
        graph_sandbox.fail_next(1, status=503)
        assert deliveries.drain().failed == 1
        time_machine.move_to(WebhookDelivery.objects.order_by("id").last().next_attempt_at)
    graph_sandbox.fail_next(1, status=503)
    assert deliveries.drain().processed == 1  # the last try: in without the file, with a note
    later = _inbound()[-1]
    assert later.attachments == []
    assert "[Allegato «image» non scaricato da Facebook Messenger:" in later.text
