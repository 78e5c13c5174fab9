"""The services Open311 offers: the themes of the taxonomy marked public for Open311
(`Theme.open311_public`), active, each with its definition (the extra questions,
`tickets.open311`). The service code is the theme's code; the group is its Designers Italia
disservice category, or the name of its area when it has none."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from ascolto.tickets import open311 as questions
from ascolto.tickets.models import Theme

# Requests are taken in by the intake queue: the answer to a POST carries the request's id when
# its case already exists, a token to ask for it later otherwise (docs/open311.md).
TYPE = "batch"


def public_services() -> QuerySet[Theme]:
    return (
        Theme.objects.filter(open311_public=True, is_active=True)
        .select_related("parent", "parent__parent")
        .order_by("path")
    )


def find(code: str) -> Theme | None:
    return public_services().filter(code=code).first()


def _ancestors(theme: Theme) -> list[Theme]:
    out = []
    node = theme.parent
    while node is not None:
        out.append(node)
        node = node.parent
    return out


def as_service(theme: Theme) -> dict[str, Any]:
    above = _ancestors(theme)
    area = above[-1] if above else theme
    return {
        "service_code": theme.code,
        "service_name": theme.name,
        "description": theme.open311_description or theme.name,
        "metadata": bool(theme.open311_attributes),
        "type": TYPE,
        "keywords": ", ".join(t.name for t in above),
        "group": theme.disservice_category or area.name,
    }


def definition(theme: Theme) -> dict[str, Any]:
    """The service definition: its code and its questions, with the spec's fields."""
    return {
        "service_code": theme.code,
        "attributes": [
            {
                "variable": q.variable,
                "code": q.code,
                "datatype": q.datatype,
                "required": q.required,
                "datatype_description": q.datatype_description or None,
                "order": q.order,
                "description": q.description,
                "values": [{"key": v.key, "name": v.name} for v in q.values],
            }
            for q in questions.attributes(theme.open311_attributes)
        ],
    }
