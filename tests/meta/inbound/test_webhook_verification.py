"""Meta's verification handshake: the challenge is echoed only for the right token."""

from __future__ import annotations

import pytest

from tests.meta.inbound.conftest import VERIFY_TOKEN, Meta

pytestmark = pytest.mark.django_db


def _verify(meta: Meta, **params: str) -> tuple[int, str]:
    response = meta.client.get("/webhooks/meta/whatsapp/", params)
    return response.status_code, response.content.decode()


def test_the_right_token_gets_the_challenge_back(meta: Meta) -> None:
    status, body = _verify(
        meta,
        **{
            "hub.mode": "subscribe",
            "hub.verify_token": VERIFY_TOKEN,
            "hub.challenge": "1158201444",
        },
    )
    assert (status, body) == (200, "1158201444")


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "sbagliato", "hub.challenge": "42"},
        {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN[:-1], "hub.challenge": "42"},
        {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "42"},
        {"hub.verify_token": VERIFY_TOKEN, "hub.challenge": "42"},
        {"hub.mode": "subscribe", "hub.challenge": "42"},
        {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN},
        {},
    ],
    ids=["wrong", "almost", "mode", "no-mode", "no-token", "no-challenge", "nothing"],
)
def test_anything_else_is_refused(meta: Meta, params: dict[str, str]) -> None:
    status, body = _verify(meta, **params)
    assert status == 403
    assert "42" not in body


def test_without_a_configured_token_nothing_is_verified(
    meta: Meta, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ASCOLTO_META_VERIFY_TOKEN")
    status, _ = _verify(
        meta, **{"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}
    )
    assert status == 403


def test_an_unknown_or_inactive_channel_is_not_found(meta: Meta) -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "7"}
    assert meta.client.get("/webhooks/meta/nessuno/", params).status_code == 404
    assert meta.client.get("/webhooks/meta/scrivi/", params).status_code == 404  # not Meta's
    meta.messenger.is_active = False
    meta.messenger.save()
    assert meta.client.get("/webhooks/meta/messenger/", params).status_code == 404
    assert meta.client.get("/webhooks/meta/instagram/", params).status_code == 200
