"""Alerts written as the editorial team writes them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ascolto.knowledge import alerts
from ascolto.knowledge.models import Alert


def make_alert(
    starts_at: datetime,
    hours: float = 2,
    *,
    title: str = "Emergenza neve",
    channels: tuple[str, ...] = ("whatsapp", "web", "console"),
    **fields: Any,
) -> Alert:
    data = alerts.AlertData(
        title=title,
        text=fields.pop(
            "text", "Scuole chiuse domani; i mezzi pubblici viaggiano a orario ridotto."
        ),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours),
        channels=channels,
        **fields,
    )
    return alerts.create_alert(data)
