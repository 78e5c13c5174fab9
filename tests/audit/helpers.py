"""A case with its citizen, and the records the access log holds, for the access-log tests."""

from __future__ import annotations

from django.test import Client

from ascolto.audit.models import AccessRecord
from ascolto.tickets.models import Ticket
from tests import factories, personas


def maria_case(text: str = "Non ho ricevuto l'avviso TARI del 2026.") -> Ticket:
    """A Scrivi case of Maria Rossi (email and fiscal code: her citizen record exists)."""
    received = factories.submit_scrivi(
        text, email=personas.MARIA_EMAIL, fiscal_code=personas.MARIA_FISCAL_CODE
    )
    assert received.ticket_id is not None
    ticket = Ticket.objects.select_related("citizen").get(pk=received.ticket_id)
    assert ticket.citizen is not None
    return ticket


def signed_in(user: object) -> Client:
    client = Client(REMOTE_ADDR="10.1.2.3", HTTP_USER_AGENT="Mozilla/5.0 (Test) Chromium")
    client.force_login(user)  # type: ignore[arg-type]
    return client


def records() -> list[AccessRecord]:
    """Every record, oldest first."""
    return list(AccessRecord.objects.order_by("at", "pk"))
