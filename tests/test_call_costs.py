"""Cost allocation: answered calls × cost per call, onto the budget lines of theme owners."""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from ascolto.channels.actions import start_conversation
from ascolto.citizens.actions import resolve_identity
from ascolto.contactcenter.actions import record_call
from ascolto.contactcenter.costs import UNALLOCATED, allocate_call_costs
from ascolto.core.errors import InvalidInput
from ascolto.tickets.actions import open_ticket
from ascolto.tickets.models import Theme
from tests import personas

ROME = ZoneInfo("Europe/Rome")
_calls = iter(range(1, 10_000))


def _call(cast: personas.Cast, at: datetime, theme: str | None, *, answered: bool = True) -> None:
    number = f"+39333{next(_calls):07d}"
    conversation = None
    if theme is not None or answered:
        identity = resolve_identity("phone", number)
        conversation = start_conversation(cast.phone, identity, at=at)
        if theme is not None:
            open_ticket(
                channel=cast.phone,
                conversation=conversation,
                identity=identity,
                theme=Theme.objects.get(code=theme),
                at=at,
            )
    record_call(
        external_id=f"call-{number}",
        queue="generale",
        arrived_at=at,
        wait_seconds=40,
        talk_seconds=0 if not answered else 250,
        abandoned=not answered,
        caller_phone=number,
        conversation=conversation,
    )


@pytest.fixture
def budgets(cast: personas.Cast) -> personas.Cast:
    cast.tributi.budget_line = "TRIB-01"
    cast.tributi.save()
    cast.anagrafe.budget_line = "CIV-01"
    cast.anagrafe.save()
    # TARI's competent office is the TARI office, whose budget is its department's.
    Theme.objects.filter(code="tari").update(office=cast.tari)
    Theme.objects.filter(code="anagrafe").update(office=cast.anagrafe)
    return cast


def test_each_answered_call_is_charged_to_the_department_owning_its_theme(
    budgets: personas.Cast,
) -> None:
    march = datetime(2026, 3, 10, 10, 0, tzinfo=ROME)
    for _ in range(3):
        _call(budgets, march, "tari-pagamento")  # a topic below TARI
    for _ in range(2):
        _call(budgets, march, "cie-rinnovo")  # a topic below the Anagrafe area
    _call(budgets, march, None)  # answered, but no case was logged
    _call(budgets, march, "verbali-ricorsi")  # a theme nobody owns
    _call(budgets, march, None, answered=False)  # abandoned: not handled, not charged

    lines = allocate_call_costs(date(2026, 3, 1), date(2026, 3, 31))

    table = [(line.month, line.budget_line, line.office, line.calls, line.cost) for line in lines]
    assert table == [
        (date(2026, 3, 1), "CIV-01", "Anagrafe", 2, Decimal("4.00")),
        (date(2026, 3, 1), "TRIB-01", "Direzione Tributi", 3, Decimal("6.00")),
        (date(2026, 3, 1), UNALLOCATED, "", 2, Decimal("4.00")),
    ]
    assert sum(line.cost for line in lines) == Decimal("2.00") * 7


def test_costs_are_split_by_month_and_use_the_configured_price(budgets: personas.Cast) -> None:
    _call(budgets, datetime(2026, 1, 31, 23, 30, tzinfo=ROME), "tari")  # still January in Milan
    _call(budgets, datetime(2026, 2, 1, 9, 0, tzinfo=ROME), "tari")
    _call(budgets, datetime(2026, 2, 2, 9, 0, tzinfo=ROME), "tari")

    lines = allocate_call_costs(date(2026, 1, 1), date(2026, 2, 28), cost_per_call=Decimal("2.35"))

    assert [(line.month, line.calls, line.cost) for line in lines] == [
        (date(2026, 1, 1), 1, Decimal("2.35")),
        (date(2026, 2, 1), 2, Decimal("4.70")),
    ]


def test_a_period_that_ends_before_it_starts_is_refused(cast: personas.Cast) -> None:
    with pytest.raises(InvalidInput, match="finisce .* prima di cominciare"):
        allocate_call_costs(date(2026, 3, 1), date(2026, 2, 1))


def test_the_command_writes_the_cost_lines_for_the_finance_office(
    budgets: personas.Cast, tmp_path: Path
) -> None:
    for _ in range(3):
        _call(budgets, datetime(2026, 3, 10, 10, 0, tzinfo=ROME), "tari")
    _call(budgets, datetime(2026, 4, 1, 10, 0, tzinfo=ROME), None)
    out = StringIO()

    call_command(
        "call_costs", "--year", "2026", "--output", str(tmp_path / "costi.csv"), stdout=out
    )

    with (tmp_path / "costi.csv").open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows == [
        ["mese", "capitolo", "ufficio", "chiamate", "costo (EUR)"],
        ["2026-03", "TRIB-01", "Direzione Tributi", "3", "6.00"],
        ["2026-04", UNALLOCATED, "", "1", "2.00"],
    ]
    assert "4 calls, 8.00 EUR" in out.getvalue()


def test_the_command_refuses_a_period_that_ends_before_it_starts(cast: personas.Cast) -> None:
    with pytest.raises(CommandError, match="prima di cominciare"):
        call_command(
            "call_costs", "--start", "2026-03-01", "--end", "2026-02-01", stdout=StringIO()
        )


def test_a_call_is_recorded_once_and_checked(cast: personas.Cast) -> None:
    at = datetime(2026, 3, 2, 9, 0, tzinfo=ROME)
    first = record_call(
        external_id="c-1", queue="q", arrived_at=at, wait_seconds=30, talk_seconds=200
    )
    again = record_call(
        external_id="c-1", queue="q", arrived_at=at, wait_seconds=30, talk_seconds=200
    )

    assert first.pk == again.pk
    assert first.ended_at - first.arrived_at == timedelta(seconds=230)
    with pytest.raises(InvalidInput, match="abbandonata non ha tempo di conversazione"):
        record_call(
            external_id="c-2",
            queue="q",
            arrived_at=at,
            wait_seconds=30,
            talk_seconds=5,
            abandoned=True,
        )
    with pytest.raises(InvalidInput, match="non possono essere negativi"):
        record_call(external_id="c-3", queue="q", arrived_at=at, wait_seconds=-1)
