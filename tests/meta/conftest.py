"""Fixtures of Meta's channels: the local Graph API server (`channels/adapters/meta/sandbox.py`)
on a free loopback port, with `ASCOLTO_META_GRAPH_URL` and the channels' tokens pointing at it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ascolto.channels.adapters.meta.sandbox import GraphSandbox


@pytest.fixture(scope="session")
def _graph_server() -> Iterator[GraphSandbox]:
    server = GraphSandbox().start()
    yield server
    server.stop()


@pytest.fixture
def graph_sandbox(
    _graph_server: GraphSandbox, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> GraphSandbox:
    """The Graph sandbox, emptied (no requests, media or failures left by another test), with
    the setting and the default token variables of WhatsApp and Page channels set to it."""
    _graph_server.reset()
    settings.ASCOLTO_META_GRAPH_URL = _graph_server.url
    monkeypatch.setenv("ASCOLTO_WHATSAPP_TOKEN", _graph_server.token)
    monkeypatch.setenv("ASCOLTO_META_PAGE_TOKEN", _graph_server.token)
    return _graph_server
