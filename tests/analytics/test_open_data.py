"""Open data: no personal data, small counts suppressed, totals that do not give them back."""

from __future__ import annotations

import csv
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from ascolto.analytics import opendata
from tests.analytics.conftest import HandBuilt

pytestmark = pytest.mark.django_db


def _cells(year: int) -> dict[tuple[str, str], dict[str, object]]:
    return {(r["channel"], r["area"]): r for r in opendata.build(year).cases}


def test_small_counts_are_suppressed_and_totals_protected(hand_built: HandBuilt) -> None:
    year = timezone.localdate().year
    month = f"{timezone.localdate():%Y-%m}"
    this_month = {k: r for k, r in _cells(year).items() if r["month"] == month}

    # Six phone cases this month: 4 in Tributi (shown: 4 is under 5, so not shown), 2 in
    # Anagrafe; every cell under 5 is withheld, the total of 6 is published.
    tributi, anagrafe = this_month[("phone", "tributi")], this_month[("phone", "anagrafe")]
    assert tributi["cases"] is None and "cases" in str(tributi["suppressed"])
    assert anagrafe["cases"] is None
    assert this_month[("phone", "totale")]["cases"] == 6
    # Resolved = 6 of 6 phone cases; published, since nothing small is left out of it.
    assert this_month[("phone", "totale")]["resolved"] == 6
    for row in opendata.build(year).cases:
        for field in opendata.CASE_COUNTS:
            value = row[field]
            assert value is None or value == 0 or value >= opendata.SMALL, row


def test_secondary_suppression_hides_a_second_cell() -> None:
    cells = [
        {"area": "a", "cases": 3, "suppressed": {"cases"}},
        {"area": "b", "cases": 40, "suppressed": set()},
        {"area": "c", "cases": 12, "suppressed": set()},
        {"area": "d", "cases": 0, "suppressed": set()},
    ]
    total = {"area": "totale", "cases": 55, "suppressed": set()}

    opendata.secondary(cells, total, "cases")

    assert [c["area"] for c in cells if "cases" in c["suppressed"]] == ["a", "c"]
    assert total["suppressed"] == set()
    alone = [
        {"area": "a", "cases": 3, "suppressed": {"cases"}},
        {"area": "b", "cases": 0, "suppressed": set()},
    ]
    total = {"area": "totale", "cases": 3, "suppressed": set()}
    opendata.secondary(alone, total, "cases")
    assert total["suppressed"] == {"cases"}


def test_a_count_whose_complement_is_small_is_withheld() -> None:
    row = {"cases": 40, "resolved": 38, "resolved_within_30_days": 20, "suppressed": set()}

    opendata._primary(row)

    assert row["suppressed"] == {"resolved"}  # 40 - 38 = 2 unresolved cases would show


def test_the_command_writes_csv_json_and_a_dictionary(
    hand_built: HandBuilt, tmp_path: Path
) -> None:
    year = timezone.localdate().year
    out = StringIO()
    call_command("open_data", "--year", str(year), "--out", str(tmp_path), stdout=out)

    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(
        [
            f"casi_mensili_{year}.csv",
            f"casi_mensili_{year}.json",
            f"chiamate_mensili_{year}.csv",
            f"chiamate_mensili_{year}.json",
            "dizionario_dati.csv",
            "dizionario_dati.json",
        ]
    )
    rows = list(csv.DictReader((tmp_path / f"casi_mensili_{year}.csv").open(encoding="utf-8")))
    assert set(rows[0]) == {
        "month",
        "channel",
        "area",
        "cases",
        "resolved",
        "resolved_within_30_days",
        "suppressed",
    }
    text = "".join(p.read_text(encoding="utf-8") for p in tmp_path.iterdir())
    for personal in ("@example.org", "+39333", "Richiesta A", hand_built.web["A"].code):
        assert personal not in text
    calls = json.loads((tmp_path / f"chiamate_mensili_{year}.json").read_text(encoding="utf-8"))
    month = calls["rows"][-1]
    # 11 calls offered, 9 answered: the 2 abandoned would show through, so the answered count
    # and everything computed from it are withheld.
    assert (month["offered"], month["answered"], month["answer_rate"]) == (11, None, None)
    assert "answered" in month["suppressed"]
    dictionary = json.loads((tmp_path / "dizionario_dati.json").read_text(encoding="utf-8"))
    described = {(d["file"], d["field"]) for d in dictionary["fields"]}
    assert ("casi_mensili", "suppressed") in described
