"""Group cases by area of the taxonomy inside the database: one CASE expression mapping every
theme id to the code of its area (the taxonomy has a hundred nodes; cases have millions)."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, CharField, Value, When
from django.utils.translation import gettext as _

from ascolto.tickets.models import Theme

NO_AREA = "senza-tema"


def areas() -> dict[str, str]:
    """Area codes to names, in the taxonomy's order."""
    return dict(Theme.objects.filter(level=Theme.Level.AREA).values_list("code", "name"))


def area_of(field: str = "theme_id") -> Case:
    """An expression giving the area code of the theme in `field` ('senza-tema' when none)."""
    members: dict[str, list[int]] = {}
    for pk, path in Theme.objects.values_list("pk", "path"):
        members.setdefault(path.strip("/").split("/")[0], []).append(pk)
    whens: list[Any] = [
        When(**{f"{field}__in": ids}, then=Value(code)) for code, ids in sorted(members.items())
    ]
    return Case(*whens, default=Value(NO_AREA), output_field=CharField())


def area_name(code: str, names: dict[str, str]) -> str:
    return names.get(code) or _("Senza tema")
