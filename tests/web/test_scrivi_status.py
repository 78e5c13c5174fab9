"""The status page of a request, by its tracking code: status, dates and replies, nothing
personal; a request still in the intake queue shows as received."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ascolto.channels import queue
from ascolto.channels.inbound import CaseHints
from ascolto.tickets import actions, codes
from ascolto.tickets.models import RoutingRule, SlaPolicy, Ticket
from tests import factories, personas

pytestmark = pytest.mark.django_db


@pytest.fixture
def sla(cast: personas.Cast) -> SlaPolicy:
    policy = SlaPolicy.objects.create(code="scrivi", name="Scrivi", resolution_days=30)
    RoutingRule.objects.create(name="SLA Scrivi", channel_kind="web", sla_policy=policy)
    return policy


def test_a_case_shows_status_dates_and_replies_but_no_personal_data(
    client: Client, cast: personas.Cast, sla: SlaPolicy, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        received = factories.submit_scrivi(
            "Il mio vicino Giovanni Bianchi non paga la TARI.",
            kind="complaint",
            theme="tari",
            phone="+393331234567",
        )
    ticket = Ticket.objects.get(pk=received.ticket_id)
    with django_capture_on_commit_callbacks(execute=True):
        actions.add_ticket_note(ticket, "Nota interna: cittadino già noto.", actor=cast.operator)
        actions.reply_to_ticket(ticket, "Abbiamo verificato la sua posizione.", actor=cast.operator)

    page = client.get(reverse("scrivi:status", args=[ticket.code.lower().replace("-", "")]))
    html = page.content.decode()
    assert page.status_code == 200
    assert ticket.code in html
    assert "Reclamo" in html and "TARI - tassa rifiuti" in html
    assert timezone.localtime(ticket.due_at).strftime("%Y") in html
    assert "Abbiamo verificato la sua posizione." in html
    for private in (
        "Nota interna",
        "Maria",
        "Rossi",
        personas.MARIA_EMAIL,
        "3331234567",
        "Giovanni Bianchi",
    ):
        assert private not in html, private


def test_statuses_speak_to_the_citizen(
    client: Client, cast: personas.Cast, django_capture_on_commit_callbacks: Any
) -> None:
    received = factories.submit_scrivi(theme="tari")
    ticket = Ticket.objects.get(pk=received.ticket_id)
    url = reverse("scrivi:status", args=[ticket.code])
    assert "Ricevuta" in client.get(url).content.decode()
    actions.escalate_ticket(ticket, cast.tari, actor=cast.operator)
    assert "ufficio competente" in client.get(url).content.decode()
    ticket.refresh_from_db()
    actions.resolve_ticket(ticket, actor=cast.office_operator, resolution="Pagamento registrato.")
    assert "Risolta" in client.get(url).content.decode()


def test_a_request_still_in_the_queue_shows_as_received_with_its_expected_date(
    client: Client, cast: personas.Cast, sla: SlaPolicy
) -> None:
    code = codes.new_code()
    inbound = factories.scrivi_message(theme="tari", kind="information", code=code)
    queue.accept(inbound)  # no drain: the test's transaction never commits

    page = client.get(reverse("scrivi:status", args=[code]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-status="received"' in html
    assert "Ricevuta" in html
    assert "Risposta prevista entro il" in html
    assert "Maria" not in html


def test_the_code_form_leads_to_the_status_page_and_an_unknown_code_is_a_kind_404(
    client: Client, cast: personas.Cast
) -> None:
    received = factories.submit_scrivi()
    ticket = Ticket.objects.get(pk=received.ticket_id)
    found = client.get(reverse("scrivi:lookup"), {"codice": f" {ticket.code.lower()} "})
    assert found.status_code == 302
    assert found["Location"] == reverse("scrivi:status", args=[ticket.code])

    malformed = client.get(reverse("scrivi:lookup"), {"codice": "abc"})
    assert malformed.status_code == 400
    assert "Il codice non ha la forma attesa" in malformed.content.decode()

    unknown = client.get(reverse("scrivi:status", args=[codes.new_code()]))
    assert unknown.status_code == 404
    assert "Non troviamo una richiesta con questo codice" in unknown.content.decode()
    assert 'name="codice"' in unknown.content.decode()


def test_the_pre_assigned_code_must_be_well_formed(cast: personas.Cast) -> None:
    from dataclasses import replace

    from ascolto.channels.intake import receive_many
    from ascolto.core.errors import InvalidInput

    inbound = factories.scrivi_message()
    bad = replace(inbound, external_id=str(uuid.uuid4()), hints=CaseHints(code="NOT-A-CODE"))
    [outcome] = receive_many([bad])
    assert isinstance(outcome, InvalidInput)
