"""The console's citizen search (every key) and the citizen's page, with who sees what."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client

from ascolto.citizens.models import Citizen, Consent, MergeSuggestion
from ascolto.citizens.search import Key, find, read_key
from ascolto.organisation.models import User
from ascolto.tickets import actions
from ascolto.tickets.models import Ticket
from tests import factories
from tests.personas import LUCA_FISCAL_CODE, MARIA_EMAIL, MARIA_FISCAL_CODE, Cast

pytestmark = pytest.mark.django_db

SEARCH = "/console/citizens/search/"
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
def people(cast: Cast) -> dict[str, Ticket]:
    """Nicolò De Luca (a TARI case, in the TARI office's scope) and Maria Rossi (a case at the
    contact center), with her fiscal code, number and email."""
    maria = factories.submit_scrivi(
        "Come pago la TARI?", email=MARIA_EMAIL, phone=MARIA_PHONE, fiscal_code=MARIA_FISCAL_CODE
    )
    nicolo = factories.submit_scrivi(
        "Passo carrabile", email="nicolo@example.it", first_name="Nicolò", last_name="De Luca",
        fiscal_code=LUCA_FISCAL_CODE,
    )  # fmt: skip
    nicolo_case = Ticket.objects.get(pk=nicolo.ticket_id)
    actions.escalate_ticket(nicolo_case, cast.tari, actor=cast.operator, team=cast.tari_team)
    return {"maria": Ticket.objects.get(pk=maria.ticket_id), "nicolo": nicolo_case}


@pytest.mark.parametrize(
    ("text", "key", "value"),
    [
        ("maria.ROSSI@example.it ", Key.EMAIL, MARIA_EMAIL),
        ("333 123 4567", Key.PHONE, MARIA_PHONE),
        ("0039 333-123.4567", Key.PHONE, MARIA_PHONE),
        ("rssmra80c52f205l", Key.FISCAL_CODE, MARIA_FISCAL_CODE),
        ("Nicolò De Luca", Key.NAME, "nicolo de luca"),
    ],
)
def test_what_is_typed_is_read_as_one_key(text: str, key: str, value: str) -> None:
    assert read_key(text) == (key, value)


@pytest.mark.parametrize(
    "text",
    [
        "Maria Rossi", "rossi maria", "ROSS", "maria", MARIA_EMAIL.upper(), "+39 333 1234567",
        "3331234567", MARIA_FISCAL_CODE.lower(),
    ],
)  # fmt: skip
def test_every_key_finds_maria(cast: Cast, people: dict[str, Ticket], text: str) -> None:
    found = find(text, cast.operator)
    assert [c.full_name for c in found.citizens] == ["Maria Rossi"], text
    assert found.cases == {people["maria"].citizen_id: 1}


@pytest.mark.parametrize("text", ["nicolo de luca", "De Luca Nicolò", "NICOLO'", "de lu"])
def test_names_ignore_accents_case_and_order(
    cast: Cast, people: dict[str, Ticket], text: str
) -> None:
    assert [c.full_name for c in find(text, cast.operator).citizens] == ["Nicolò De Luca"]


def test_twelve_letters_that_name_no_case_are_a_name(cast: Cast) -> None:
    factories.submit_scrivi(
        "Buca", email="paola@example.it", first_name="Paola", last_name="Ferrari"
    )
    assert read_key("Paola Ferrari")[0] == Key.CODE  # it has a code's shape
    found = find("Paola Ferrari", cast.operator)
    assert found.key == Key.NAME
    assert [c.full_name for c in found.citizens] == ["Paola Ferrari"]


def test_a_tracking_code_opens_its_case(cast: Cast, people: dict[str, Ticket]) -> None:
    code = people["maria"].code
    page = client_for(cast.operator).post(SEARCH, {"q": code.lower()})
    assert page.status_code == 302
    assert page["Location"].endswith(f"/{code}/")
    # Outside the TARI office's scope: not opened, not disclosed.
    hidden = client_for(cast.office_operator).post(SEARCH, {"q": code})
    assert hidden.status_code == 200
    assert "Nessun caso con questo codice" in hidden.content.decode()


def test_a_code_without_digits_outside_the_scope_is_still_a_code(
    cast: Cast, people: dict[str, Ticket]
) -> None:
    # About one code in ninety has no digit: written with its dashes it is not a name.
    Ticket.objects.filter(pk=people["maria"].pk).update(code="KGFT-PHGN-NKKX")
    found = find("KGFT-PHGN-NKKX", cast.office_operator)
    assert (found.key, found.case) == (Key.CODE, None)
    assert find("kgft-phgn-nkkx", cast.operator).case == people["maria"]


def test_an_office_operator_finds_only_citizens_of_their_cases(
    cast: Cast, people: dict[str, Ticket]
) -> None:
    tari = client_for(cast.office_operator)
    maria = people["maria"].citizen_id
    html = tari.post(SEARCH, {"q": "Maria Rossi"}).content.decode()
    assert 'id="no-results"' in html and f"/console/citizens/{maria}/" not in html
    html = tari.post(SEARCH, {"q": "de luca"}).content.decode()
    assert f'/console/citizens/{people["nicolo"].citizen_id}/">Nicolò De Luca' in html
    assert find(MARIA_EMAIL, cast.anagrafe_operator).citizens == []
    assert client_for(cast.analyst).post(SEARCH, {"q": "Maria"}).status_code == 403
    assert tari.get(f"/console/citizens/{maria}/").status_code == 404
    assert client_for(cast.analyst).get(f"/console/citizens/{maria}/").status_code == 403
    assert client_for(cast.operator).get(f"/console/citizens/{maria}/").status_code == 200


def test_bad_input_says_what_is_wrong(cast: Cast) -> None:
    html = client_for(cast.operator).post(SEARCH, {"q": "maria@"}).content.decode()
    assert "non è un indirizzo email valido" in html
    html = client_for(cast.operator).post(SEARCH, {"q": "RSSMRA80C52F205X"}).content.decode()
    assert "non è un codice fiscale valido" in html


def test_suggestions_while_typing_and_the_box_on_every_page(
    cast: Cast, people: dict[str, Ticket]
) -> None:
    client = client_for(cast.operator)
    part = client.post(SEARCH, {"q": "ross"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in part and "Maria Rossi" in part
    assert f'href="/console/citizens/{people["maria"].citizen_id}/"' in part
    assert 'id="console-search-q"' in client.get("/console/inbox/").content.decode()
    assert 'id="console-search-q"' in client.get(SEARCH).content.decode()


def test_nothing_typed_lands_in_a_url(cast: Cast, people: dict[str, Ticket]) -> None:
    client = client_for(cast.operator)
    html = client.get("/console/inbox/").content.decode()
    box = html[html.index('role="search"') - 200 : html.index('id="console-search-q"')]
    assert 'method="post"' in box and "hx-get" not in box
    # A name in the query string is not searched.
    assert 'id="citizen-results-table"' not in client.get(SEARCH, {"q": "Maria"}).content.decode()


def test_the_citizen_page_shows_every_section(
    cast: Cast, people: dict[str, Ticket], django_assert_max_num_queries: object
) -> None:
    maria = people["maria"].citizen
    assert maria is not None
    Ticket.objects.filter(pk=people["maria"].pk).update(satisfaction=4)
    luca = factories.submit_scrivi(
        "Passo carrabile", email="luca@example.it", phone=MARIA_PHONE, first_name="Luca",
        last_name="Bianchi",
    )  # fmt: skip
    suggestion = MergeSuggestion.objects.get()
    # Signed in before counting: the sign-in's own queries (django-axes records it, and the
    # read of the user's permissions for the menu) are not the page's; +1 the access-log record.
    client = client_for(cast.operator)
    with django_assert_max_num_queries(31):  # type: ignore[operator]
        page = client.get(f"/console/citizens/{maria.pk}/")
    html = page.content.decode()
    for section in ("identities", "cases", "conversations", "calls", "surveys", "consents"):
        assert f'id="{section}"' in html
    assert MARIA_EMAIL in html and MARIA_PHONE in html and MARIA_FISCAL_CODE in html
    assert people["maria"].code in html
    assert "4 su 5" in html
    assert str(Consent.Purpose.PRIVACY.label) in html
    card = html[html.index(f'id="duplicate-{suggestion.pk}"') :]
    assert "Luca Bianchi" in card and f"Stesso Telefono: {MARIA_PHONE}" in card
    assert "Non coincidono" in card
    # Keeping them apart comes back to the citizen's page.
    back = client_for(cast.operator).post(
        f"/console/citizens/duplicates/{suggestion.pk}/dismiss/",
        {"next": f"/console/citizens/{maria.pk}/"},
    )
    assert back["Location"] == f"/console/citizens/{maria.pk}/"
    assert MergeSuggestion.objects.get().status == MergeSuggestion.Status.DISMISSED
    assert Citizen.objects.get(tickets__pk=luca.ticket_id).full_name == "Luca Bianchi"
