"""Every refusal is an `application/problem+json` document (RFC 9457) with a stable type and
code, the Italian message for people, the field at fault and the request's path."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from ascolto.api.problems import BASE, TYPES
from tests.api.conftest import Api, World, api_for

pytestmark = pytest.mark.django_db

KEYS = {"type", "title", "status", "code", "detail", "instance"}


def problem_of(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert KEYS <= set(body)
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == BASE + code
    assert body["detail"]
    return body


def test_the_types_are_unique_and_stable() -> None:
    codes = [t.code for t in TYPES]
    assert len(codes) == len(set(codes))
    assert {"invalid-input", "not-found", "invalid-transition", "validation-error"} <= set(codes)


def test_401_403_404_405_409_422_429(portal: Api, world: World) -> None:
    problem_of(Client().get("/api/v1/cases"), 401, "unauthenticated")
    problem_of(api_for(["reference:read"]).get("/cases"), 403, "forbidden")
    missing = problem_of(portal.get("/cases/NESSUNO"), 404, "not-found")
    assert missing["instance"] == "/api/v1/cases/NESSUNO"
    assert missing["field"] == "code"
    not_allowed = problem_of(portal.client.delete("/api/v1/themes"), 405, "method-not-allowed")
    assert "GET" in not_allowed["detail"]
    problem_of(portal.post(f"/cases/{world.tari.code}/close"), 409, "invalid-transition")
    invalid = problem_of(portal.post("/cases", {"text": ""}), 422, "validation-error")
    fields = {e["field"] for e in invalid["errors"]}
    assert {"text", "sender"} <= fields
    bad_limit = problem_of(portal.get("/cases", {"limit": 1000}), 422, "validation-error")
    assert bad_limit["errors"][0]["field"] == "limit"
    slow = api_for(["reference:read"], rate_per_minute=1)
    slow.get("/themes")
    problem_of(slow.get("/themes"), 429, "rate-limited")


def test_a_domain_error_is_400_with_its_italian_message_and_field(
    portal: Api, world: World
) -> None:
    body = problem_of(portal.post(f"/cases/{world.tari.code}/assign", {}), 400, "invalid-input")
    assert body["field"] == "assignee"
    assert body["detail"] == "Scegli un operatore o un team a cui assegnare il caso."


def test_a_bad_cursor_is_invalid_input(portal: Api, world: World) -> None:
    body = problem_of(portal.get("/cases", {"cursor": "non-un-cursore"}), 400, "invalid-input")
    assert body["field"] == "cursor"


def test_a_server_error_is_a_500_problem_with_an_incident(
    portal: Api, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database on fire")

    monkeypatch.setattr("ascolto.api.catalogue.Office.objects.select_related", broken)
    body = problem_of(portal.get("/offices"), 500, "internal-error")
    assert len(body["incident"]) == 12
    assert body["incident"] in body["detail"]
    assert "fire" not in body["detail"]


def test_the_existing_endpoints_answer_problems_too(cast: Any) -> None:
    """The telephony webhook's refusals keep their own shape (its callers read `detail`);
    its rate limit and the alerts' are problems now."""
    refused = Client().post("/api/v1/telephony/calls", {}, content_type="application/json")
    assert refused.status_code == 401
    assert refused.json()["detail"]


def test_the_openapi_document_has_no_key_twice(client: Client) -> None:
    """Swagger UI (and any YAML reader) refuses a document with a key twice in one object."""
    twice: list[str] = []

    def pairs(items: list[tuple[str, object]]) -> dict[str, object]:
        keys = [key for key, _value in items]
        twice.extend(key for key in set(keys) if keys.count(key) > 1)
        return dict(items)

    response = client.get("/api/v1/openapi.json")
    json.loads(response.content, object_pairs_hook=pairs)
    assert twice == []
