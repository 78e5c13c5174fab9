"""Delete the API's idempotency keys older than `api.idempotency.KEEP` (24 hours): nightly."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ascolto.api.idempotency import prune


class Command(BaseCommand):
    help = "Delete the API's idempotency keys past their 24 hours."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{prune()} idempotency key(s) deleted.")
