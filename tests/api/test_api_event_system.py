"""A change an external system makes to a case through the API names that system in the case's
history: no operator is its actor, the token's system is (in the API's events and on the
console's case page), so the audit trail says which system acted. So do the opening of a case
it sends (taken in later by the intake queue's drain) and the replies and notes it writes."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ascolto.channels import queue
from ascolto.channels.models import Message, PendingInbound
from ascolto.core.acting import acting_system
from ascolto.tickets import actions
from ascolto.tickets.models import Ticket, TicketEvent
from tests import factories, personas
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


NEW_CASE = {
    "text": "Il cassonetto di via Verdi 3 non è stato svuotato.",
    "kind": "disservice",
    "sender": {"first_name": "Anna", "last_name": "Esposito", "email": "anna@example.it"},
}


def test_a_case_posted_with_a_token_opens_naming_its_system(cast: personas.Cast) -> None:
    waste = api_for(["cases:read", "cases:write"])
    waste.token.name = "Gestionale rifiuti"
    waste.token.save(update_fields=["name"])
    waste.post("/cases", {**NEW_CASE, "external_id": "warm-up"})  # the channel, the last use
    with CaptureQueriesContext(connection) as accepted:
        response = waste.post("/cases", NEW_CASE, HTTP_IDEMPOTENCY_KEY="rifiuti-1")
    assert response.status_code == 202, response.content
    code = response.json()["code"]
    # Who sent it rides in the queue row's one INSERT: the accept path has no statement more
    # (the key, the row, the key's answer; the token was kept from the warm-up, api/tokens.py;
    # the savepoints are the test's transaction's).
    work = [
        q["sql"].split(" (", 1)[0]
        for q in accepted.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
    ]
    assert len(work) == 3, work
    assert work.count('INSERT INTO "channels_pendinginbound"') == 1, work
    row = PendingInbound.objects.get(code=code)
    assert row.payload["hints"]["system"] == "Gestionale rifiuti"

    queue.drain()
    ticket = Ticket.objects.get(code=code)
    opened = TicketEvent.objects.get(ticket=ticket, kind="opened")
    assert opened.actor_id is None and opened.system == "Gestionale rifiuti"
    history = waste.get(f"/cases/{code}/events").json()["items"]
    assert [(e["kind"], e["actor"], e["system"]) for e in history] == [
        ("opened", None, "Gestionale rifiuti")
    ]
    console = Client()
    console.force_login(cast.operator)
    page = console.get(reverse("console:case", args=[code])).content.decode()
    assert "Gestionale rifiuti (API)" in page


def test_a_case_from_the_form_or_a_members_session_names_no_system(
    cast: personas.Cast, portal: Api
) -> None:
    scrivi = factories.submit_scrivi("Quando passa la raccolta del vetro?")
    assert scrivi.ticket_id is not None
    opened = TicketEvent.objects.get(ticket_id=scrivi.ticket_id, kind="opened")
    assert "system" not in opened.data and opened.system == ""

    console = Client()
    console.force_login(cast.operator)
    posted = console.post(
        "/api/v1/cases",
        NEW_CASE,
        content_type="application/json",
        headers={"X-CSRFToken": _csrf(console)},
    )
    assert posted.status_code == 202, posted.content
    queue.drain()
    made = TicketEvent.objects.get(ticket__code=posted.json()["code"], kind="opened")
    assert "system" not in made.data


def test_replies_and_notes_a_token_writes_name_its_system(world: World) -> None:
    waste = api_for(["cases:read", "cases:write"])
    waste.token.name = "Gestionale rifiuti"
    waste.token.save(update_fields=["name"])
    code = world.tari.code

    note = waste.post(f"/cases/{code}/note", {"text": "Verifica in corso."})
    reply = waste.post(f"/cases/{code}/reply", {"text": "Gentile signora, verifichiamo."})
    asked = waste.post(f"/cases/{code}/wait", {"question": "Qual è il numero civico?"})
    assert note.status_code == reply.status_code == asked.status_code == 200, asked.content
    assert (note.json()["author"], note.json()["system"]) == (None, "Gestionale rifiuti")
    assert (reply.json()["author"], reply.json()["system"]) == (None, "Gestionale rifiuti")

    written = Message.objects.filter(conversation__tickets=world.tari).exclude(
        direction=Message.Direction.INBOUND
    )
    by_system = [m for m in written if m.system]
    assert len(by_system) == 3
    assert {m.system for m in by_system} == {"Gestionale rifiuti"}
    assert all(m.author_id is None for m in by_system)
    thread = waste.get(f"/cases/{code}/messages", {"limit": 100}).json()["items"]
    assert [m["system"] for m in thread if m["direction"] == "inbound"] == [None]
    assert (
        sorted(m["system"] or "" for m in thread if m["direction"] != "inbound")
        == ["Gestionale rifiuti"] * 3
    )

    console = Client()
    console.force_login(world.cast.office_operator)
    page = console.get(reverse("console:case", args=[code])).content.decode()
    # The thread's three messages, and the history's events, each name the system.
    assert page.count("Gestionale rifiuti (API)") >= 6


def test_an_operators_reply_and_note_name_no_system(portal: Api, world: World) -> None:
    actions.add_ticket_note(world.tari, "Nota dell'ufficio.", actor=world.cast.office_operator)
    # Even inside a system's block, a message with an author is the author's.
    with acting_system("Portale"):
        actions.add_ticket_note(world.tari, "Altra nota.", actor=world.cast.office_operator)
    notes = Message.objects.filter(conversation__tickets=world.tari, direction="note")
    assert [(n.author_id, n.system) for n in notes] == [
        (world.cast.office_operator.pk, ""),
        (world.cast.office_operator.pk, ""),
    ]


def _csrf(client: Client) -> str:
    client.get(reverse("console:inbox"))
    return str(client.cookies["csrftoken"].value)
