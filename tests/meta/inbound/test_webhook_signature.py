"""A delivery is stored only with a good signature of its raw bytes; nothing otherwise."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from ascolto.channels.adapters.meta import deliveries
from ascolto.channels.adapters.meta.signature import sign
from ascolto.channels.models import Message, WebhookDelivery
from tests.meta.inbound.conftest import APP_SECRET, Meta, raw

pytestmark = pytest.mark.django_db


def test_a_signed_delivery_is_accepted_as_it_arrived(meta: Meta) -> None:
    body = raw("whatsapp_text")
    response = meta.deliver(body)
    assert response.status_code == 200
    row = WebhookDelivery.objects.get()
    assert row.channel == "whatsapp"
    assert row.body.encode() == body  # the bytes Meta signed, not a re-serialisation
    assert row.processed_at is None
    assert not Message.objects.exists()  # parsed later, by the drain


def _wrong_hex() -> str:
    good = sign(APP_SECRET, raw("whatsapp_text"))
    return good[:-1] + ("0" if good[-1] != "0" else "1")


@pytest.mark.parametrize(
    ("signature", "body"),
    [
        ("", raw("whatsapp_text")),  # missing header
        (
            "sha1=" + hmac.new(APP_SECRET.encode(), raw("whatsapp_text"), hashlib.sha1).hexdigest(),
            raw("whatsapp_text"),
        ),  # the legacy header's prefix
        (sign(APP_SECRET, raw("whatsapp_text")).removeprefix("sha256="), raw("whatsapp_text")),
        (_wrong_hex(), raw("whatsapp_text")),
        ("sha256=zz-not-hex", raw("whatsapp_text")),
        ("sha256=àèìòù", raw("whatsapp_text")),
        (
            sign(APP_SECRET, raw("whatsapp_text")),
            raw("whatsapp_text").replace(b"Padova", b"Milano"),
        ),
        (
            sign(APP_SECRET, raw("whatsapp_text")),
            json.dumps(json.loads(raw("whatsapp_text"))).encode(),
        ),  # same JSON, other bytes
        (sign("un-altro-segreto", raw("whatsapp_text")), raw("whatsapp_text")),
    ],
    ids=[
        "missing",
        "sha1-prefix",
        "no-prefix",
        "wrong-hex",
        "not-hex",
        "not-ascii",
        "body-altered",
        "body-reserialised",
        "wrong-secret",
    ],
)
def test_a_bad_signature_is_refused_and_nothing_is_stored(
    meta: Meta, signature: str, body: bytes
) -> None:
    response = meta.deliver(body, signature=signature)
    assert response.status_code == 401
    assert not WebhookDelivery.objects.exists()
    assert deliveries.drain().processed == 0
    assert not Message.objects.exists()


def test_without_a_configured_app_secret_every_delivery_is_refused(
    meta: Meta, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ASCOLTO_META_APP_SECRET")
    assert meta.deliver("whatsapp_text", secret="").status_code == 401
    assert meta.deliver("whatsapp_text").status_code == 401
    assert not WebhookDelivery.objects.exists()


def test_a_delivery_over_the_size_limit_is_refused(meta: Meta) -> None:
    body = b'{"object":"page","entry":[],"pad":"' + b"x" * deliveries.MAX_BODY_BYTES + b'"}'
    assert meta.deliver(body).status_code == 413
    assert not WebhookDelivery.objects.exists()


def test_a_delivery_to_an_unknown_channel_is_not_found(meta: Meta) -> None:
    assert meta.deliver("whatsapp_text", channel="nessuno").status_code == 404
    assert not WebhookDelivery.objects.exists()


def test_only_get_and_post(meta: Meta) -> None:
    assert meta.client.put("/webhooks/meta/whatsapp/").status_code == 405
