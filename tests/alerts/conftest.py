"""Fixtures of the alerts on current topics: a pinned clock and an empty cache."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ascolto.knowledge.alerts import forget_cached_alerts
from tests.meta.conftest import _graph_server, graph_sandbox

__all__ = ["_graph_server", "graph_sandbox"]


@pytest.fixture(autouse=True)
def _no_cached_alerts() -> Iterator[None]:
    """Every test starts and ends with no alert cached (the cache outlives a test's rollback)."""
    forget_cached_alerts()
    yield
    forget_cached_alerts()
