"""The console's list of possible duplicates: evidence, the two buttons, and who may see what."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client

from ascolto.citizens.models import Citizen, Identity, MergeSuggestion
from ascolto.organisation.models import User
from ascolto.tickets import actions
from ascolto.tickets.models import Ticket
from tests import factories
from tests.personas import MARIA_EMAIL, Cast

pytestmark = pytest.mark.django_db

URL = "/console/citizens/duplicates/"
MARIA_PHONE = "+393331234567"


@pytest.fixture(autouse=True)
def _pinned_clock() -> object:
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False) as traveller:
        yield traveller


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def attack(cast: Cast) -> tuple[Ticket, Ticket, MergeSuggestion]:
    """Maria writes with her email and number; Luca writes with his email and her number."""
    maria = factories.submit_scrivi("Come pago la TARI?", email=MARIA_EMAIL, phone=MARIA_PHONE)
    luca = factories.submit_scrivi(
        "Passo carrabile", email="luca@example.it", phone=MARIA_PHONE, first_name="Luca",
        last_name="Bianchi",
    )  # fmt: skip
    return (
        Ticket.objects.get(pk=maria.ticket_id),
        Ticket.objects.get(pk=luca.ticket_id),
        MergeSuggestion.objects.get(),
    )


def test_the_list_shows_both_records_the_evidence_and_the_buttons(
    cast: Cast, attack: tuple[Ticket, Ticket, MergeSuggestion]
) -> None:
    _maria_case, _luca_case, suggestion = attack

    page = client_for(cast.operator).get(URL)

    assert page.status_code == 200
    html = page.content.decode()
    assert 'href="/console/citizens/duplicates/"' in html  # in the console menu
    card = html[html.index(f'id="duplicate-{suggestion.pk}"') :]
    assert "Maria Rossi e Luca Bianchi" in card
    assert f"Telefono {MARIA_PHONE}: appartiene a Maria Rossi e non è stato spostato." in card
    assert "Non coincidono: email, nome." in card
    assert "Scrivi al Comune" in card
    assert MARIA_EMAIL in card and "luca@example.it" in card
    assert "Unisci: è la stessa persona" in card and "Tieni separati" in card
    english = client_for(cast.supervisor).get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Possibili doppioni" not in english


def test_sign_in_and_a_case_handling_role_are_required(cast: Cast) -> None:
    assert Client().get(URL).status_code == 302
    assert client_for(cast.analyst).get(URL).status_code == 403
    assert "Nessun possibile doppione" in client_for(cast.operator).get(URL).content.decode()


def test_accepting_merges_the_two_records(
    cast: Cast, attack: tuple[Ticket, Ticket, MergeSuggestion]
) -> None:
    maria_case, luca_case, suggestion = attack

    giulia = client_for(cast.operator)
    response = giulia.post(f"{URL}{suggestion.pk}/accept/")

    assert response.status_code == 302 and response["Location"] == URL
    assert Ticket.objects.get(pk=luca_case.pk).citizen_id == maria_case.citizen_id
    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.decided_by) == ("accepted", cast.operator)
    page = giulia.get(URL).content.decode()
    assert "I due cittadini sono stati uniti in Maria Rossi." in page
    assert "Nessun possibile doppione" in page


def test_dismissing_keeps_them_apart(
    cast: Cast, attack: tuple[Ticket, Ticket, MergeSuggestion]
) -> None:
    maria_case, luca_case, suggestion = attack

    client_for(cast.supervisor).post(f"{URL}{suggestion.pk}/dismiss/")

    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.decided_by) == ("dismissed", cast.supervisor)
    assert Ticket.objects.get(pk=luca_case.pk).citizen_id != maria_case.citizen_id
    assert Citizen.objects.filter(merged_into=None).count() == 2
    # A decided suggestion leaves every list: deciding it again finds nothing, changes nothing.
    again = client_for(cast.operator).post(f"{URL}{suggestion.pk}/accept/")
    assert again.status_code == 404
    assert Citizen.objects.filter(merged_into=None).count() == 2


def test_an_office_operator_sees_only_suggestions_about_citizens_of_their_offices(
    cast: Cast, attack: tuple[Ticket, Ticket, MergeSuggestion]
) -> None:
    maria_case, luca_case, suggestion = attack
    lucia = client_for(cast.office_operator)  # TARI office

    actions.escalate_ticket(maria_case, cast.anagrafe, actor=cast.operator)
    actions.escalate_ticket(luca_case, cast.tari, actor=cast.operator)
    # Maria's cases are all out of her reach: the suggestion would disclose Maria's record.
    assert f'id="duplicate-{suggestion.pk}"' not in lucia.get(URL).content.decode()
    assert lucia.post(f"{URL}{suggestion.pk}/accept/").status_code == 404
    assert lucia.post(f"{URL}{suggestion.pk}/dismiss/").status_code == 404
    assert MergeSuggestion.objects.get().status == "open"
    assert Identity.objects.get(value=MARIA_PHONE).citizen_id == maria_case.citizen_id

    tari_case = factories.submit_scrivi("Rimborso TARI", email=MARIA_EMAIL, phone=MARIA_PHONE)
    actions.escalate_ticket(
        Ticket.objects.get(pk=tari_case.ticket_id), cast.tari, actor=cast.operator
    )
    assert f'id="duplicate-{suggestion.pk}"' in lucia.get(URL).content.decode()
    assert lucia.post(f"{URL}{suggestion.pk}/dismiss/").status_code == 302
