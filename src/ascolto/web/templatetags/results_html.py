"""The survey results page's repeated markup, written in Python: a table row's cells
(`{% row_cells row %}`) and a select's options of the taxonomy's themes
(`{% theme_options themes chosen %}`, subthemes after a dash, `chosen` selected).

The page has a thousand numbers in its tables and a select of every theme beside each of its
latest free-text answers: drawn by the template engine a tag and a filter at a time, they cost
more than the rest of the page (issue 17's budget). The output is the template's."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from ascolto.core.tables import localized
from ascolto.tickets.models import Theme

register = template.Library()


@register.simple_tag
def row_cells(row: list[Any]) -> SafeString:
    """The first cell a row header; a missing value a dash; numbers as the language writes
    them (`core.tables.localized`, the `num` filter's)."""
    label, *values = row
    cells = [f'<th scope="row" class="fw-normal">{escape(str(label))}</th>']
    cells += [f'<td class="text-end">{escape(localized(value))}</td>' for value in values]
    return mark_safe("".join(cells))  # noqa: S308 (every value escaped)


@register.simple_tag
def theme_options(themes: Iterable[Theme], chosen: int | None) -> SafeString:
    options = (
        f'<option value="{theme.pk}"{" selected" if theme.pk == chosen else ""}>'
        f"{'— ' if theme.level > 1 else ''}{escape(theme.name)}</option>"
        for theme in themes
    )
    return mark_safe("".join(options))  # noqa: S308 (ids are integers, the names escaped)
