"""What Open311 shows of the city's requests: the filters and defaults of the list, the office in
charge, the updates since a time (FixMyStreet's extension), and what it never shows (the
reporter's email, phone and name; the words of reports that came by other channels; the
tracking code)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from ascolto.channels import queue
from ascolto.channels.models import PendingInbound
from ascolto.tickets import actions
from ascolto.tickets.models import Theme, Ticket
from tests import factories, personas
from tests.open311.conftest import Open311
from tests.open311.test_open311_conformance import report

T0 = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)  # a Monday


def submit(client: Client, open311: Open311, **extra: str) -> Ticket:
    """A request sent by the app and taken in by the drain; its case."""
    data = report(open311, **extra)
    if extra.get("service_code") == "rifiuti-ingombranti":
        del data["attribute[TIPO]"]
    response = client.post("/open311/v2/requests.json", data)
    assert response.status_code == 200, response.content
    queue.drain()
    row = PendingInbound.objects.order_by("-pk").first()
    assert row is not None
    return Ticket.objects.get(code=row.code)


def w3c(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def test_the_case_is_a_disservice_report_under_the_service(
    open311: Open311, client: Client
) -> None:
    ticket = submit(client, open311)
    assert ticket.kind == Ticket.Kind.DISSERVICE
    assert ticket.theme == open311.green
    assert ticket.channel == open311.channel
    assert "Piazza del Duomo, Milano" in ticket.place and "45.464270" in ticket.place
    assert "Che cosa è danneggiato?: Albero" in ticket.description
    assert "https://foto.example.it/ramo.jpg" in ticket.description
    assert ticket.citizen is not None and ticket.citizen.email == "maria.rossi@example.it"


def test_no_personal_data_in_any_answer(
    cast: personas.Cast, open311: Open311, client: Client
) -> None:
    ticket = submit(
        client, open311, description="Ramo caduto. Per info: Maria Rossi, 333 123 4567."
    )
    actions.resolve_ticket(
        ticket, "Gentile Maria Rossi, il ramo è stato rimosso.", actor=cast.operator
    )
    bodies = [
        client.get("/open311/v2/requests.json").content,
        client.get("/open311/v2/requests.xml").content,
        client.get(f"/open311/v2/requests/{ticket.pk}.xml").content,
        client.get("/open311/v2/servicerequestupdates.json").content,
        client.get("/open311/v2/servicerequestupdates.xml").content,
    ]
    for body in bodies:
        text = body.decode()
        for secret in ("maria", "Maria", "Rossi", "3331234567", "333 123 4567", "tt222111"):
            assert secret not in text, (secret, text[:300])
        assert ticket.code not in text  # the tracking code opens the citizen's status page
    [found] = client.get(f"/open311/v2/requests/{ticket.pk}.json").json()
    assert found["status"] == "closed"
    assert found["status_notes"] == "Gentile […], il ramo è stato rimosso."
    assert found["description"].startswith("Ramo caduto.")


def test_a_report_from_another_channel_shows_no_words_nor_place(
    cast: personas.Cast, open311: Open311, client: Client
) -> None:
    by_mail = factories.open_case("Albero pericolante in via Verdi 3, sono Luca Bianchi")
    actions.set_kind(by_mail, Ticket.Kind.DISSERVICE, actor=cast.operator)
    actions.set_theme(by_mail, open311.green, actor=cast.operator)
    [found] = client.get(f"/open311/v2/requests/{by_mail.pk}.json").json()
    assert found["service_code"] == "verde-pubblico"
    assert found["description"] is None and found["address"] is None
    assert "Verdi" not in str(found) and "Luca" not in str(found)


def test_other_cases_are_not_requests(
    cast: personas.Cast, open311: Open311, client: Client
) -> None:
    information = factories.open_case("Quando scade la TARI?")  # kind information, no theme
    assert client.get(f"/open311/v2/requests/{information.pk}.json").status_code == 404
    private = factories.open_case("Buca")
    actions.set_kind(private, Ticket.Kind.DISSERVICE, actor=cast.operator)
    actions.set_theme(private, Theme.objects.get(code="animali"), actor=cast.operator)
    assert client.get(f"/open311/v2/requests/{private.pk}.json").status_code == 404
    assert client.get("/open311/v2/requests.json").json() == []


def test_the_agency_responsible_is_the_office_handling_it(
    cast: personas.Cast, open311: Open311, client: Client
) -> None:
    ticket = submit(client, open311)
    actions.escalate_ticket(ticket, cast.anagrafe, actor=cast.operator)
    [found] = client.get(f"/open311/v2/requests/{ticket.pk}.json").json()
    assert found["agency_responsible"] == "Anagrafe"
    assert found["status"] == "open"


def test_the_list_filters_by_id_service_status_and_dates(
    cast: personas.Cast, open311: Open311, client: Client
) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        old = submit(client, open311)
        clock.shift(timedelta(days=100))
        green = submit(client, open311)
        clock.shift(timedelta(hours=1))
        bulky = submit(client, open311, service_code="rifiuti-ingombranti")
        actions.resolve_ticket(bulky, "Ritirati.", actor=cast.operator)

        def ids(**query: str) -> list[str]:
            return [
                r["service_request_id"]
                for r in client.get("/open311/v2/requests.json", query).json()
            ]

        # Default: the last 90 days, newest first.
        assert ids() == [str(bulky.pk), str(green.pk)]
        assert ids(service_code="verde-pubblico") == [str(green.pk)]
        assert ids(service_code="verde-pubblico,rifiuti-ingombranti") == [
            str(bulky.pk),
            str(green.pk),
        ]
        assert ids(status="closed") == [str(bulky.pk)]
        assert ids(status="open") == [str(green.pk)]
        assert ids(status="open,closed") == [str(bulky.pk), str(green.pk)]
        # An id list overrides every other filter, the 90 days too.
        assert sorted(ids(service_request_id=f"{old.pk},{bulky.pk}", status="open")) == sorted(
            [str(old.pk), str(bulky.pk)]
        )
        assert ids(
            start_date=w3c(T0 - timedelta(days=1)), end_date=w3c(T0 + timedelta(days=1))
        ) == [str(old.pk)]
        # A start alone: the 90 days after it.
        assert ids(start_date=w3c(T0 - timedelta(days=1))) == [str(old.pk)]


def test_updates_since_a_time_list_the_status_changes(
    cast: personas.Cast, open311: Open311, client: Client
) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        ticket = submit(client, open311)
        clock.shift(timedelta(hours=1))
        actions.assign_ticket(ticket, actor=cast.operator, assignee=cast.operator)
        clock.shift(timedelta(hours=1))
        taken = T0 + timedelta(hours=1, minutes=30)
        actions.resolve_ticket(ticket, "Ramo rimosso dalla squadra del verde.", actor=cast.operator)
        clock.shift(timedelta(hours=1))

        def updates(**query: str) -> list[dict[str, object]]:
            response = client.get("/open311/v2/servicerequestupdates.json", query)
            assert response.status_code == 200
            return list(response.json())

        every = updates(start_date=w3c(T0))
        assert [(u["status"], u["service_request_id"]) for u in every] == [
            ("in_progress", str(ticket.pk)),
            ("fixed", str(ticket.pk)),
        ]
        assert set(every[0]) == {
            "update_id",
            "service_request_id",
            "status",
            "updated_datetime",
            "description",
            "media_url",
            "external_status_code",
        }
        assert every[1]["description"] == "Ramo rimosso dalla squadra del verde."
        assert every[1]["updated_datetime"] == "2026-05-04T12:00:00+02:00"
        since = updates(start_date=w3c(taken))
        assert [u["status"] for u in since] == ["fixed"]
        assert updates(start_date=w3c(T0), end_date=w3c(taken)) == every[:1]

    xml = client.get(
        "/open311/v2/servicerequestupdates.xml",
        {"start_date": w3c(T0), "end_date": w3c(T0 + timedelta(days=1))},
    ).content.decode()
    assert xml.count("<request_update>") == 2
    assert xml.startswith('<?xml version="1.0" encoding="utf-8"?>\n<service_request_updates>')


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_merged_request_is_a_duplicate_in_the_updates(
    cast: personas.Cast, open311: Open311, client: Client, fmt: str
) -> None:
    first = submit(client, open311)
    second = submit(client, open311)
    actions.merge_tickets(second, first, actor=cast.operator)
    body = client.get(f"/open311/v2/servicerequestupdates.{fmt}").content.decode()
    assert "duplicate" in body
