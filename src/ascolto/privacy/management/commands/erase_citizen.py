"""Erase a citizen's personal data from the command line (docs/privacy.md):
`python -m ascolto erase_citizen <citizen id> --by <username> --reason "..." --yes`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ascolto.citizens.models import Citizen
from ascolto.core.errors import DomainError
from ascolto.privacy.actions import erase_citizen
from ascolto.privacy.management.commands.privacy_export import officer


class Command(BaseCommand):
    help = "Erase a citizen's personal data, keeping statistics and cases under a legal hold."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("citizen", type=int, help="the citizen's id (the console's #n)")
        parser.add_argument("--by", required=True, help="username of the administrator")
        parser.add_argument("--reason", required=True, help="the request (date, protocol number)")
        parser.add_argument("--yes", action="store_true", help="confirm: it cannot be undone")

    def handle(self, *args: Any, **options: Any) -> None:
        user = officer(options["by"])
        citizen = Citizen.objects.filter(pk=options["citizen"]).first()
        if citizen is None:
            raise CommandError(f"no citizen {options['citizen']}")
        if not options["yes"]:
            raise CommandError("erasure cannot be undone: add --yes to confirm")
        try:
            erasure = erase_citizen(citizen, actor=user, reason=options["reason"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"erasure {erasure.pk}: removed {erasure.removed}")
        for kept in erasure.kept:
            self.stdout.write(f"  kept: {kept}")
