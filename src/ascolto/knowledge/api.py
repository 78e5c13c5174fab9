"""The public feed of the alerts on current topics, for the city's portal and anyone else:

    GET /api/v1/alerts     the alerts shown now on the web (Scrivi and the portal)

No authentication and no personal data: what every visitor of the Scrivi pages reads. Readable
from any origin (`Access-Control-Allow-Origin: *`), and cacheable by browsers and proxies until
the first change it knows of (an alert ending or starting), `CACHE_SECONDS` at most. See
docs/alerts.md.
"""

from __future__ import annotations

import math
from datetime import datetime

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Router, Schema

from ascolto.core.ratelimit import ALERTS_LIMIT, enforce
from ascolto.knowledge.alerts import current_alerts_until
from ascolto.knowledge.models import Alert

router = Router(tags=["alerts"])
PRIORITY_CODES: dict[int, str] = {
    Alert.Priority.URGENT: "urgent",
    Alert.Priority.IMPORTANT: "important",
    Alert.Priority.INFO: "info",
}


class AlertOut(Schema):
    id: int
    title: str
    text: str
    link: str
    theme: str | None
    priority: str
    priority_label: str
    starts_at: datetime
    ends_at: datetime


class Feed(Schema):
    generated_at: datetime
    valid_until: datetime
    alerts: list[AlertOut]


def max_age(valid_until: datetime) -> int:
    """Seconds a copy may be kept: never past the first change the answer knows of."""
    return max(0, math.floor((valid_until - timezone.now()).total_seconds()))


@router.get("", response=Feed, auth=None, url_name="alerts-feed")
def feed(request: HttpRequest, response: HttpResponse) -> dict[str, object]:
    """The alerts shown now on the web, most urgent first."""
    enforce(request, "alerts", [ALERTS_LIMIT])
    alerts, valid_until = current_alerts_until("web")
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = f"public, max-age={max_age(valid_until)}"
    return {
        "generated_at": timezone.now(),
        "valid_until": valid_until,
        "alerts": [
            {
                "id": a.pk,
                "title": a.title,
                "text": a.text,
                "link": a.link,
                "theme": a.theme.name if a.theme else None,
                "priority": PRIORITY_CODES.get(a.priority, "info"),
                "priority_label": str(a.get_priority_display()),
                "starts_at": a.starts_at,
                "ends_at": a.ends_at,
            }
            for a in alerts
        ],
    }
