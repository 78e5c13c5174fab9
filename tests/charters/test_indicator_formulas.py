"""Every indicator formula of the service charters against a hand-built March 2025 (Milan time):
cases with known opening, reply and resolution times, calls with known waits, survey answers
with known scores; the edges of the period and of "within N days", and the target met or not.

The nursery-school cases of March (theme `iscrizione-nidi` and its sub-themes), opened on
Monday 3 March at 10:00 unless said:
- A: replied after 2 days, resolved after 10 days (sub-theme `nidi-domanda`);
- B: replied after 8 days, resolved after 20 days;
- C: never replied, resolved after exactly 3 days without a message;
- D: a complaint, neither replied nor resolved;
- G: opened on 31 March at 23:30, resolved after 1 day;
not counted: E (cancelled), F (opened on 28 February), H (opened on 1 April at 00:30), and a
TARI case (another theme). So 5 cases: answered within 3 days A, G (C's resolution is not
*before* 3 days); within 4 days A, C, G; resolved within 15 days A, C, G; mean resolution
(10 + 20 + 3 + 1) / 4 = 8.5 days; complaints 1 of 5."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from ascolto.analytics.period import Period
from ascolto.charters import actions, indicators
from ascolto.charters.actions import CharterData, IndicatorData
from ascolto.charters.models import QualityIndicator, ServiceCharter
from ascolto.contactcenter.actions import record_call
from ascolto.core.errors import InvalidInput
from ascolto.surveys.models import Response, Service, Survey, SurveyVersion
from ascolto.tickets import actions as tickets
from ascolto.tickets.models import Ticket
from tests import factories, personas

pytestmark = pytest.mark.django_db

ROME = ZoneInfo("Europe/Rome")
MARCH = Period.month(2025, 3)
F = QualityIndicator.Formula


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=ROME)  # type: ignore[misc]


def _case(when: datetime, theme: str = "iscrizione-nidi", kind: str = "") -> Ticket:
    with time_machine.travel(when, tick=False):
        received = factories.submit_scrivi(
            f"Domanda del {when:%d/%m %H:%M}",
            email=f"genitore{when:%m%d%H%M}{theme}{kind}@example.org",
            theme=theme,
            kind=kind,
        )
    assert received.ticket_id is not None
    return Ticket.objects.get(pk=received.ticket_id)


def _reply(ticket: Ticket, when: datetime, actor: Any) -> None:
    with time_machine.travel(when, tick=False):
        tickets.reply_to_ticket(Ticket.objects.get(pk=ticket.pk), "Risposta.", actor=actor)


def _resolve(ticket: Ticket, when: datetime, actor: Any) -> None:
    with time_machine.travel(when, tick=False):
        tickets.resolve_ticket(Ticket.objects.get(pk=ticket.pk), "Risolto.", actor=actor)


@pytest.fixture
def march(cast: personas.Cast) -> None:
    op = cast.operator
    start = at(2025, 3, 3, 10)
    a = _case(start, "nidi-domanda")
    b = _case(start + timedelta(minutes=1))
    c = _case(start + timedelta(minutes=2))
    _case(start + timedelta(minutes=3), kind="complaint")  # D
    e = _case(start + timedelta(minutes=4))
    f = _case(at(2025, 2, 28, 23, 59))
    g = _case(at(2025, 3, 31, 23, 30))
    h = _case(at(2025, 4, 1, 0, 30))
    _case(start, "tari-dichiarazione")
    _reply(a, start + timedelta(days=2), op)
    _resolve(a, start + timedelta(days=10), op)
    _reply(b, start + timedelta(days=8, minutes=1), op)
    _resolve(b, start + timedelta(days=20, minutes=1), op)
    _resolve(c, start + timedelta(days=3, minutes=2), op)
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        tickets.cancel_ticket(Ticket.objects.get(pk=e.pk), actor=op, reason="Doppia.")
    _resolve(f, at(2025, 3, 1, 9), op)
    _resolve(g, at(2025, 4, 1, 23, 30), op)
    _resolve(h, at(2025, 4, 1, 8), op)


@pytest.fixture
def charter(cast: personas.Cast) -> ServiceCharter:
    service = Service.objects.create(code="nidi-infanzia", name="Nidi d'infanzia")
    return actions.save_charter(
        CharterData(
            title="Carta dei servizi dei nidi d'infanzia",
            slug="nidi",
            service=service,
            issued_on=date(2024, 9, 1),
            published=True,
        )
    )


def indicator(charter: ServiceCharter, formula: str, target: float = 50, **kw: Any) -> Any:
    direction = kw.pop("direction", QualityIndicator.Direction.AT_LEAST)
    return actions.save_indicator(
        charter,
        IndicatorData(
            name=formula, formula=formula, target=target, parameters=kw, direction=direction
        ),
    )


def value(charter: ServiceCharter, formula: str, target: float = 50, **kw: Any) -> Any:
    return indicators.measure(indicator(charter, formula, target, **kw), MARCH)


NIDI = {"theme": "iscrizione-nidi"}


def test_answered_within_counts_the_first_reply_or_the_resolution_strictly_before_n_days(
    march: None, charter: ServiceCharter
) -> None:
    three = value(charter, F.ANSWERED_WITHIN, days=3, **NIDI)
    assert (three.numerator, three.denominator, three.value) == (2, 5, 40.0)
    four = value(charter, F.ANSWERED_WITHIN, days=4, **NIDI)
    assert (four.numerator, four.denominator, four.value) == (3, 5, 60.0)
    # A's reply came after exactly 2 days: not within 2.
    assert value(charter, F.ANSWERED_WITHIN, days=2, **NIDI).value == 20.0


def test_resolved_within_and_the_kinds_filter(march: None, charter: ServiceCharter) -> None:
    found = value(charter, F.RESOLVED_WITHIN, days=15, **NIDI)
    assert (found.numerator, found.n, found.value) == (3, 5, 60.0)
    assert value(charter, F.RESOLVED_WITHIN, days=21, **NIDI).value == 80.0
    complaints = value(charter, F.RESOLVED_WITHIN, days=30, kinds=["complaint"], **NIDI)
    assert (complaints.n, complaints.value) == (1, 0.0)
    # Without a theme every counted case of March: the TARI case too.
    assert value(charter, F.RESOLVED_WITHIN, days=15).n == 6


def test_a_sub_theme_counts_only_its_own_cases(march: None, charter: ServiceCharter) -> None:
    found = value(charter, F.RESOLVED_WITHIN, days=15, theme="nidi-domanda")
    assert (found.numerator, found.n) == (1, 1)


def test_mean_resolution_time_in_days_over_the_resolved_cases(
    march: None, charter: ServiceCharter
) -> None:
    found = value(charter, F.MEAN_RESOLUTION, 10, direction="at_most", **NIDI)
    assert (found.n, found.value, found.met) == (4, 8.5, True)
    assert value(charter, F.MEAN_RESOLUTION, 8, direction="at_most", **NIDI).met is False


def test_complaint_share(march: None, charter: ServiceCharter) -> None:
    found = value(charter, F.COMPLAINT_SHARE, 20, direction="at_most", **NIDI)
    assert (found.numerator, found.n, found.value, found.met) == (1, 5, 20.0, True)


def test_the_target_met_at_its_value_and_missed_just_past_it(
    march: None, charter: ServiceCharter
) -> None:
    assert value(charter, F.ANSWERED_WITHIN, 40, days=3, **NIDI).met is True
    assert value(charter, F.ANSWERED_WITHIN, 40.1, days=3, **NIDI).met is False
    assert value(charter, F.ANSWERED_WITHIN, 40, days=3, direction="at_most", **NIDI).met


def test_nothing_to_measure_is_no_value_and_no_verdict(charter: ServiceCharter) -> None:
    found = value(charter, F.RESOLVED_WITHIN, days=15, **NIDI)
    assert (found.value, found.n, found.met) == (None, 0, None)


# --- Working days -------------------------------------------------------------------------


def test_working_days_skip_weekends_and_the_holidays() -> None:
    assert indicators.working_offset(date(2025, 3, 7), 2) == 4  # Friday → Tuesday
    assert indicators.working_offset(date(2025, 3, 6), 2) == 4  # Thursday → Monday
    # Friday 25 April 2025 is Liberation Day: Thursday 24 + 1 working day is Monday 28.
    assert indicators.working_offset(date(2025, 4, 24), 1) == 4


def test_within_n_working_days(cast: personas.Cast, charter: ServiceCharter) -> None:
    friday = _case(at(2025, 3, 7, 10))
    _resolve(friday, at(2025, 3, 11, 9, 59), cast.operator)  # Tuesday, before 10:00
    thursday = _case(at(2025, 3, 6, 10))
    _resolve(thursday, at(2025, 3, 10, 10, 1), cast.operator)  # Monday, after 10:00
    working = value(charter, F.RESOLVED_WITHIN, days=2, working_days=True, **NIDI)
    assert (working.numerator, working.n) == (1, 2)
    calendar = value(charter, F.RESOLVED_WITHIN, days=2, **NIDI)
    assert (calendar.numerator, calendar.n) == (0, 2)
    assert value(charter, F.RESOLVED_WITHIN, days=4, working_days=True, **NIDI).numerator == 2


# --- Calls --------------------------------------------------------------------------------


@pytest.fixture
def calls() -> None:
    for n, (queue, arrived, wait, abandoned) in enumerate(
        [
            ("generale", at(2025, 3, 1, 0, 0), 30, False),
            ("generale", at(2025, 3, 12, 11), 90, False),
            ("generale", at(2025, 3, 12, 12), 200, True),
            ("generale", at(2025, 3, 31, 23, 59, 59), 120, False),
            ("anagrafe", at(2025, 3, 12, 11), 60, False),
            ("generale", at(2025, 2, 28, 23, 59), 500, True),
            ("generale", at(2025, 4, 1, 0, 0), 500, True),
        ]
    ):
        record_call(
            external_id=f"call-{n}",
            queue=queue,
            arrived_at=arrived,
            wait_seconds=wait,
            talk_seconds=0 if abandoned else 240,
            abandoned=abandoned,
        )


def test_mean_queue_wait_of_the_answered_calls_on_the_line(
    calls: None, charter: ServiceCharter
) -> None:
    found = value(charter, F.QUEUE_WAIT, 60, direction="at_most", queues=["generale"])
    assert (found.numerator, found.n, found.value, found.met) == (240, 3, 80.0, False)
    both = value(charter, F.QUEUE_WAIT, 80, direction="at_most", queues=["generale", "anagrafe"])
    assert (both.n, both.value, both.met) == (4, 75.0, True)


def test_share_of_calls_answered_and_abandoned(calls: None, charter: ServiceCharter) -> None:
    answered = value(charter, F.CALLS_ANSWERED, 75, queues=["generale"])
    assert (answered.numerator, answered.n, answered.value, answered.met) == (3, 4, 75.0, True)
    abandoned = value(charter, F.CALLS_ABANDONED, 5, direction="at_most", queues=["generale"])
    assert (abandoned.numerator, abandoned.value, abandoned.met) == (1, 25.0, False)
    assert value(charter, F.CALLS_ANSWERED, 75).n == 5  # every queue


# --- Survey answers -----------------------------------------------------------------------


@pytest.fixture
def answers(charter: ServiceCharter) -> None:
    survey = Survey.objects.create(code="soddisfazione-nidi", title="Soddisfazione nidi")
    version = SurveyVersion.objects.create(survey=survey, number=1)
    other = Service.objects.create(code="ristorazione-scolastica", name="Ristorazione")
    rows = [
        (charter.service, at(2025, 3, 1, 0, 0), 5, 10),
        (charter.service, at(2025, 3, 10, 12), 4, 9),
        (charter.service, at(2025, 3, 20, 12), 2, 6),
        (charter.service, at(2025, 3, 31, 23, 59), 5, 8),
        (charter.service, at(2025, 3, 21, 12), None, None),  # skipped both questions
        (other, at(2025, 3, 10, 12), 1, 0),
        (charter.service, at(2025, 4, 1, 0, 0), 1, 0),
    ]
    for service, when, csat, nps in rows:
        Response.objects.create(
            survey=survey,
            version=version,
            source=Response.Source.WEB,
            service=service,
            csat=csat,
            nps=nps,
            submitted_at=when,
        )


def test_csat_satisfied_share_and_nps_of_the_charter_s_service(
    answers: None, charter: ServiceCharter
) -> None:
    csat = value(charter, F.CSAT, 4)
    assert (csat.numerator, csat.n, csat.value, csat.met) == (16, 4, 4.0, True)
    satisfied = value(charter, F.SATISFIED_SHARE, 80)
    assert (satisfied.numerator, satisfied.n, satisfied.value, satisfied.met) == (3, 4, 75.0, False)
    nps = value(charter, F.NPS, 20)
    assert (nps.numerator, nps.n, nps.value, nps.met) == (1, 4, 25.0, True)
    # Another service named in the parameters.
    other = value(charter, F.CSAT, 4, service="ristorazione-scolastica")
    assert (other.n, other.value) == (1, 1.0)
    assert value(charter, F.NPS, -100).met is True  # NPS targets may be negative


# --- The trend ----------------------------------------------------------------------------


def test_the_trend_is_the_last_complete_periods_oldest_first(
    march: None, charter: ServiceCharter
) -> None:
    monthly = indicator(charter, F.RESOLVED_WITHIN, days=15, **NIDI)
    points = indicators.trend(monthly, date(2025, 4, 15))
    assert [p.period for p in points][-2:] == [Period.month(2025, 2), MARCH]
    assert len(points) == 12 and points[-1].value == 60.0
    assert points[-2].n == 1  # F, opened on 28 February
    monthly.period = QualityIndicator.Frequency.QUARTER
    quarters = indicators.periods(monthly, date(2025, 4, 1))
    assert quarters[-1] == Period.quarter(2025, 1) and len(quarters) == 4
    monthly.period = QualityIndicator.Frequency.YEAR
    assert indicators.periods(monthly, date(2025, 4, 1)) == [
        Period.year(2022),
        Period.year(2023),
        Period.year(2024),
    ]


# --- Parameters ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("formula", "parameters", "says"),
    [
        ("sentiment", {}, "formula"),
        (F.RESOLVED_WITHIN, {}, "giorni"),
        (F.RESOLVED_WITHIN, {"days": 0}, "giorni"),
        (F.RESOLVED_WITHIN, {"days": "30"}, "giorni"),
        (F.RESOLVED_WITHIN, {"days": True}, "giorni"),
        (F.RESOLVED_WITHIN, {"days": 400}, "giorni"),
        (F.RESOLVED_WITHIN, {"days": 5, "working_days": "yes"}, "working_days"),
        (F.RESOLVED_WITHIN, {"days": 5, "queues": ["generale"]}, "queues"),
        (F.RESOLVED_WITHIN, {"days": 5, "theme": "nessuno"}, "nessuno"),
        (F.RESOLVED_WITHIN, {"days": 5, "kinds": ["praise"]}, "praise"),
        (F.RESOLVED_WITHIN, {"days": 5, "channels": "web"}, "elenco"),
        (F.QUEUE_WAIT, {"queues": "generale"}, "elenco"),
        (F.CSAT, {"service": "inesistente"}, "inesistente"),
        (F.COMPLAINT_SHARE, {"kinds": ["complaint"]}, "kinds"),
        (F.CSAT, ["service"], "JSON"),
    ],
)
def test_parameters_are_checked_per_formula(
    charter: ServiceCharter, formula: str, parameters: Any, says: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        actions.save_indicator(
            charter,
            IndicatorData(name="Impegno", formula=formula, target=10, parameters=parameters),
        )
    assert says in refused.value.message
    assert not QualityIndicator.objects.exists()


def test_parameters_are_normalised(charter: ServiceCharter) -> None:
    saved = indicator(
        charter, F.RESOLVED_WITHIN, days=5, channels=["web", "phone", "web"], kinds=["complaint"]
    )
    assert saved.parameters == {
        "channels": ["phone", "web"],
        "kinds": ["complaint"],
        "days": 5,
        "working_days": False,
    }


def test_a_negative_target_is_refused_except_for_nps(charter: ServiceCharter) -> None:
    with pytest.raises(InvalidInput):
        indicator(charter, F.CSAT, -1)
    assert indicator(charter, F.NPS, -10).target == -10
