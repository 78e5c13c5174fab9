"""Background tasks of the knowledge app: an alert sent to its WhatsApp subscribers.

The console's button records nothing itself: it checks that the alert can go
(`alerts.request_send`) and enqueues this task (run by `db_worker`; inline in the tests and the
demo). Sending is idempotent, so a task run twice, or two presses, reach each citizen once.
"""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django_tasks import task

from ascolto.core.errors import DomainError
from ascolto.knowledge import alerts
from ascolto.knowledge.models import Alert

logger = logging.getLogger(__name__)


@task()
def send_alert_task(alert_id: int, actor_id: int | None = None) -> int:
    """Send the alert `alert_id` to the subscribers who have not had it; return how many were
    queued (0 when the alert is gone or has ended meanwhile)."""
    alert = Alert.objects.filter(pk=alert_id).first()
    if alert is None:
        logger.warning("alerts: alert %s is gone, nothing sent", alert_id)
        return 0
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    try:
        report = alerts.send_alert(alert, actor=actor)
    except DomainError as exc:
        logger.warning("alerts: alert %s not sent (%s)", alert_id, exc.field)
        return 0
    logger.info(
        "alerts: alert %s queued to %d subscribers (%d had it, %d unreachable)",
        alert_id,
        report.queued,
        report.already_sent,
        report.unreachable,
    )
    return report.queued
