"""Background tasks of the data-protection tools: a citizen's access archive.

Gathering every case, message and file of a citizen and printing them takes from seconds to
minutes: too long for a web request, so the console records an `AccessArchive` and enqueues this
task (run by `db_worker`; inline in the tests and the demo), and its page shows the progress.
"""

from __future__ import annotations

from django_tasks import task

from ascolto.privacy.actions import build_access_archive


@task()
def build_access_archive_task(archive_id: int) -> None:
    """Make the access archive `archive_id` (see `privacy.actions.build_access_archive`)."""
    build_access_archive(archive_id)
