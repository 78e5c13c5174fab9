"""The OpenAPI document, checked against the API by schemathesis: for every operation, a bounded
number of generated requests with a valid token (every scope, every office); no answer is a
server error, and every answer conforms to the document (status, content type, body schema)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ascolto.api.tokens import SCOPES, issue_token
from tests import personas

EXAMPLES = 10


@pytest.fixture
def wsgi_app() -> Iterator[WSGIHandler]:
    """Django's WSGI application, without closing the test's connection after each request (as
    Django's test client does): the test's transaction holds what the requests read."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_the_api_keeps_its_openapi_document(world: Any, wsgi_app: WSGIHandler) -> None:
    _token, plaintext = issue_token("schemathesis", SCOPES, rate_per_minute=1_000_000)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi_app)
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    tried = 0
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]
        if operation.path.startswith("/api/v1/telephony/"):
            continue  # signed webhooks, tested in tests/test_telephony_webhook.py

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case: Any) -> None:
            case.call_and_validate(headers={"Authorization": f"Bearer {plaintext}"}, checks=checks)

        check()
        tried += 1
    assert tried >= 30


def test_the_document_is_openapi_3_1_with_examples_and_the_bearer_scheme(
    cast: personas.Cast,
) -> None:
    from django.test import Client

    document = Client().get("/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"
    schemas = document["components"]["schemas"]
    ours = [name for name in schemas if name not in {"Health", "Stored", "Refused", "Popped"}]
    without = [
        name
        for name in ours
        for prop, spec in schemas[name].get("properties", {}).items()
        if "examples" not in spec
        and "$ref" not in spec
        and spec.get("type") not in ("array",)
        and "anyOf" not in spec
        and prop not in ("items",)
        and spec.get("format") != "date-time"
        and spec.get("format") != "date"
    ]
    assert len(without) < len(ours), without
    problem = document["paths"]["/api/v1/cases/{code}"]["get"]["responses"]["404"]
    assert "application/problem+json" in problem["content"]
