"""Cases through the API: opened like any channel's request, read, listed, and worked with the
workflow's actions, each a call of `tickets.actions`."""

from __future__ import annotations

import pytest

from ascolto.api.submissions import CHANNEL
from ascolto.audit.models import AccessRecord
from ascolto.channels import queue
from ascolto.tickets.models import Ticket, TicketEvent
from tests.api.conftest import Api, World

pytestmark = pytest.mark.django_db

NEW_CASE = {
    "text": "Il lampione di via Roma 12 è spento da una settimana.",
    "subject": "Lampione spento",
    "kind": "disservice",
    "place": "Via Roma 12",
    "sender": {"first_name": "Anna", "last_name": "Esposito", "email": "anna@example.it"},
}


def test_a_case_posted_enters_through_intake_and_opens_on_the_api_channel(portal: Api) -> None:
    response = portal.post("/cases", NEW_CASE)
    assert response.status_code == 202, response.content
    code = response.json()["code"]
    assert response["Location"] == f"/api/v1/cases/{code}"
    assert not Ticket.objects.filter(code=code).exists()  # queued: the drain opens it
    queue.drain()
    ticket = Ticket.objects.get(code=code)
    assert ticket.channel.code == CHANNEL
    assert ticket.channel.kind == "api"
    assert ticket.kind == "disservice"
    assert ticket.place == "Via Roma 12"
    assert ticket.citizen is not None and ticket.citizen.email == "anna@example.it"
    assert TicketEvent.objects.filter(ticket=ticket, kind="opened").exists()
    read = portal.get(f"/cases/{code}")
    assert read.status_code == 200
    assert read.json()["description"] == NEW_CASE["text"]


def test_the_same_external_id_sent_twice_opens_one_case(portal: Api) -> None:
    body = {**NEW_CASE, "external_id": "portale-000123"}
    first = portal.post("/cases", body)
    again = portal.post("/cases", body)
    assert first.status_code == 202 and again.status_code == 200
    queue.drain()
    assert again.json()["code"] == first.json()["code"]
    assert Ticket.objects.filter(code=first.json()["code"]).count() == 1
    changed = portal.post("/cases", {**body, "text": "Un'altra cosa."})
    assert changed.status_code == 400
    assert changed.json()["field"] == "external_id"


def test_a_case_without_a_way_to_answer_is_refused_with_its_field(portal: Api) -> None:
    response = portal.post("/cases", {**NEW_CASE, "sender": {"first_name": "Anna"}})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["field"] == "sender.email"
    unknown_theme = portal.post("/cases", {**NEW_CASE, "theme": "nessun-tema"})
    assert unknown_theme.status_code in (400, 404)
    assert unknown_theme.json()["field"] == "theme"


def test_the_workflow_runs_through_the_actions(portal: Api, world: World) -> None:
    code = world.tari.code
    note = portal.post(f"/cases/{code}/note", {"text": "Verificare l'indirizzo."})
    assert note.status_code == 200 and note.json()["direction"] == "note"
    assigned = portal.post(
        f"/cases/{code}/assign", {"assignee": world.cast.office_operator.username}
    )
    assert assigned.status_code == 200, assigned.content
    assert assigned.json()["assignee"] == world.cast.office_operator.username
    replied = portal.post(f"/cases/{code}/reply", {"text": "Gentile signora, l'avviso è partito."})
    assert replied.status_code == 200, replied.content
    assert replied.json()["direction"] == "outbound"
    resolved = portal.post(f"/cases/{code}/resolve", {"resolution": "Avviso inviato di nuovo."})
    assert resolved.json()["status"] == "resolved"
    closed = portal.post(f"/cases/{code}/close")
    assert closed.json()["status"] == "closed"
    reopened = portal.post(f"/cases/{code}/reopen", {"reason": "Ha scritto di nuovo."})
    assert reopened.json()["status"] != "closed"
    kinds = [e["kind"] for e in portal.get(f"/cases/{code}/events", {"limit": 100}).json()["items"]]
    assert "assigned" in kinds or "assignment" in kinds or len(kinds) >= 5


def test_a_move_the_case_does_not_allow_is_a_409_invalid_transition(
    portal: Api, world: World
) -> None:
    response = portal.post(f"/cases/{world.tari.code}/close")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "invalid-transition"
    assert body["type"].endswith("/invalid-transition")
    assert body["field"] == "status"
    assert "risolvi il caso" in body["detail"]


def test_escalation_and_cancellation(portal: Api, world: World) -> None:
    code = world.tari.code
    moved = portal.post(f"/cases/{code}/escalate", {"office": world.cast.anagrafe.code})
    assert moved.status_code == 200, moved.content
    assert moved.json()["office"] == world.cast.anagrafe.code
    no_reason = portal.post(f"/cases/{code}/cancel", {"reason": ""})
    assert no_reason.status_code == 400 and no_reason.json()["field"] == "reason"
    cancelled = portal.post(f"/cases/{code}/cancel", {"reason": "Aperto per errore."})
    assert cancelled.json()["status"] == "cancelled"


def test_messages_and_their_files_are_served_with_the_console_s_checks(
    portal: Api, world: World
) -> None:
    messages = portal.get(f"/cases/{world.anagrafe.code}/messages").json()["items"]
    inbound = next(m for m in messages if m["id"] == world.inbound.pk)
    url = inbound["attachments"][0]["url"]
    assert url == f"/api/v1/cases/{world.anagrafe.code}/messages/{world.inbound.pk}/attachments/0"
    download = portal.get(url.removeprefix("/api/v1"))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert AccessRecord.objects.filter(purpose="attachment", kind="attachment").exists()
    # The file of another case's message, through this case: not found.
    other = portal.get(f"/cases/{world.tari.code}/messages/{world.inbound.pk}/attachments/0")
    assert other.status_code == 404
    missing = portal.get(url.removeprefix("/api/v1").removesuffix("/0") + "/5")
    assert missing.status_code == 404


def test_the_list_filters_like_the_inbox(portal: Api, world: World) -> None:
    by_office = portal.get("/cases", {"office": world.cast.tari.code}).json()["items"]
    assert [c["code"] for c in by_office] == [world.tari.code]
    searched = portal.get("/cases", {"q": "residenza storico"}).json()["items"]
    assert [c["code"] for c in searched] == [world.anagrafe.code]
    by_status = portal.get("/cases", {"status": "resolved"}).json()["items"]
    assert by_status == []
    unknown = portal.get("/cases", {"office": "nessuno"})
    assert unknown.status_code == 404 and unknown.json()["field"] == "office"
