"""The load test's verdict (loadtest/tally.py) on small hand-built runs: a request acknowledged
and never made a case, one made twice, a reply stored but not delivered, or delivered twice, must
each fail the count; the latency table counts refusals apart from errors; the fault windows show
what each kind of person saw."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def tally() -> ModuleType:
    spec = importlib.util.spec_from_file_location("tally", ROOT / "loadtest" / "tally.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["tally"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def accepted(code: str, marker: str) -> dict[str, object]:
    return {"t": 1.0, "phase": "steady", "who": "citizen", "kind": "accepted", "code": code,
            "marker": marker}  # fmt: skip


def request(t: float, who: str, kind: str, status: int, ms: float, **extra: object) -> dict:
    return {"t": t, "phase": "steady", "who": who, "kind": kind, "status": status, "ms": ms,
            **extra}  # fmt: skip


def test_every_acknowledged_submission_once_holds(tally: ModuleType) -> None:
    records = [accepted("AAA", "[lt-s-1]"), accepted("BBB", "[lt-s-2]")]
    result = tally.submissions(records, {"AAA": 1, "BBB": 1}, {"[lt-s-1]": 1, "[lt-s-2]": 1})
    assert result.holds
    assert (result.cases.accepted, result.cases.once, result.unacknowledged) == (2, 2, 0)


def test_a_lost_submission_and_one_made_twice_fail(tally: ModuleType) -> None:
    records = [
        accepted("AAA", "[lt-s-1]"),
        accepted("BBB", "[lt-s-2]"),
        accepted("CCC", "[lt-s-3]"),
    ]
    result = tally.submissions(
        records,
        {"AAA": 1, "CCC": 1},  # BBB was acknowledged and never became a case
        {"[lt-s-1]": 1, "[lt-s-2]": 0, "[lt-s-3]": 2},  # CCC's text was taken in twice
    )
    assert not result.holds
    assert result.cases.missing == ["BBB"]
    assert result.messages.missing == ["[lt-s-2]"]
    assert result.messages.duplicated == {"[lt-s-3]": 2}
    assert result.cases.once == 2 and result.messages.once == 1


def test_a_replayed_acknowledgement_is_one_submission(tally: ModuleType) -> None:
    """The same POST sent twice is answered with the first one's code: one case, not two."""
    records = [accepted("AAA", "[lt-s-1]"), accepted("AAA", "[lt-s-1]")]
    result = tally.submissions(records, {"AAA": 1}, {"[lt-s-1]": 1})
    assert result.holds and result.cases.accepted == 1


def test_a_case_made_without_acknowledgement_is_counted_not_failed(tally: ModuleType) -> None:
    records = [accepted("AAA", "[lt-s-1]")]
    result = tally.submissions(records, {"AAA": 1}, {"[lt-s-1]": 1, "[lt-s-9]": 1})
    assert result.holds and result.unacknowledged == 1


def test_replies_stored_and_delivered_exactly_once(tally: ModuleType) -> None:
    records = [
        {"t": 2.0, "phase": "steady", "who": "operator", "kind": "replied", "marker": m}
        for m in ("[lt-r-1]", "[lt-r-2]", "[lt-r-3]")
    ]
    good = tally.replies(records, {"[lt-r-1]": 1, "[lt-r-2]": 1, "[lt-r-3]": 1},
                         {"[lt-r-1]": 1, "[lt-r-2]": 1, "[lt-r-3]": 1})  # fmt: skip
    assert good.holds
    bad = tally.replies(records, {"[lt-r-1]": 1, "[lt-r-2]": 1, "[lt-r-3]": 1},
                        {"[lt-r-1]": 2, "[lt-r-3]": 1})  # fmt: skip
    assert not bad.holds
    assert bad.delivered.missing == ["[lt-r-2]"]
    assert bad.delivered.duplicated == {"[lt-r-1]": 2}
    assert bad.stored.holds


def test_latencies_count_refusals_apart_from_errors(tally: ModuleType) -> None:
    records = [request(float(i), "citizen", "scrivi: submit", 303, ms) for i, ms in
               enumerate([10, 20, 30, 40, 50, 60, 70, 80, 90, 100])]  # fmt: skip
    records += [
        request(11.0, "citizen", "scrivi: submit", 429, 5),
        request(12.0, "citizen", "scrivi: submit", 503, 5),
        request(13.0, "citizen", "scrivi: submit", 500, 5),
        request(14.0, "citizen", "scrivi: submit", 0, 30000),
        request(15.0, "citizen", "scrivi: submit", 404, 5, expected=True),
        accepted("AAA", "[lt-s-1]"),  # not a request: left out
    ]
    (row,) = tally.latencies(records, {"steady": 7.0})
    assert row.count == 15 and row.per_second == 15 / 7
    assert row.refused == 2 and row.errors == 2  # the expected 404 is not an error
    assert row.statuses == {0: 1, 303: 10, 404: 1, 429: 1, 500: 1, 503: 1}
    assert row.p50 == 40 and row.p99 == 30000


def test_percentile_by_nearest_rank(tally: ModuleType) -> None:
    values = [float(v) for v in range(1, 101)]
    assert tally.percentile(values, 0.5) == 50
    assert tally.percentile(values, 0.95) == 95
    assert tally.percentile(values, 0.99) == 99
    assert tally.percentile([7.0], 0.95) == 7


def test_fault_windows_show_what_each_person_saw(tally: ModuleType) -> None:
    records = [
        request(5.0, "citizen", "scrivi: submit", 303, 10),  # before the fault
        request(10.5, "citizen", "scrivi: submit", 503, 10, note="Servizio non disponibile"),
        request(11.0, "operator", "console: inbox", 500, 10, note="Errore del server"),
        request(14.0, "operator", "console: inbox", 200, 10),  # in the grace after recovery
        request(30.0, "citizen", "scrivi: submit", 303, 10),  # after
    ]
    (window,) = tally.windows(records, [{"name": "db", "start": 10.0, "end": 12.0}], grace=3.0)
    assert window.fault == "db" and window.seconds == 5.0
    assert window.statuses == {"citizen": {503: 1}, "operator": {200: 1, 500: 1}}
    assert window.notes == {
        "citizen": ["Servizio non disponibile"],
        "operator": ["Errore del server"],
    }


def test_records_cut_short_by_a_killed_process_are_skipped(
    tally: ModuleType, tmp_path: Path
) -> None:
    path = tmp_path / "records.jsonl"
    path.write_text(json.dumps(accepted("AAA", "[lt-s-1]")) + '\n{"t": 1.0, "pha', encoding="utf-8")
    assert [r["code"] for r in tally.read_records(path)] == ["AAA"]
