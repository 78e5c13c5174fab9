"""Fixtures of the alerts on current topics: the local Graph server (the cache of alerts is
emptied around every test by `tests/conftest.py`)."""

from __future__ import annotations

from tests.meta.conftest import _graph_server, graph_sandbox

__all__ = ["_graph_server", "graph_sandbox"]
