"""The results of a survey: CSAT and NPS with their intervals against values computed by hand,
the response rate (link and imported answers have none), the splits and their small cells,
the distribution of every question."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from ascolto.analytics.period import Period
from ascolto.surveys.intervals import mean_interval, nps_interval, wilson
from ascolto.surveys.models import Invitation, Response
from ascolto.surveys.results import Filters, survey_results
from tests import personas
from tests.surveys.helpers import invite, make_survey, respond

pytestmark = pytest.mark.django_db
ROME = ZoneInfo("Europe/Rome")


@pytest.fixture(autouse=True)
def _may() -> Iterator[None]:
    with time_machine.travel(datetime(2026, 5, 4, 10, 0, tzinfo=ROME), tick=False):
        yield


MARCH = Period.month(2026, 3)
# 20 answers: stars 5×4, 4×8, 3×4, 2×2, 1×2; NPS 10×4, 9×4, 8×3, 7×3, 6×2, 3×2, 0×2.
STARS = [5] * 4 + [4] * 8 + [3] * 4 + [2] * 2 + [1] * 2
NPS = [10] * 4 + [9] * 4 + [8] * 3 + [7] * 3 + [6] * 2 + [3] * 2 + [0] * 2


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=ROME)


def results_of(survey, period=MARCH, filters=None):  # type: ignore[no-untyped-def]
    return survey_results(survey, period.start, period.end, period.since, period.until, filters)


def test_wilson_interval_matches_the_published_value_for_12_of_20() -> None:
    share = wilson(12, 20).rounded(2)
    assert (share.value, share.low, share.high) == (60.0, 38.66, 78.12)


def test_wilson_interval_stays_inside_0_and_100_at_the_edges() -> None:
    none, every = wilson(0, 10), wilson(10, 10)
    assert none.low == 0.0 and round(none.high or 0, 1) == 27.8
    assert every.high == 100.0 and round(every.low or 0, 1) == 72.2


def test_nps_interval_is_the_variance_of_the_promoter_detractor_difference() -> None:
    # p = 0.4, d = 0.3: NPS 10, variance (0.4 + 0.3 − 0.01) / 20 = 0.0345, half 36.4
    nps = nps_interval(8, 6, 20).rounded()
    assert (nps.value, nps.low, nps.high) == (10.0, -26.4, 46.4)
    assert nps_interval(10, 0, 10).high == 100.0


def test_mean_interval_uses_the_sample_standard_deviation() -> None:
    # mean 3.5, s² = (274 − 20·3.5²)/19 = 29/19, half = 1.96·√(29/19/20) = 0.5415
    mean = mean_interval(70, 274, 20).rounded(2)
    assert (mean.value, mean.low, mean.high) == (3.5, 2.96, 4.04)
    assert mean_interval(4, 16, 1).low is None


def test_headline_figures_of_a_month_with_their_intervals(cast: personas.Cast) -> None:
    survey = make_survey()
    for i, (stars, nps) in enumerate(zip(STARS, NPS, strict=True)):
        respond(survey, at(1 + i), csat=stars, nps=nps, channel_kind="web")
    for i in range(40):
        invite(survey, at(1 + i % 28), answered=i < 20, channel_kind="web")
    respond(survey, datetime(2026, 2, 27, tzinfo=ROME), csat=1, nps=0)  # not in March
    found = results_of(survey)
    assert found.scores.responses == 20
    csat = found.scores.csat.rounded()
    assert (csat.value, csat.low, csat.high, csat.n) == (60.0, 38.7, 78.1, 20)
    nps = found.scores.nps.rounded()
    assert (nps.value, nps.low, nps.high) == (10.0, -26.4, 46.4)
    mean = found.scores.csat_mean.rounded(2)
    assert (mean.value, mean.low, mean.high) == (3.5, 2.96, 4.04)
    # 20 of 40 invitations answered: 50 %, Wilson 35.2–64.8
    assert (found.rate.value, found.rate.low, found.rate.high) == (50.0, 35.2, 64.8)
    figures = {f.label: f for f in found.board.figures}
    assert figures["Tasso di risposta"].value == 50.0
    assert figures["NPS"].note == "95%: -26,4–46,4, 20 risposte"


def test_link_and_imported_answers_count_as_responses_but_not_in_the_rate(
    cast: personas.Cast,
) -> None:
    survey = make_survey()
    for i in range(4):
        invite(survey, at(2 + i), answered=i < 1)
    respond(survey, at(3), csat=5)
    respond(survey, at(3), csat=4, via=Invitation.Via.LINK)
    respond(survey, at(3), csat=2, source=Response.Source.IMPORT, via="")
    found = results_of(survey)
    assert found.scores.responses == 3
    assert found.rate.value == 25.0  # 1 of 4 invitations, whatever the other answers
    responses = {f.label: f for f in found.board.figures}["Risposte"]
    assert responses.note == "2 senza invito (link o importate)"


def test_splits_by_channel_hide_the_figures_of_small_cells(cast: personas.Cast) -> None:
    survey = make_survey()
    for i in range(12):
        respond(survey, at(1 + i), csat=5 if i < 9 else 2, nps=10, channel_kind="web")
        invite(survey, at(1 + i), answered=True, channel_kind="web")
        invite(survey, at(1 + i), channel_kind="web")
    for i in range(3):
        respond(survey, at(5 + i), csat=1, nps=0, channel_kind="phone")
        invite(survey, at(5 + i), answered=True, channel_kind="phone")
    table = results_of(survey).board.table("channel")
    rows = {row[0]: row for row in table.rows}
    web = rows["Modulo web (Scrivi)"]
    assert web[1:5] == [24, 12, 50.0, 75.0]  # invitations, responses, rate, CSAT 9/12
    assert web[8] == 100.0  # NPS: all promoters
    assert web[-1] == ""
    phone = rows["Telefono"]
    assert phone[1:3] == [3, 3]  # counts are kept
    assert phone[3:11] == [None] * 8  # no share, mean, NPS or interval under 10 answers
    assert "meno di 10 risposte" in phone[-1]
    assert table.rows[0][0] == "Modulo web (Scrivi)"  # most answers first


def test_splits_by_office_theme_and_service_and_the_filters(cast: personas.Cast) -> None:
    from ascolto.surveys.models import Service
    from ascolto.tickets.models import Theme

    service = Service.objects.create(code="certificati-anagrafici", name="Certificati anagrafici")
    theme = Theme.objects.filter(level=Theme.Level.THEME).first()
    survey = make_survey()
    for i in range(10):
        respond(survey, at(1 + i), csat=4, office=cast.tari, theme=theme, service=service)
        respond(survey, at(1 + i), csat=1, office=cast.anagrafe, channel_kind="email")
    board = results_of(survey).board
    offices = {row[0]: row for row in board.table("office").rows}
    assert offices["Ufficio TARI"][4] == 100.0 and offices["Anagrafe"][4] == 0.0
    themes = {row[0]: row[2] for row in board.table("theme").rows}
    assert themes == {theme.name: 10, "Non indicato": 10}
    services = {row[0]: row[2] for row in board.table("service").rows}
    assert services == {"Certificati anagrafici": 10, "Non indicato": 10}
    # The office filter takes the office and the offices below it.
    below = results_of(survey, filters=Filters(office=cast.tributi))
    assert below.scores.responses == 10 and below.scores.csat.value == 100.0
    by_channel = results_of(survey, filters=Filters(channel="email"))
    assert by_channel.scores.responses == 10 and by_channel.scores.csat.value == 0.0
    by_service = results_of(survey, filters=Filters(service=service))
    assert by_service.scores.responses == 10


def test_monthly_trend_has_every_month_of_the_period(cast: personas.Cast) -> None:
    survey = make_survey()
    for i in range(10):
        respond(survey, at(1 + i), csat=5, nps=9)
    respond(survey, datetime(2026, 1, 31, 23, 30, tzinfo=ROME), csat=1)  # Rome's January
    found = results_of(survey, Period(date(2026, 1, 1), date(2026, 4, 30)))
    table = found.board.table("month")
    assert [row[0] for row in table.rows] == [
        "Gennaio 2026",
        "Febbraio 2026",
        "Marzo 2026",
        "Aprile 2026",
    ]
    assert [row[2] for row in table.rows] == [1, 0, 10, 0]
    assert table.rows[2][4] == 100.0 and table.rows[2][8] == 100.0
    assert table.chart == "line"


def test_distribution_of_every_question(cast: personas.Cast) -> None:
    survey = make_survey()
    respond(survey, at(1), csat=5, nps=10, improve=["tempi", "sito"], ease=7)
    respond(survey, at(2), csat=4, nps=6, improve=["tempi"], ease=5)
    respond(survey, at(3), csat=4, improve=[], ease=6, text="Tutto bene")
    respond(survey, at(4), csat=1, nps=0, improve=["chiarezza"])
    board = results_of(survey).board
    stars = board.table("q-voto")
    assert [row[1] for row in stars.rows] == [1, 0, 0, 2, 1]
    assert stars.rows[3][2] == 50.0  # two of four gave 4 stars
    assert "Media 3,5" in stars.note
    improve = board.table("q-migliorare")
    assert improve.rows[0] == ["Tempi di attesa", 2, 66.7]  # of 3 who answered, not 4 rows
    assert [row[0] for row in improve.rows] == [
        "Tempi di attesa",
        "Chiarezza delle informazioni",
        "Facilità d'uso del sito",
    ]
    ease = board.table("q-facilita")
    assert [row[0] for row in ease.rows] == ["1", "2", "3", "4", "5", "6", "7"]
    assert "Media 6" in ease.note
    assert len(board.table("q-consiglio").rows) == 11
    with pytest.raises(KeyError):
        board.table("q-commento")  # free text is listed, not counted
    assert [row[2] for row in board.table("texts").rows] == ["Tutto bene"]


def test_one_grouped_query_counts_options_respondents_and_themes_as_by_hand(
    cast: personas.Cast,
) -> None:
    from ascolto.surveys.models import Answer
    from ascolto.tickets.models import Theme

    themes = list(Theme.objects.filter(level=Theme.Level.THEME).order_by("pk")[:2])
    survey = make_survey()
    respond(survey, at(1), csat=5, improve=["tempi", "sito"], text="Uno", channel_kind="web")
    respond(survey, at(2), csat=2, improve=["tempi"], text="Due", channel_kind="email")
    respond(survey, at(3), improve=["chiarezza"], ease=3, text="Tre", channel_kind="web")
    respond(survey, at(4), ease=5, channel_kind="web")  # no choice, no text
    respond(survey, datetime(2026, 2, 20, tzinfo=ROME), improve=["tempi"], text="Febbraio")
    Answer.objects.filter(value="Uno").update(theme=themes[0], theme_suggested=True)
    Answer.objects.filter(value="Tre").update(theme=themes[0])
    Answer.objects.filter(value="Due").update(theme=themes[1])
    board = results_of(survey).board
    # Three respondents chose four options: shares of the respondents, not of the options.
    assert board.table("q-migliorare").rows == [
        ["Tempi di attesa", 2, 66.7],
        ["Chiarezza delle informazioni", 1, 33.3],
        ["Facilità d'uso del sito", 1, 33.3],
    ]
    assert [row[1] for row in board.table("q-facilita").rows] == [0, 0, 1, 0, 1, 0, 0]
    assert board.table("text-themes").rows == [
        [themes[0].name, 2, 1],
        [themes[1].name, 1, 0],
    ]
    assert [row[2] for row in board.table("texts").rows] == ["Tre", "Due", "Uno"]
    web = results_of(survey, filters=Filters(channel="web")).board
    assert web.table("q-migliorare").rows[0] == ["Tempi di attesa", 1, 50.0]
    assert web.table("text-themes").rows == [[themes[0].name, 2, 1]]
    assert [row[2] for row in web.table("texts").rows] == ["Tre", "Uno"]


def test_pairs_roll_up_into_each_columns_split_and_the_total() -> None:
    from ascolto.surveys.grouping import rolled_up

    cells = {
        ("2026-03", "web"): {"n": 3, "sum": 10},
        ("2026-03", "phone"): {"n": 1, "sum": None},
        ("2026-04", "web"): {"n": 2, "sum": 4},
    }
    columns = ("month", "channel_kind")
    assert rolled_up(cells, columns, ("channel_kind",)) == {
        "web": {"n": 5, "sum": 14},
        "phone": {"n": 1, "sum": 0},
    }
    assert rolled_up(cells, columns, ("month",))["2026-03"] == {"n": 4, "sum": 10}
    assert rolled_up(cells, columns, ()) == {(): {"n": 6, "sum": 14}}
