"""Background tasks of the contact center: a forecast started from the supervisor's page.

A year of 15-minute intervals takes from seconds to a minute to forecast: too long for a web
request behind gunicorn's timeout, so the page enqueues this task (inline in the demo and the
tests, in `db_worker` in production) and shows the run when it is stored.
"""

from __future__ import annotations

from typing import Any

from django_tasks import task

from ascolto.contactcenter.actions import forecast_calls
from ascolto.core.errors import DomainError
from ascolto.organisation.models import User


@task()
def forecast_calls_task(
    horizon_days: int, interval_minutes: int, actor_id: int | None = None
) -> dict[str, Any]:
    """Run `forecast_calls`; return the run's id and model, or the reason it was refused."""
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    try:
        run = forecast_calls(
            horizon_days=horizon_days, interval_minutes=interval_minutes, actor=actor
        )
    except DomainError as exc:
        return {"ok": False, "error": exc.message}
    return {"ok": True, "run": run.pk, "model": run.model_name}
