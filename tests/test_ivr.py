"""The IVR menu is configuration loaded from a file (all or nothing), and the IVR paths report
counts, per month and per menu choice, the calls that went through, left the IVR there, hung up,
reached an operator and for how long, flagging the choices an IVR recording could answer."""

from __future__ import annotations

import json
from datetime import datetime
from io import StringIO
from itertools import count
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from ascolto.analytics.period import Period
from ascolto.contactcenter.actions import record_call
from ascolto.contactcenter.ivr import (
    MIN_TRANSFERS,
    SHORT_TALK_SECONDS,
    flagged,
    ivr_report,
    ivr_tree,
    load_ivr_tree,
)
from ascolto.contactcenter.models import IvrNode
from ascolto.core.errors import InvalidInput

pytestmark = pytest.mark.django_db

ROME = ZoneInfo("Europe/Rome")
MENU = [
    {
        "code": "1",
        "label": "Anagrafe",
        "children": [
            {"code": "1", "label": "Carta d'identità", "transfer": "anagrafe"},
            {"code": "2", "label": "Orari degli sportelli", "transfer": "anagrafe"},
        ],
    },
    {"code": "2", "label": "Tributi", "transfer": "tributi"},
    {"code": "0", "label": "Un operatore", "transfer": "operator"},
    {"code": "9", "label": "Orari registrati", "transfer": "end"},
]
ids = count()


def call(path: str, when: datetime, *, abandoned: bool = False, talk: int = 0) -> None:
    record_call(
        external_id=f"c{next(ids)}",
        queue="anagrafe",
        arrived_at=when,
        wait_seconds=30,
        talk_seconds=0 if abandoned else talk,
        abandoned=abandoned,
        ivr_path=path,
    )


def test_the_menu_loads_replaces_and_round_trips() -> None:
    loaded = load_ivr_tree(MENU)
    assert (loaded.created, loaded.updated, loaded.deleted) == (6, 0, 0)
    assert list(IvrNode.objects.values_list("path", flat=True)) == [
        "0",
        "1",
        "1>1",
        "1>2",
        "2",
        "9",
    ]
    assert IvrNode.objects.get(path="1>2").parent == IvrNode.objects.get(path="1")
    assert ivr_tree() == [MENU[2], MENU[0], MENU[1], MENU[3]]

    smaller = [dict(MENU[0], label="Servizi anagrafici"), MENU[1]]
    loaded = load_ivr_tree(smaller)
    assert (loaded.created, loaded.updated, loaded.deleted) == (0, 1, 2)
    assert set(IvrNode.objects.values_list("path", flat=True)) == {"1", "1>1", "1>2", "2"}


@pytest.mark.parametrize(
    ("menu", "why"),
    [
        ({"code": "3"}, "must be a list"),
        ([{"code": "3>2", "label": "x", "transfer": "q"}], "phone key"),
        ([{"code": "3", "label": "", "transfer": "q"}], "needs a label"),
        ([{"code": "3", "label": "x"}], "needs a transfer"),
        ([{"code": "3", "label": "x", "transfer": "q", "children": MENU[1:2]}], "submenu"),
        ([MENU[1], MENU[1]], "appears twice"),
    ],
)
def test_a_wrong_menu_changes_nothing(menu: object, why: str) -> None:
    load_ivr_tree(MENU)
    before = list(IvrNode.objects.values_list("path", "label", "transfer"))
    with pytest.raises(InvalidInput, match=why):
        load_ivr_tree([MENU[0], *menu] if isinstance(menu, list) else menu)
    assert list(IvrNode.objects.values_list("path", "label", "transfer")) == before


def test_the_command_loads_a_file_and_dumps_it(tmp_path: Path) -> None:
    source = tmp_path / "ivr.json"
    source.write_text(json.dumps(MENU), encoding="utf-8")
    out = StringIO()
    call_command("load_ivr", str(source), stdout=out)
    assert "6 choices created" in out.getvalue()
    dumped = tmp_path / "dump.json"
    call_command("load_ivr", str(dumped), "--dump", stdout=StringIO())
    assert json.loads(dumped.read_text(encoding="utf-8")) == ivr_tree()

    broken = tmp_path / "broken.json"
    broken.write_text('[{"code": "1", "label": "x"}]', encoding="utf-8")
    with pytest.raises(CommandError, match="Nothing was changed"):
        call_command("load_ivr", str(broken), stdout=StringIO())
    assert IvrNode.objects.count() == 6


def test_the_report_counts_each_choice_per_month() -> None:
    load_ivr_tree(MENU)
    march, april = datetime(2026, 3, 10, 9, tzinfo=ROME), datetime(2026, 4, 2, 9, tzinfo=ROME)
    # Anagrafe › opening hours: many short answers an IVR recording could give.
    for _ in range(MIN_TRANSFERS):
        call("1>2", march, talk=SHORT_TALK_SECONDS - 30)
    call("1>2", march, talk=600)
    call("1>2", march, abandoned=True)
    # Anagrafe › identity card: long conversations.
    for _ in range(MIN_TRANSFERS):
        call("1>1", march, talk=400)
    # The caller hung up in the Anagrafe menu itself; a path the menu does not have.
    call("1", march, abandoned=True)
    call("7", april, talk=60)
    call("2", april, talk=100)
    call("", april, talk=100)  # no IVR path: not counted
    # The first instant of May is outside the period.
    call("2", datetime(2026, 5, 1, 0, 0, tzinfo=ROME), talk=100)

    report = ivr_report(*_period(2026, 3, 4))

    assert report.calls == 2 * MIN_TRANSFERS + 5
    assert report.without_path == 1
    by = {(f.month.month if f.month else 0, f.path): f for f in report.months}
    anagrafe = by[(3, "1")]
    assert (anagrafe.entries, anagrafe.exits, anagrafe.abandoned) == (2 * MIN_TRANSFERS + 3, 1, 1)
    hours = by[(3, "1>2")]
    assert (hours.entries, hours.exits, hours.abandoned) == (MIN_TRANSFERS + 2,) * 2 + (1,)
    assert hours.to_operator == MIN_TRANSFERS + 1
    assert hours.talk_seconds == MIN_TRANSFERS * (SHORT_TALK_SECONDS - 30) + 600
    assert hours.short_calls == MIN_TRANSFERS
    assert hours.could_self_serve
    card = by[(3, "1>1")]
    assert card.to_operator == MIN_TRANSFERS and card.average_talk == 400
    assert not card.could_self_serve
    unknown = by[(4, "7")]
    assert not unknown.configured and unknown.to_operator == 1
    assert (4, "2") in by and (3, "2") not in by

    totals = {f.path: f for f in report.totals}
    assert totals["1"].entries == 2 * MIN_TRANSFERS + 3
    assert totals["2"].to_operator == 1
    assert [f.path for f in flagged(report.totals)] == ["1>2"]
    # Menu order: "2" after "1>2", "7" last.
    assert [f.path for f in report.totals] == ["1", "1>1", "1>2", "2", "7"]


def test_months_follow_the_city_clock() -> None:
    """A call at 00:30 on 1 April in Rome is in April, though it is still March in UTC."""
    load_ivr_tree(MENU)
    call("2", datetime(2026, 4, 1, 0, 30, tzinfo=ROME), talk=60)
    report = ivr_report(*_period(2026, 3, 4))
    assert [(f.month.month if f.month else 0, f.path) for f in report.months] == [(4, "2")]


def _period(year: int, first: int, last: int) -> tuple[datetime, datetime]:
    period = Period(Period.month(year, first).start, Period.month(year, last).end)
    return period.since, period.until
