"""The alerts on current topics a page shows: `{% current_alerts "web" as alerts %}` then
`{% include "web/_alerts.html" %}`. A cache hit costs no query, a miss one
(`knowledge.alerts.current_alerts`)."""

from __future__ import annotations

from django import template

from ascolto.knowledge import alerts as knowledge_alerts
from ascolto.knowledge.models import Alert

register = template.Library()


@register.simple_tag
def current_alerts(channel: str) -> list[Alert]:
    return knowledge_alerts.current_alerts(channel)
