"""Make a citizen's access archive from the command line (docs/privacy.md):
`python -m ascolto privacy_export <citizen id> --by <administrator's username>`.

It runs in this process (no worker needed) and prints where the ZIP and the PDF are."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ascolto.citizens.models import Citizen
from ascolto.core import access
from ascolto.organisation.models import User
from ascolto.privacy import archive
from ascolto.privacy.actions import build_access_archive, request_access_archive


def officer(username: str) -> User:
    """The member of staff a command acts for: one who may answer privacy requests."""
    user = User.objects.filter(username=username).first()
    if user is None or not access.answers_privacy_requests(user):
        raise CommandError(f"{username!r} is not an active administrator")
    return user


class Command(BaseCommand):
    help = "Make a citizen's access archive (ZIP with JSON and files, and a PDF) now."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("citizen", type=int, help="the citizen's id (the console's #n)")
        parser.add_argument("--by", required=True, help="username of the administrator asking")

    def handle(self, *args: Any, **options: Any) -> None:
        user = officer(options["by"])
        citizen = Citizen.objects.filter(pk=options["citizen"]).first()
        if citizen is None:
            raise CommandError(f"no citizen {options['citizen']}")
        job = build_access_archive(request_access_archive(citizen, actor=user).pk)
        if job.status != job.Status.DONE:
            raise CommandError(f"archive {job.pk} not made: {job.error}")
        folder = archive.folder(job.folder)
        self.stdout.write(f"archive {job.pk}: {folder / archive.ZIP_NAME}")
        if job.pdf_bytes:
            self.stdout.write(f"archive {job.pk}: {folder / archive.PDF_NAME}")
