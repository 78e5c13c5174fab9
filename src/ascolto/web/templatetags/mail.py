"""The HTML of a mail, for the case page: cleaned again as it is shown (`nh3`), so what the page
renders never depends on what the database holds having been cleaned when it was stored."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from ascolto.channels.adapters.email.inbound import clean_html

register = template.Library()


@register.filter
def mail_html(value: object) -> SafeString:
    return mark_safe(clean_html(str(value or "")))  # noqa: S308 (cleaned by nh3 just now)
