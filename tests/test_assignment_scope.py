"""A case is assigned only to someone who can open it: a first-level case given to an office
operator of another office would vanish from their "I miei casi" and answer them 404. The action
refuses with a message that says how to hand it over (escalate it first), from the case page and
from the inbox's bulk change alike; nothing is written."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from ascolto.core import access
from ascolto.core.errors import InvalidInput
from ascolto.tickets import actions
from ascolto.tickets.models import Ticket
from tests import factories, personas
from tests.factories import counts, refresh

pytestmark = pytest.mark.django_db
S = Ticket.Status


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _first_level_case(cast: personas.Cast) -> Ticket:
    ticket = factories.open_case("Non ho ricevuto l'avviso TARI.")
    Ticket.objects.filter(pk=ticket.pk).update(office=cast.contact_center)
    return refresh(ticket)


def test_a_first_level_case_is_not_assigned_to_an_office_operator(cast: personas.Cast) -> None:
    ticket = _first_level_case(cast)
    before = counts()

    with pytest.raises(InvalidInput) as caught:
        actions.assign_ticket(ticket, actor=cast.supervisor, assignee=cast.office_operator)

    assert caught.value.message == (
        "L'operatore Lucia Ferrari non lavora in Contact center 020202 né in un ufficio "
        "superiore: per affidargli il caso, passalo prima a Ufficio TARI."
    )
    assert caught.value.field == "assignee"
    assert refresh(ticket).assignee is None
    assert counts() == before


def test_a_case_of_no_office_is_not_assigned_to_an_office_operator(cast: personas.Cast) -> None:
    ticket = factories.open_case()
    assert ticket.office is None

    with pytest.raises(InvalidInput, match="questo caso non è ancora di un ufficio: passalo"):
        actions.assign_ticket(ticket, actor=cast.supervisor, assignee=cast.office_operator)


def test_an_analyst_is_not_assigned_a_case(cast: personas.Cast) -> None:
    ticket = _first_level_case(cast)

    with pytest.raises(InvalidInput, match=r"Paolo Gallo \(analista\) non lavora sui casi"):
        actions.assign_ticket(ticket, actor=cast.supervisor, assignee=cast.analyst)


def test_whoever_is_assigned_can_open_the_case(cast: personas.Cast) -> None:
    ticket = _first_level_case(cast)
    actions.assign_ticket(ticket, actor=cast.supervisor, assignee=cast.operator)
    escalated = actions.escalate_ticket(ticket, cast.tari, actor=cast.operator)
    actions.assign_ticket(escalated, actor=cast.supervisor, assignee=cast.office_operator)

    stored = refresh(ticket)
    assert stored.assignee == cast.office_operator
    assert access.visible(Ticket.objects.filter(pk=ticket.pk), cast.office_operator).exists()
    mine = _client(cast.office_operator).get("/console/inbox/", {"assignee": "me"})
    assert ticket.code in mine.content.decode()


def test_the_case_page_refuses_the_assignment_and_says_why(cast: personas.Cast) -> None:
    ticket = _first_level_case(cast)
    before = counts()

    response = _client(cast.supervisor).post(
        reverse("console:case-action", args=[ticket.code, "assign"]),
        {"assignee": cast.office_operator.pk, "confirmed": "True"},
    )

    assert response.status_code == 400
    assert "passalo prima a Ufficio TARI" in response.content.decode()
    assert refresh(ticket).assignee is None
    assert counts() == before


def test_the_bulk_change_refuses_the_assignment_case_by_case(cast: personas.Cast) -> None:
    ticket = _first_level_case(cast)
    office_case = factories.ticket_in(
        S.OFFICE, actor=cast.operator, office=cast.tari, level=2, email="luca@example.it"
    )

    done = _client(cast.supervisor).post(
        reverse("console:inbox-bulk"),
        {
            "tickets": [str(ticket.pk), str(office_case.pk)],
            "action": "assign",
            "assignee": str(cast.office_operator.pk),
            "confirm": "1",
        },
        follow=True,
    )

    text = done.content.decode()
    assert "1 aggiornati, 1 non possibili" in text
    assert "passalo prima a Ufficio TARI" in text
    assert refresh(ticket).assignee is None
    assert refresh(office_case).assignee == cast.office_operator
