"""Background tasks of the API: delivering the outgoing webhooks."""

from __future__ import annotations

import logging

from django_tasks import task

from ascolto.api import webhooks

logger = logging.getLogger(__name__)


@task()
def deliver_webhooks() -> int:
    """Send the webhook calls that are due; return how many were delivered."""
    done = webhooks.deliver_all()
    if done.failed or done.retrying:
        logger.info(
            "webhooks: %d delivered, %d to retry, %d given up",
            done.delivered,
            done.retrying,
            done.failed,
        )
    return done.delivered
