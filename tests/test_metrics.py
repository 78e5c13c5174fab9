"""`/metrics`: Prometheus's scrape behind a token, with the requests' counts and latencies and
the domain's figures (core/metrics.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from ascolto.channels import queue
from ascolto.core.models import OutboxEvent
from ascolto.tickets import codes
from ascolto.tickets.models import Ticket
from tests import factories, personas

pytestmark = pytest.mark.django_db

TOKEN = "scrape-token-for-the-tests"


def scrape(client: Client) -> dict[str, float]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    samples: dict[str, float] = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return samples


def test_without_a_token_setting_there_is_no_endpoint(client: Client) -> None:
    with override_settings(ASCOLTO_METRICS_TOKEN=""):
        assert client.get("/metrics").status_code == 404


@override_settings(ASCOLTO_METRICS_TOKEN=TOKEN)
def test_a_scrape_without_the_right_token_is_refused(client: Client) -> None:
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer not-the-token")
    assert wrong.status_code == 401
    assert wrong["WWW-Authenticate"].startswith("Bearer")


@override_settings(ASCOLTO_METRICS_TOKEN=TOKEN)
def test_requests_are_counted_by_view_and_status_with_their_latency(client: Client) -> None:
    before = scrape(client)
    key = (
        "django_http_responses_total_by_status_view_method_total"
        "{method=GET,status=200,view=healthz}"
    )
    client.get("/healthz")
    client.get("/healthz")
    after = scrape(client)
    assert after[key] - before.get(key, 0) == 2
    latency = "django_http_requests_latency_seconds_by_view_method_count{method=GET,view=healthz}"
    assert after[latency] - before.get(latency, 0) == 2


@override_settings(ASCOLTO_METRICS_TOKEN=TOKEN)
def test_the_domains_figures_are_read_at_each_scrape(client: Client, cast: personas.Cast) -> None:
    for _ in range(2):
        queue.accept(factories.scrivi_message(code=codes.new_code()))
    OutboxEvent.objects.create(topic="nothing.listens", payload={})
    late = factories.open_case()
    Ticket.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=1))

    figures = scrape(client)

    assert figures["ascolto_intake_queue_depth"] == 2
    assert figures["ascolto_intake_queue_age_seconds"] >= 0
    assert figures["ascolto_sla_breaches_open"] == 1
    assert figures["ascolto_outbox_pending"] >= 1
    assert figures["ascolto_outbox_failed"] == 0


def test_the_drain_counts_what_it_takes_in(cast: personas.Cast) -> None:
    before = REGISTRY.get_sample_value("ascolto_intake_taken_in_total") or 0
    for _ in range(3):
        queue.accept(factories.scrivi_message(code=codes.new_code()))
    queue.drain()
    assert REGISTRY.get_sample_value("ascolto_intake_taken_in_total") - before == 3
