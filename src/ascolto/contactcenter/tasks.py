"""Background tasks of the contact center: a forecast started from the supervisor's page.

A year of 15-minute intervals takes from seconds to a minute to forecast: too long for a web
request behind gunicorn's timeout, so the page records a `ForecastJob` and enqueues this task
(run by `db_worker`; inline only in the tests), and polls the job's progress.
"""

from __future__ import annotations

from django_tasks import task

from ascolto.contactcenter import actions


@task()
def forecast_job_task(job_id: int) -> None:
    """Run the forecast job `job_id` (see `contactcenter.actions.run_forecast_job`)."""
    actions.run_forecast_job(job_id)
