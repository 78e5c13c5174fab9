"""A change an external system makes to a case through the API names that system in the case's
history: no operator is its actor, the token's system is (in the API's events and on the
console's case page), so the audit trail says which system acted."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from ascolto.tickets import actions
from ascolto.tickets.models import TicketEvent
from tests.api.conftest import Api, World, api_for

pytestmark = pytest.mark.django_db


def test_the_events_a_token_makes_name_its_system(world: World) -> None:
    waste = api_for(["cases:read", "cases:write"])
    waste.token.name = "Gestionale rifiuti"
    waste.token.save(update_fields=["name"])
    code = world.tari.code
    before = set(TicketEvent.objects.filter(ticket=world.tari).values_list("pk", flat=True))

    assert waste.post(f"/cases/{code}/note", {"text": "Verifica in corso."}).status_code == 200
    resolved = waste.post(f"/cases/{code}/resolve", {"resolution": "Avviso inviato di nuovo."})
    assert resolved.status_code == 200, resolved.content

    made = TicketEvent.objects.filter(ticket=world.tari).exclude(pk__in=before)
    assert {e.kind for e in made} == {"note", "status"}
    assert all(e.actor_id is None and e.system == "Gestionale rifiuti" for e in made)

    history = waste.get(f"/cases/{code}/events", {"limit": 100}).json()["items"]
    by_api = [e for e in history if e["id"] not in before]
    assert [e["system"] for e in by_api] == ["Gestionale rifiuti", "Gestionale rifiuti"]
    assert all(e["actor"] is None for e in by_api)
    # What operators did before stays theirs: the escalation names the operator, no system.
    escalated = next(e for e in history if e["kind"] == "escalated")
    assert escalated["actor"] == world.cast.operator.username
    assert escalated["system"] is None


def test_the_console_history_shows_the_system(world: World) -> None:
    portal = api_for(["cases:write"])
    assert portal.post(f"/cases/{world.tari.code}/wait", {}).status_code == 200
    console = Client()
    console.force_login(world.cast.office_operator)
    page = console.get(reverse("console:case", args=[world.tari.code]))
    assert page.status_code == 200
    assert "Portale (API)" in page.content.decode()


def test_an_operator_or_the_system_alone_names_no_external_system(
    portal: Api, world: World
) -> None:
    # An operator's own action, and one made outside any API request, carry no system.
    actions.add_ticket_note(world.tari, "Nota dell'ufficio.", actor=world.cast.office_operator)
    actions.wait_for_citizen(world.tari, actor=None)
    assert not [e for e in TicketEvent.objects.filter(ticket=world.tari) if e.system]
    assert "system" not in TicketEvent.objects.filter(ticket=world.tari).last().data  # type: ignore[union-attr]
