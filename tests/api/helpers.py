"""The API's operations as data: every (method, path, scope) the tests walk."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ascolto.api.auth import BearerToken
from ascolto.api.urls import api


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # with its parameters filled with placeholders
    scope: str


def scoped_operations() -> list[Operation]:
    """Every operation guarded by a scope, its path parameters filled with placeholders (the
    scope is checked before any parameter is read)."""
    found: list[Operation] = []
    for bound in api._get_bound_routers():
        for route, view in bound.template.path_operations.items():
            for operation in view.operations:
                bearer = [a for a in operation.auth_callbacks if isinstance(a, BearerToken)]
                if not bearer:
                    continue
                path = "/api/v1" + (bound.prefix.rstrip("/") + "/" + route.lstrip("/")).rstrip("/")
                path = path.replace("//", "/")
                path = re.sub(r"\{[^}]*\}", "1", path)
                for method in operation.methods:
                    found.append(Operation(method.lower(), path, bearer[0].scope))
    return found
