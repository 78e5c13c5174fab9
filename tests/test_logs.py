"""Log lines with the request's id, as JSON in production (core/logs.py)."""

from __future__ import annotations

import io
import json
import logging
import logging.config
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.test import Client

from ascolto.core.logs import current_request_id

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """The project's JSON handler (formatter and filter as the settings define them), writing to
    a buffer, on the `django.request` logger."""
    config = settings.LOGGING
    formatter = logging.config.DictConfigurator(
        {"version": 1, "formatters": {"json": dict(config["formatters"]["json"])}}
    ).configure_formatter(dict(config["formatters"]["json"]))
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(formatter)
    from ascolto.core.logs import RequestIdFilter

    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        yield buffer
    finally:
        logger.removeHandler(handler)


def test_every_answer_carries_a_request_id(client: Client) -> None:
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert len(first) == 32 and first != second


def test_the_proxys_well_formed_id_is_kept_and_a_malformed_one_replaced(client: Client) -> None:
    assert client.get("/healthz", HTTP_X_REQUEST_ID="proxy-1234abcd")["X-Request-ID"] == (
        "proxy-1234abcd"
    )
    for bad in ["short", "has spaces in it", "x" * 65, "new\nline-injected"]:
        assert client.get("/healthz", HTTP_X_REQUEST_ID=bad)["X-Request-ID"] != bad


def test_a_requests_log_line_is_one_json_object_with_its_id(
    client: Client, json_lines: io.StringIO
) -> None:
    response = client.get("/scrivi/pratica/NOT-A-CODE-AT-ALL/")
    assert response.status_code == 404

    records = [json.loads(line) for line in json_lines.getvalue().splitlines()]
    assert records, "django.request logs the 404"
    record = records[-1]
    assert record["level"] == "WARNING"
    assert record["logger"] == "django.request"
    assert record["request_id"] == response["X-Request-ID"]
    assert record["message"].startswith("Not Found: /scrivi/pratica/")
    assert "time" in record


def test_outside_a_request_the_id_is_a_dash() -> None:
    assert current_request_id() == "-"
