"""The REST API under /api/v1/ (django-ninja): authentication, errors, and the resources.

See docs/api.md and decisions 0003 (django-ninja) and 0025 (errors, idempotency, pagination).
The resources are routers of this app (`api/cases.py`, `api/citizens.py`, …: the API sits above
every app, so it calls their actions and read modules); the telephony system's webhooks and the
public alerts feed are their apps' own routers.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.http import HttpRequest
from django.urls import URLPattern, URLResolver
from ninja import NinjaAPI, Schema

from ascolto.api import problems
from ascolto.api.cases import router as cases
from ascolto.api.catalogue import router as catalogue
from ascolto.api.citizens import router as citizens
from ascolto.api.records import router as records
from ascolto.contactcenter.api import router as telephony
from ascolto.knowledge.api import router as alerts

DESCRIPTION = """The REST API of ascolto, for the municipality's other systems (the portal, the
registry, the waste company, the telephony platform, reporting apps) and the console's own calls.

Authentication: `Authorization: Bearer <token>` (a token an administrator issues, with scopes and
an optional office) or the console's session (with its CSRF token). Errors are
`application/problem+json` (RFC 9457). Lists are paginated with an opaque `cursor`. Creating POSTs
take an `Idempotency-Key` header. See docs/api.md."""


class AscoltoAPI(NinjaAPI):
    """NinjaAPI whose "method not allowed" answers a problem document too, and whose OpenAPI
    document says so: every `Problem` response is `application/problem+json`."""

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(**kwargs)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                # A status given both by `response=` (an int key) and by `openapi_extra` (a
                # string key) is one response: JSON would otherwise carry the key twice, which
                # Swagger UI refuses ("duplicated mapping key").
                merged: dict[str, Any] = {}
                for status, response in operation.get("responses", {}).items():
                    merged.setdefault(str(status), {}).update(response)
                if "responses" in operation:
                    operation["responses"] = merged
                for response in operation.get("responses", {}).values():
                    content = response.get("content", {})
                    body = content.get("application/json", {})
                    if body.get("schema", {}).get("$ref", "").endswith("/Problem"):
                        content[problems.CONTENT_TYPE] = content.pop("application/json")
        return schema

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        result = super()._get_urls()
        for pattern in result:
            if isinstance(pattern, URLPattern):
                pattern.callback = problems.not_allowed_as_problem(pattern.callback)
        return result


api = AscoltoAPI(title="ascolto API", version="1", urls_namespace="api-v1", description=DESCRIPTION)
problems.install(api)
api.add_router("/cases", cases)
api.add_router("/citizens", citizens)
api.add_router("/", catalogue)
api.add_router("/", records)
api.add_router("/telephony", telephony)
api.add_router("/alerts", alerts)


class Health(Schema):
    status: str
    database: str


@api.get("/health", response=Health, auth=None, tags=["system"])
def health(request: HttpRequest) -> dict[str, Any]:
    """Liveness and database reachability, for load balancers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"status": "ok", "database": connection.vendor}
