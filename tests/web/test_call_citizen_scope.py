"""The call form shows an office operator only the citizens of their office's cases: choosing,
looking up (by phone or fiscal code) and saving for anyone else finds no one. Lookups are POSTs,
so numbers and fiscal codes stay out of URLs and access logs."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from ascolto.channels.actions import receive
from ascolto.citizens.models import Citizen
from ascolto.core import access
from ascolto.tickets import actions
from ascolto.tickets.models import Ticket
from tests import factories, personas
from tests.web.test_calls import LOOKUP, URL, form_data, signed_in

pytestmark = pytest.mark.django_db

MARIA_PHONE = "+393337654321"


def _maria_at_the_anagrafe(cast: personas.Cast) -> Citizen:
    """Maria wrote about her residence; the case went to the Anagrafe, not to the TARI office."""
    received = factories.submit_scrivi(
        "Cambio di residenza", fiscal_code=personas.MARIA_FISCAL_CODE, phone="333 765 4321"
    )
    ticket = Ticket.objects.get(pk=received.ticket_id)
    actions.escalate_ticket(ticket, cast.anagrafe, actor=cast.operator)
    maria = Citizen.objects.get(fiscal_code=personas.MARIA_FISCAL_CODE)
    assert maria.phone == MARIA_PHONE
    return maria


def _shows_maria(html: str, maria: Citizen) -> bool:
    return (
        personas.MARIA_FISCAL_CODE in html
        or personas.MARIA_EMAIL in html
        or "Rossi" in html
        or f'name="citizen" value="{maria.pk}"' in html
        or f'name="select_citizen" value="{maria.pk}"' in html
    )


def test_choosing_a_citizen_out_of_scope_fills_nothing(cast: personas.Cast) -> None:
    maria = _maria_at_the_anagrafe(cast)
    blank: dict[str, Any] = form_data(phone="", first_name="", last_name="")

    lucia = signed_in(cast.office_operator).post(URL, {**blank, "select_citizen": str(maria.pk)})
    assert lucia.status_code == 200
    assert not _shows_maria(lucia.content.decode(), maria)

    sara = signed_in(cast.anagrafe_operator).post(URL, {**blank, "select_citizen": str(maria.pk)})
    assert _shows_maria(sara.content.decode(), maria)  # her office holds Maria's case


def test_looking_up_a_citizen_out_of_scope_finds_no_one(cast: personas.Cast) -> None:
    maria = _maria_at_the_anagrafe(cast)
    lucia = signed_in(cast.office_operator)
    for query in ({"phone": "333 765 4321"}, {"fiscal_code": personas.MARIA_FISCAL_CODE}):
        fragment = lucia.post(LOOKUP, query).content.decode()
        assert not _shows_maria(fragment, maria), query
        assert "Nessun cittadino trovato" in fragment
        page = lucia.post(URL, form_data(action="lookup", **query)).content.decode()
        assert not _shows_maria(page.replace(query.get("fiscal_code", "-"), ""), maria), query

    giulia = signed_in(cast.operator).post(LOOKUP, {"fiscal_code": personas.MARIA_FISCAL_CODE})
    assert _shows_maria(giulia.content.decode(), maria)  # the first level sees every citizen


def test_a_call_is_not_saved_for_a_citizen_out_of_scope(cast: personas.Cast) -> None:
    maria = _maria_at_the_anagrafe(cast)
    before = Ticket.objects.count()

    response = signed_in(cast.office_operator).post(
        URL, form_data(phone="", first_name="", last_name="", citizen=str(maria.pk))
    )

    assert response.status_code == 200
    assert "Il cittadino scelto non esiste più" in response.content.decode()
    assert Ticket.objects.count() == before


def test_a_known_number_with_no_citizen_is_not_disclosed_out_of_scope(cast: personas.Cast) -> None:
    ticket = Ticket.objects.get(
        pk=receive(factories.phone_message("Residenza", number=MARIA_PHONE)).ticket_id
    )
    actions.escalate_ticket(ticket, cast.anagrafe, actor=cast.operator)

    lucia = signed_in(cast.office_operator).post(LOOKUP, {"phone": MARIA_PHONE}).content.decode()
    sara = signed_in(cast.anagrafe_operator).post(LOOKUP, {"phone": MARIA_PHONE}).content.decode()

    assert "Numero noto" not in lucia and ticket.code not in lucia
    assert "Numero noto" in sara and ticket.code in sara


def test_the_lookup_takes_no_get_so_nothing_personal_lands_in_urls(cast: personas.Cast) -> None:
    response = signed_in(cast.operator).get(LOOKUP, {"fiscal_code": personas.MARIA_FISCAL_CODE})
    assert response.status_code == 405
    page = signed_in(cast.operator).get(URL).content.decode()
    assert 'hx-post="/console/calls/lookup/"' in page
    assert "hx-get" not in page


def test_the_rule_of_which_citizens_a_user_sees(cast: personas.Cast) -> None:
    maria = _maria_at_the_anagrafe(cast)
    everyone = Citizen.objects.all()
    assert access.may_see_citizen(cast.anagrafe_operator, maria)
    assert not access.may_see_citizen(cast.office_operator, maria)
    assert not access.may_see_citizen(cast.analyst, maria)
    for user in (cast.operator, cast.supervisor, cast.administrator):
        assert access.may_see_citizen(user, maria)
        assert access.visible_citizens(everyone, user).count() == everyone.count()
    assert not access.visible_citizens(everyone, cast.analyst).exists()
    assert access.visible_citizens(everyone, AnonymousUser()).count() == 0
