"""Mark cases past their SLA due time as breached (run every few minutes by the scheduler)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ascolto.tickets.actions import check_sla_breaches


class Command(BaseCommand):
    help = "Record an SLA breach on every active case past its due time (once per case)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = check_sla_breaches()
        self.stdout.write(f"{count} case(s) newly past their due time")
