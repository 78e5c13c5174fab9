"""Fixtures of Meta's inbound webhooks: the city's WhatsApp, Messenger and Instagram channels
(one Meta app, one app secret and verify token), and a way to deliver a payload as Meta does:
signed over its raw bytes, to `/webhooks/meta/<channel>/`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.test.client import Client as DjangoClient

from ascolto.channels.adapters.meta.signature import sign
from ascolto.channels.models import Channel
from tests import personas

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "meta"
APP_SECRET = "segreto-app-meta-di-prova"
VERIFY_TOKEN = "token-di-verifica-del-comune"
PAGE_ID = "100200300400"
INSTAGRAM_ID = "17841400000000001"


def payload(name: str) -> dict[str, Any]:
    """A replayed delivery from tests/fixtures/meta/ (shapes of Meta's documented examples)."""
    return dict(json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8")))


def raw(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


@dataclass
class Meta:
    """The channels of one Meta app and a client that delivers to their webhook."""

    cast: personas.Cast
    whatsapp: Channel
    messenger: Channel
    instagram: Channel
    client: DjangoClient

    def deliver(
        self,
        body: bytes | dict[str, Any] | str,
        *,
        channel: str = "whatsapp",
        secret: str = APP_SECRET,
        signature: str | None = None,
    ) -> Any:
        """POST `body` (a fixture's name, a dict or raw bytes) signed with `secret`, as Meta."""
        if isinstance(body, str):
            body = raw(body)
        elif isinstance(body, dict):
            body = json.dumps(body).encode()
        header = signature if signature is not None else sign(secret, body)
        return self.client.post(
            f"/webhooks/meta/{channel}/",
            data=body,
            content_type="application/json",
            headers={"X-Hub-Signature-256": header} if header else {},
        )


@pytest.fixture
def meta(cast: personas.Cast, monkeypatch: pytest.MonkeyPatch) -> Meta:
    monkeypatch.setenv("ASCOLTO_META_APP_SECRET", APP_SECRET)
    monkeypatch.setenv("ASCOLTO_META_VERIFY_TOKEN", VERIFY_TOKEN)
    messenger = personas.make_channel(
        "messenger", "messenger", "Messenger del Comune", {"page_id": PAGE_ID}
    )
    instagram = personas.make_channel(
        "instagram", "instagram", "Instagram del Comune", {"page_id": INSTAGRAM_ID}
    )
    return Meta(cast, cast.whatsapp, messenger, instagram, Client())
