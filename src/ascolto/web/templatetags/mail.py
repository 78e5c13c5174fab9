"""The HTML of a mail, for the case page: cleaned again as it is shown (`nh3`), so what the page
renders never depends on what the database holds having been cleaned when it was stored.

The same mails are shown again and again (every look at a long case cleans each of its HTML
mails): the cleaned text of the last few hundred, keyed by the stored text itself, is kept in
the process. What is shown is still what `nh3` makes of the stored text now, never a copy from
elsewhere; a mail longer than `CACHED_UP_TO` characters is cleaned each time."""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.utils.safestring import SafeString, mark_safe

from ascolto.channels.adapters.email.inbound import clean_html

register = template.Library()

CACHED_UP_TO = 32_000  # characters: 256 of them at most 16 MB of text per process
_cleaned = lru_cache(maxsize=256)(clean_html)


@register.filter
def mail_html(value: object) -> SafeString:
    text = str(value or "")
    cleaned = _cleaned(text) if len(text) <= CACHED_UP_TO else clean_html(text)
    return mark_safe(cleaned)  # noqa: S308 (cleaned by nh3)
