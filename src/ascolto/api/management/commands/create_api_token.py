"""Issue a token for an external system and print it once:

    python -m ascolto create_api_token --name "Portale" --scope cases:read --scope cases:write \
        [--office tributi] [--expires 2027-12-31] [--rate 600]
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_date

from ascolto.api.tokens import SCOPES, issue_token
from ascolto.core.errors import DomainError
from ascolto.organisation.models import Office


class Command(BaseCommand):
    help = "Issue an API token for an external system; the token is printed once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="the external system")
        parser.add_argument(
            "--scope", action="append", default=[], help=f"repeatable: {', '.join(SCOPES)}"
        )
        parser.add_argument("--office", default="", help="an office's code: its subtree only")
        parser.add_argument("--expires", default="", help="last valid day, YYYY-MM-DD")
        parser.add_argument("--rate", type=int, default=600, help="requests per minute")

    def handle(self, *args: Any, **options: Any) -> None:
        office = None
        if options["office"]:
            office = Office.objects.filter(code=options["office"]).first()
            if office is None:
                raise CommandError(f"No office with code {options['office']!r}.")
        expires_at = None
        if options["expires"]:
            day = parse_date(options["expires"])
            if day is None:
                raise CommandError("--expires reads YYYY-MM-DD.")
            expires_at = timezone.make_aware(datetime.combine(day, time.max))
        try:
            token, plaintext = issue_token(
                options["name"],
                options["scope"],
                office=office,
                expires_at=expires_at,
                rate_per_minute=options["rate"],
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stderr.write(
            f"Token {token.prefix}… for {token.name}: scopes {', '.join(token.scopes)}"
            f"{f', office {office.code}' if office else ''}. Shown once:"
        )
        self.stdout.write(plaintext)
