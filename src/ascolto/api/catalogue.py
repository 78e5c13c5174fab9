"""The city's reference lists through the API: themes (the taxonomy), offices, services.

    GET /themes      GET /offices      GET /services

Not personal data and not scoped by office: every system that files or routes a request needs
the whole taxonomy and organisation chart (scope `reference:read`). Small tables, answered whole.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from ascolto.api.auth import scoped
from ascolto.api.problems import Problem
from ascolto.organisation.models import Office
from ascolto.surveys.models import Service
from ascolto.tickets.models import Theme

router = Router(tags=["reference"])
READ = scoped("reference:read")
ERRORS: dict[int, Any] = {401: Problem, 403: Problem, 429: Problem}


class ThemeOut(Schema):
    code: str = Field(examples=["tari"])
    name: str = Field(examples=["TARI"])
    level: int = Field(examples=[2], description="1 area, 2 theme, 3 topic")
    parent: str | None = Field(examples=["tributi"])
    office: str | None = Field(examples=["tributi"])
    is_active: bool = Field(examples=[True])


class OfficeOut(Schema):
    code: str = Field(examples=["tributi"])
    name: str = Field(examples=["Direzione Tributi"])
    kind: str = Field(examples=["department"])
    parent: str | None = Field(examples=[None])
    is_active: bool = Field(examples=[True])


class ServiceOut(Schema):
    code: str = Field(examples=["certificati-online"])
    name: str = Field(examples=["Certificati anagrafici online"])
    name_en: str = Field(examples=["Registry certificates online"])
    office: str | None = Field(examples=["anagrafe"])
    theme: str | None = Field(examples=["anagrafe"])
    online: bool = Field(examples=[True])
    url: str = Field(examples=["https://www.comune.example.it/servizi/certificati"])
    is_active: bool = Field(examples=[True])


@router.get("/themes", auth=READ, response={200: list[ThemeOut], **ERRORS}, tags=["reference"])
def themes(request: HttpRequest) -> list[dict[str, Any]]:
    """The taxonomy of requests, area → theme → topic, in its order."""
    rows = Theme.objects.select_related("parent", "office").order_by("path")
    return [
        {
            "code": t.code,
            "name": t.name,
            "level": t.level,
            "parent": t.parent.code if t.parent else None,
            "office": t.office.code if t.office else None,
            "is_active": t.is_active,
        }
        for t in rows
    ]


@router.get("/offices", auth=READ, response={200: list[OfficeOut], **ERRORS}, tags=["reference"])
def offices(request: HttpRequest) -> list[dict[str, Any]]:
    """The organisation chart: departments, business units, units, task forces."""
    rows = Office.objects.select_related("parent").order_by("path")
    return [
        {
            "code": o.code,
            "name": o.name,
            "kind": o.kind,
            "parent": o.parent.code if o.parent else None,
            "is_active": o.is_active,
        }
        for o in rows
    ]


@router.get("/services", auth=READ, response={200: list[ServiceOut], **ERRORS}, tags=["reference"])
def services(request: HttpRequest) -> list[dict[str, Any]]:
    """The city's services (those surveys ask about), with their office and theme."""
    rows = Service.objects.select_related("office", "theme").order_by("name")
    return [
        {
            "code": s.code,
            "name": s.name,
            "name_en": s.name_en,
            "office": s.office.code if s.office else None,
            "theme": s.theme.code if s.theme else None,
            "online": s.online,
            "url": s.url,
            "is_active": s.is_active,
        }
        for s in rows
    ]
