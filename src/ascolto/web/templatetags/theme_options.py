"""`{% theme_options themes chosen %}`: the `<option>`s of a select of the taxonomy's themes
(subthemes after a dash), `chosen` (a theme id) selected.

Written in Python because the survey results page shows a select of every theme beside each
of its latest free-text answers: drawn by the template engine, those options cost more than
the rest of the page."""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from ascolto.tickets.models import Theme

register = template.Library()


@register.simple_tag
def theme_options(themes: Iterable[Theme], chosen: int | None) -> SafeString:
    options = (
        f'<option value="{theme.pk}"{" selected" if theme.pk == chosen else ""}>'
        f"{'— ' if theme.level > 1 else ''}{escape(theme.name)}</option>"
        for theme in themes
    )
    return mark_safe("".join(options))  # noqa: S308 (ids are integers, the names escaped)
