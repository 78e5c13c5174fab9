"""A passing outage of the database, the cache or the uploads' disk (`core/outages.py`): a 503
with `Retry-After` and words that say what to do, never a 500; while the cache (Redis) is down,
the citizen's pages and the rate limits carry on without it. Each outage is real: a server
port where nothing listens, not a stand-in."""

from __future__ import annotations

import errno
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from ascolto.channels.models import PendingInbound
from ascolto.core import outages, ratelimit
from tests.web.test_scrivi import form


def _closed_port() -> int:
    """A loopback port nobody listens on: a connection to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


PROBE = """
import json
import django
django.setup()
from django.test import Client
client = Client(HTTP_HOST="127.0.0.1", raise_request_exception=False)
page = client.get("/scrivi/")
api = client.get("/api/v1/cases", HTTP_AUTHORIZATION="Bearer asc_nessuno")
print(json.dumps({
    "page": [page.status_code, page.get("Retry-After"), page.content.decode()],
    "api": [api.status_code, api.get("Retry-After"), api["Content-Type"], api.content.decode()],
}))
"""


def test_while_the_database_does_not_answer_pages_and_the_api_say_503_and_when_to_retry() -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ascolto.config.settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{_closed_port()}/ascolto",
        "ASCOLTO_DEBUG": "false",
        "ASCOLTO_ALLOWED_HOSTS": "127.0.0.1",
    }
    done = subprocess.run(  # noqa: S603 - our own interpreter and probe
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])

    status, retry, text = seen["page"]
    assert (status, retry) == (503, str(outages.RETRY_AFTER))
    assert "Servizio momentaneamente non disponibile" in text
    assert "inviala di nuovo" in text  # what to do about a request sent meanwhile

    status, retry, content_type, body = seen["api"]
    assert (status, retry) == (503, str(outages.RETRY_AFTER))
    assert content_type.startswith("application/problem+json")
    assert json.loads(body)["type"].endswith("/unavailable")


@pytest.fixture
def redis_down() -> Iterator[None]:
    """The cache is Redis on a port where no server answers."""
    location = f"redis://127.0.0.1:{_closed_port()}/0"
    caches = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location}
    }
    ratelimit._redis.cache_clear()
    with override_settings(CACHES=caches):
        yield
    ratelimit._redis.cache_clear()


@pytest.mark.django_db
def test_while_the_cache_does_not_answer_a_citizen_still_reads_and_sends_the_form(
    redis_down: None,
    scrivi: Any,
    django_capture_on_commit_callbacks: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = Client()
    assert client.get(reverse("scrivi:home")).status_code == 200  # the alerts from the database

    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(reverse("scrivi:home"), form())
    assert sent.status_code == 303  # accepted, uncounted by the rate limits
    assert PendingInbound.objects.count() == 1  # accepted into the intake queue
    assert _cases() == 1  # and taken in
    assert "rate limits not counted" in caplog.text


def _cases() -> int:
    from ascolto.tickets.models import Ticket

    return Ticket.objects.count()


def test_a_read_only_or_full_disk_is_an_outage_and_other_file_errors_are_not() -> None:
    assert outages.unavailable(OSError(errno.EROFS, "Read-only file system")) == "disk"
    assert outages.unavailable(OSError(errno.ENOSPC, "No space left on device")) == "disk"
    assert outages.unavailable(OSError(errno.ENOENT, "No such file")) is None
    assert outages.unavailable(ValueError("x")) is None
