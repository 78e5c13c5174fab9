"""What the load test's records and the database say together: the latency and errors of each
kind of request, what people saw during each fault, and whether every accepted request became a
case exactly once and every accepted reply was stored and delivered exactly once.

Pure functions over plain data (no Django, no database): `loadtest/run.py` reads the records the
locustfile wrote and the rows of the database, then calls these; tests/test_loadtest_tally.py
checks them on small hand-built cases.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Answers that refuse clearly: too many requests (the rate limits), unavailable for now.
REFUSALS = frozenset({429, 503})


def read_records(path: Path) -> list[dict[str, Any]]:
    """The locustfile's JSON lines (a line cut short by a killed process is skipped)."""
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records


def percentile(values: list[float], q: float) -> float:
    """The `q` quantile (0..1) by the nearest rank; NaN for no values."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


@dataclass(frozen=True)
class Latency:
    """One kind of request in one phase."""

    phase: str
    kind: str
    count: int
    per_second: float
    p50: float
    p95: float
    p99: float
    refused: int  # 429 or 503: the clear refusals
    errors: int  # anything else that is not a success nor a refusal, no answer included
    statuses: dict[int, int]


def latencies(records: Iterable[Mapping[str, Any]], seconds: Mapping[str, float]) -> list[Latency]:
    """Per phase and kind of request, from the requests' records (`status` and `ms` present;
    the records of acceptances and replies carry no status and are left out). `seconds`: each
    phase's length, for the rate. Any 4xx other than a refusal is an error (the load asks only
    for what exists: a request still in the intake queue has its status page already), unless
    the record says it was the expected answer (`expected`: the case page of a request not
    taken in yet answers 404, and the operator tries again later)."""
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = defaultdict(list)
    for record in records:
        if "status" in record:
            groups[(record["phase"], record["kind"])].append(record)
    result = []
    for (phase, kind), rows in sorted(groups.items()):
        statuses = Counter(int(r["status"]) for r in rows)
        ms = [float(r["ms"]) for r in rows]
        refused = sum(n for s, n in statuses.items() if s in REFUSALS)
        errors = sum(
            1
            for r in rows
            if int(r["status"]) not in REFUSALS
            and not 200 <= int(r["status"]) < 400
            and not r.get("expected")
        )
        result.append(
            Latency(
                phase=phase,
                kind=kind,
                count=len(rows),
                per_second=len(rows) / seconds[phase] if seconds.get(phase) else float("nan"),
                p50=percentile(ms, 0.50),
                p95=percentile(ms, 0.95),
                p99=percentile(ms, 0.99),
                refused=refused,
                errors=errors,
                statuses=dict(sorted(statuses.items())),
            )
        )
    return result


@dataclass(frozen=True)
class Once:
    """Whether each accepted thing (a tracking code, a reply's marker) exists exactly once."""

    accepted: int
    once: int
    missing: list[str] = field(default_factory=list)
    duplicated: dict[str, int] = field(default_factory=dict)

    @property
    def holds(self) -> bool:
        return not self.missing and not self.duplicated


def exactly_once(accepted: Iterable[str], found: Mapping[str, int]) -> Once:
    """Each of `accepted` (a tracking code, a reply's marker) found exactly once in `found`
    (how many rows carry it). An accepted key listed twice is one acceptance (the same POST
    replayed is answered with the first one's code)."""
    keys = sorted(set(accepted))
    missing = [k for k in keys if found.get(k, 0) == 0]
    duplicated = {k: found[k] for k in keys if found.get(k, 0) > 1}
    return Once(
        accepted=len(keys),
        once=len(keys) - len(missing) - len(duplicated),
        missing=missing,
        duplicated=duplicated,
    )


@dataclass(frozen=True)
class Submissions:
    """The citizens' requests: each acknowledged one (a 303 with its tracking code) must be one
    case with that code, and its text one message on the Scrivi channel."""

    cases: Once
    messages: Once
    # Made without the citizen being told (the answer was lost on its way back): not a loss,
    # but the citizen does not know the code; counted to be seen.
    unacknowledged: int

    @property
    def holds(self) -> bool:
        return self.cases.holds and self.messages.holds


def submissions(
    records: Iterable[Mapping[str, Any]],
    cases_by_code: Mapping[str, int],
    messages_by_marker: Mapping[str, int],
) -> Submissions:
    """`cases_by_code`: cases per tracking code among the run's; `messages_by_marker`: inbound
    messages per submission marker (each submission's text carries its own)."""
    accepted = [r for r in records if r.get("kind") == "accepted"]
    codes = [str(r["code"]) for r in accepted]
    markers = [str(r["marker"]) for r in accepted]
    known = set(markers)
    return Submissions(
        cases=exactly_once(codes, cases_by_code),
        messages=exactly_once(markers, messages_by_marker),
        unacknowledged=sum(1 for m, n in messages_by_marker.items() if n and m not in known),
    )


@dataclass(frozen=True)
class Replies:
    """The operators' answers: each the console accepted (a redirect back to the case) must be
    one outgoing message, and one mail at the SMTP server."""

    stored: Once
    delivered: Once

    @property
    def holds(self) -> bool:
        return self.stored.holds and self.delivered.holds


def replies(
    records: Iterable[Mapping[str, Any]],
    stored_by_marker: Mapping[str, int],
    mails_by_marker: Mapping[str, int],
) -> Replies:
    markers = [str(r["marker"]) for r in records if r.get("kind") == "replied"]
    return Replies(
        stored=exactly_once(markers, stored_by_marker),
        delivered=exactly_once(markers, mails_by_marker),
    )


@dataclass(frozen=True)
class Window:
    """What each kind of person saw while one fault lasted (from its start until it was
    recovered, plus the grace seconds after)."""

    fault: str
    seconds: float
    statuses: dict[str, dict[int, int]]  # who -> status -> count (0: no answer)
    notes: dict[str, list[str]]  # who -> the distinct page titles of what was not a success


def windows(
    records: Iterable[Mapping[str, Any]], faults: Iterable[Mapping[str, Any]], grace: float
) -> list[Window]:
    """`faults`: each with `name`, `start` and `end` (epoch seconds)."""
    rows = [r for r in records if "status" in r]
    result = []
    for fault in faults:
        start, end = float(fault["start"]), float(fault["end"]) + grace
        statuses: dict[str, Counter[int]] = defaultdict(Counter)
        notes: dict[str, list[str]] = defaultdict(list)
        for r in rows:
            if start <= float(r["t"]) <= end:
                statuses[r["who"]][int(r["status"])] += 1
                note = r.get("note")
                if note and note not in notes[r["who"]]:
                    notes[r["who"]].append(str(note))
        result.append(
            Window(
                fault=str(fault["name"]),
                seconds=round(end - start, 1),
                statuses={who: dict(sorted(c.items())) for who, c in sorted(statuses.items())},
                notes={who: n[:3] for who, n in sorted(notes.items())},
            )
        )
    return result
