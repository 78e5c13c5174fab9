"""Full-text search over cases: Italian text search on PostgreSQL, FTS5 on SQLite."""

from __future__ import annotations

import pytest
from django.test import Client

from ascolto.tickets import actions, search
from ascolto.tickets.models import Ticket
from tests import factories
from tests.personas import Cast

INBOX = "/console/inbox/"


def found(client: Client, **params: str) -> list[str]:
    response = client.get(INBOX, params)
    assert response.status_code == 200
    return [row["ticket"].code for row in response.context["rows"]]


@pytest.fixture
def client(cast: Cast) -> Client:
    client = Client()
    client.force_login(cast.operator)
    return client


def test_words_find_cases_and_the_best_match_comes_first(cast: Cast, client: Client) -> None:
    tari = factories.open_case(
        "Avviso TARI sbagliato: pagamento della TARI doppio.",
        email="a@example.it",
        subject="TARI pagata due volte",
    )
    other = factories.open_case("Vorrei informazioni sul pagamento della mensa.", email="b@ex.it")
    factories.open_case("Il lampione di via Padova è spento.", email="c@example.it")
    assert set(found(client, q="pagamento")) == {tari.code, other.code}
    assert found(client, q="tari")[0] == tari.code
    assert found(client, q="lampione spento") != []
    assert found(client, q="parolachenonesiste") == []


def test_resolution_and_place_are_searched(cast: Cast, client: Client) -> None:
    case = factories.open_case("Buca pericolosa.", email="d@example.it")
    actions.resolve_ticket(case, "Segnalato alla manutenzione stradale.", actor=cast.operator)
    assert found(client, q="manutenzione", status="all") == [case.code]
    # The FTS index follows updates: an active-only search no longer finds the resolved case.
    assert found(client, q="manutenzione") == []


def test_the_exact_tracking_code_finds_the_case(cast: Cast, client: Client) -> None:
    case = factories.open_case("Richiesta qualsiasi.", email="e@example.it")
    factories.open_case("Un'altra richiesta.", email="f@example.it")
    assert found(client, q=case.code) == [case.code]
    typed = case.code.replace("-", "").lower()
    assert found(client, q=typed) == [case.code]


def test_search_syntax_is_never_an_error(cast: Cast, client: Client) -> None:
    factories.open_case("Carta d'identità scaduta.", email="g@example.it")
    for text in ['"carta', "carta OR", "-", "*", "NEAR(", "identità)", "'; drop table"]:
        assert Client.get(client, INBOX, {"q": text}).status_code == 200


def test_search_module_ranks_and_narrows(cast: Cast) -> None:
    a = factories.open_case("Rimborso rimborso rimborso TARI.", email="h@example.it")
    b = factories.open_case("Chiedo un rimborso.", email="i@example.it")
    ranked = list(search.search(Ticket.objects.all(), "rimborso").order_by("-search_rank", "pk"))
    assert [t.code for t in ranked] == [a.code, b.code]
    assert search.fts5_query('carta "identità"') == '"carta"* "identità"*'
