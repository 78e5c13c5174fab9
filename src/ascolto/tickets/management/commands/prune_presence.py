"""Delete the case pages' presence rows of people who left (run every few minutes)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ascolto.tickets.actions import prune_presence


class Command(BaseCommand):
    help = "Delete who-is-on-this-case rows not refreshed for PRESENCE_SECONDS (people who left)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = prune_presence()
        self.stdout.write(f"{count} presence row(s) of people who left deleted")
