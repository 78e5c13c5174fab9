"""The public complaints report hides every figure of a row whose count is hidden, and a second
row where the published total would give a hidden count back (issue 10: "< 5 – 18,8", and a
suppressed count worked out from the total).

The counts are built to trigger both: 17 complaints in 2025; 8 about identity cards answered by
the contact center after 2 days, not assigned to an office; 3 about the waste tax passed to the
TARI office and answered there after 10 days; 6 about parking permits passed to the Anagrafe
office, still open there."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from ascolto.analytics.complaints import complaints_report
from ascolto.tickets import actions
from ascolto.tickets.models import Ticket
from tests import factories, personas

pytestmark = pytest.mark.django_db

START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def _complaint(n: int, theme: str) -> Ticket:
    received = factories.submit_scrivi(
        f"Reclamo numero {n}", email=f"reclamo{n}@example.org", kind="complaint", theme=theme
    )
    assert received.ticket_id is not None
    return Ticket.objects.get(pk=received.ticket_id)


@pytest.fixture
def complaints(cast: personas.Cast) -> None:
    with time_machine.travel(START, tick=False) as clock:
        cards = [_complaint(n, "cie-rinnovo") for n in range(8)]
        tax = [_complaint(n, "tari-dichiarazione") for n in range(8, 11)]
        parking = [_complaint(n, "pass-sosta") for n in range(11, 17)]
        for ticket in tax:
            actions.escalate_ticket(ticket, cast.tari, actor=cast.operator)
        for ticket in parking:
            actions.escalate_ticket(ticket, cast.anagrafe, actor=cast.operator)
        clock.shift(timedelta(days=2))
        for ticket in cards:
            actions.resolve_ticket(ticket, "Risposta data.", actor=cast.operator)
        clock.shift(timedelta(days=8))
        for ticket in tax:
            actions.resolve_ticket(ticket, "Avviso corretto.", actor=cast.office_operator)


def rows(board: Any, key: str) -> dict[str, list[Any]]:
    return {str(row[0]): row[1:] for row in board.table(key).rows}


def hidden_can_be_derived(table: dict[str, list[Any]]) -> bool:
    """Whether the published total minus the published counts gives one hidden count back:
    so it does when exactly one count of the table is hidden."""
    return sum(not isinstance(row[0], int) for row in table.values()) == 1


def test_a_hidden_count_hides_its_row_and_a_second_row_hides_it_from_the_total(
    complaints: None, cast: personas.Cast
) -> None:
    board = complaints_report(2025)
    figures = {str(f.label): f.value for f in board.figures}
    assert figures["Reclami ricevuti"] == 17 and figures["Reclami con risposta"] == 11

    offices = rows(board, "offices")
    # TARI: 3 complaints answered in 10 days; its share and mean answer time go with its count
    # (they were published: "< 5 – 10,0").
    assert offices[cast.tari.name] == ["< 5", None, None]
    # The smallest other office is withheld whole, or 17 − 8 − 6 would give the 3 back.
    assert offices[cast.anagrafe.name] == [None, None, None]
    assert offices["Non assegnato"] == [8, 100.0, 2.0]

    areas = rows(board, "areas")
    assert areas["Tributi"] == ["< 5", None]
    assert areas["Mobilità"] == [None, None]
    assert areas["Anagrafe e servizi civici"] == [8, 100.0]

    outcome = rows(board, "outcome")  # nothing small: everything published
    assert outcome["Risolto"] == [11, 64.7]
    assert outcome["Assegnato a un ufficio"] == [6, 35.3]

    times = rows(board, "answer_time")  # of the 11 answered: 8 within a week, 3 within a month
    assert times["Entro un mese"] == ["< 5", None]
    assert times["Entro una settimana"] == [None, None]
    assert times["Entro un giorno"] == [0, 0.0]

    for key in ("offices", "areas", "outcome", "answer_time"):
        assert not hidden_can_be_derived(rows(board, key)), key


def test_the_public_page_and_its_csv_show_the_same(complaints: None, client: Client) -> None:
    with time_machine.travel(datetime(2026, 1, 15, 9, tzinfo=UTC)):
        page = client.get("/trasparenza/reclami/2025/").content.decode()
        data = client.get("/trasparenza/reclami/2025/?formato=csv").content.decode()
    tari = page[page.index(">Ufficio TARI</th>") :].split("</tr>", 1)[0]
    assert tari.count("–") == 2 and "&lt; 5" in tari
    assert "riga non pubblicata" in page
    assert "Ufficio TARI,< 5,," in data
