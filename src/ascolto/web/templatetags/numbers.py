"""`{{ value|num }}`: a number as the active language writes it (1.234,5 in Italian, 1,234.5 in
English), the same as the reports' figures and PDFs (`core.tables.localized`)."""

from __future__ import annotations

from typing import Any

from django import template

from ascolto.core.tables import localized

register = template.Library()


@register.filter
def num(value: Any) -> str:
    return localized(value)
