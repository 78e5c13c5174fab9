"""Metrics in Prometheus's text format, at `/metrics` behind a token (`ASCOLTO_METRICS_TOKEN`).

Requests by view and status and their latency histograms are django-prometheus's middleware.
The domain's figures are read from the database when Prometheus scrapes (one cheap query each):
apps register a gauge with `register_gauge` in their `AppConfig.ready()` (channels: the intake
queue's depth and age; core: the outbox's lag and failures; tickets: SLA breaches open). The
drain's and the relay's throughput are counters (`TAKEN_IN`, `RELAYED`) counted where the work
is done: with several processes on a node (gunicorn workers, the drain loop, the task worker),
set `PROMETHEUS_MULTIPROC_DIR` to one folder for all of them (docs/deploy.md, "Metrics").
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import prometheus_client
from prometheus_client import CollectorRegistry, Counter, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

TAKEN_IN = Counter(
    "ascolto_intake_taken_in",
    "Requests taken in from the intake queue (cases made or threaded)",
)
RELAYED = Counter(
    "ascolto_outbox_events_processed",
    "Outbox events processed by their handlers, by result",
    ["result"],
)


@dataclass(frozen=True)
class Gauge:
    name: str
    help: str
    read: Callable[[], float]


_gauges: dict[str, Gauge] = {}


def register_gauge(name: str, help: str, read: Callable[[], float]) -> None:
    _gauges[name] = Gauge(name, help, read)


class DomainCollector(Collector):
    """The registered gauges, read at each scrape."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        for gauge in sorted(_gauges.values(), key=lambda g: g.name):
            yield GaugeMetricFamily(gauge.name, gauge.help, value=float(gauge.read()))


def exposition() -> bytes:
    """Every metric of this process (or of every process of the node, in multiprocess mode),
    and the domain's gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        registry.register(DomainCollector())
        return prometheus_client.generate_latest(registry)
    return prometheus_client.generate_latest(prometheus_client.REGISTRY)


_domain_registered = False


def register_domain_collector() -> None:
    """The domain's gauges in this process's registry (once)."""
    global _domain_registered
    if not _domain_registered:
        prometheus_client.REGISTRY.register(DomainCollector())
        _domain_registered = True


# --- core's gauges ----------------------------------------------------------------------------


def _outbox_pending() -> float:
    from ascolto.core.models import OutboxEvent

    return OutboxEvent.objects.filter(processed_at__isnull=True, failed_at__isnull=True).count()


def _outbox_failed() -> float:
    from ascolto.core.models import OutboxEvent

    return OutboxEvent.objects.filter(processed_at__isnull=True, failed_at__isnull=False).count()


def _outbox_lag() -> float:
    from django.db.models import Min
    from django.utils import timezone

    from ascolto.core.models import OutboxEvent

    oldest = OutboxEvent.objects.filter(
        processed_at__isnull=True, failed_at__isnull=True
    ).aggregate(at=Min("created_at"))["at"]
    return 0.0 if oldest is None else max(0.0, (timezone.now() - oldest).total_seconds())


def register_core_gauges() -> None:
    register_domain_collector()
    register_gauge(
        "ascolto_outbox_pending", "Outbox events waiting to be processed", _outbox_pending
    )
    register_gauge(
        "ascolto_outbox_failed", "Outbox events given up after their retries", _outbox_failed
    )
    register_gauge(
        "ascolto_outbox_lag_seconds", "Age of the oldest outbox event waiting", _outbox_lag
    )
