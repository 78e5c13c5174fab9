"""The local Graph server of Meta's tests, for the social queue's tests."""

from tests.meta.conftest import _graph_server, graph_sandbox

__all__ = ["_graph_server", "graph_sandbox"]
