"""Where a new case goes, and by when it must be answered."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ascolto.contactcenter.numerics.calendar import OperatingCalendar
from ascolto.core.calendar import is_holiday, is_working_day
from ascolto.tickets.models import RoutingRule, SlaPolicy, Theme, Ticket
from ascolto.tickets.routing import route
from ascolto.tickets.sla import due_at, promised_due_at, sla_state
from tests import factories, personas

pytestmark = pytest.mark.django_db
ROME = ZoneInfo("Europe/Rome")


def _rome(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=ROME)  # type: ignore[misc]


def _theme(code: str) -> Theme:
    return Theme.objects.get(code=code)


def _case(theme: str = "", kind: str = "", sent_at: datetime | None = None) -> Ticket:
    received = factories.submit_scrivi("Richiesta", theme=theme, kind=kind, sent_at=sent_at)
    return Ticket.objects.get(pk=received.ticket_id)


def test_without_rules_a_case_stays_at_the_first_level_with_no_office(
    cast: personas.Cast,
) -> None:
    ticket = _case(theme="tari-dichiarazione")

    assert (ticket.level, ticket.office, ticket.team, ticket.sla_policy, ticket.due_at) == (
        1,
        None,
        None,
        None,
        None,
    )
    assert ticket.events.get(kind="opened").data["rule"] is None


def test_the_rule_with_the_lowest_priority_number_wins(cast: personas.Cast) -> None:
    RoutingRule.objects.create(name="Generica", priority=50, office=cast.contact_center)
    winner = RoutingRule.objects.create(
        name="TARI all'ufficio", priority=5, office=cast.tari, level=2
    )
    RoutingRule.objects.create(name="Anagrafe", priority=20, office=cast.anagrafe)

    ticket = _case()

    assert (ticket.office, ticket.level) == (cast.tari, 2)
    assert ticket.events.get(kind="opened").data["rule"] == winner.pk
    assert ticket.status == Ticket.Status.NEW


def test_an_inactive_rule_is_ignored(cast: personas.Cast) -> None:
    RoutingRule.objects.create(name="Vecchia", priority=1, office=cast.anagrafe, is_active=False)
    RoutingRule.objects.create(name="Attuale", priority=2, office=cast.contact_center)

    assert _case().office == cast.contact_center


def test_a_rule_on_an_area_matches_every_theme_and_topic_below_it(cast: personas.Cast) -> None:
    RoutingRule.objects.create(
        name="Tributi", priority=10, theme=_theme("tributi"), office=cast.tari, level=2
    )
    RoutingRule.objects.create(name="Resto", priority=90, office=cast.contact_center)

    assert route("web", _theme("tari-dichiarazione"), "information").office == cast.tari
    assert route("web", _theme("imu"), "information").office == cast.tari
    assert route("web", _theme("tributi"), "information").office == cast.tari
    assert route("web", _theme("cie-rinnovo"), "information").office == cast.contact_center
    assert route("web", None, "information").office == cast.contact_center
    assert _case(theme="tari-dichiarazione").office == cast.tari


def test_a_rule_on_a_topic_does_not_match_its_parent_theme(cast: personas.Cast) -> None:
    RoutingRule.objects.create(
        name="Rimborsi", priority=10, theme=_theme("tari-rimborso"), office=cast.tari
    )

    assert route("web", _theme("tari-rimborso"), "information").office == cast.tari
    assert route("web", _theme("tari"), "information").office is None
    assert route("web", _theme("tari-pagamento"), "information").office is None


def test_kind_and_channel_filters(cast: personas.Cast) -> None:
    RoutingRule.objects.create(
        name="Reclami all'URP", priority=10, kind="complaint", office=cast.anagrafe, level=2
    )
    RoutingRule.objects.create(
        name="Telefono al contact center",
        priority=20,
        channel_kind="phone",
        office=cast.contact_center,
    )

    assert route("web", None, "complaint").office == cast.anagrafe
    assert route("phone", None, "complaint").office == cast.anagrafe
    assert route("phone", None, "information").office == cast.contact_center
    assert route("web", None, "information").office is None
    complaint = _case(kind="complaint")
    assert (complaint.kind, complaint.office, complaint.level) == ("complaint", cast.anagrafe, 2)


def test_fields_a_rule_leaves_empty_are_filled_by_the_next_matching_rules(
    cast: personas.Cast,
) -> None:
    scrivi_sla = SlaPolicy.objects.create(code="scrivi", name="Scrivi", resolution_days=30)
    other_sla = SlaPolicy.objects.create(code="altro", name="Altro", resolution_days=5)
    office_rule = RoutingRule.objects.create(
        name="TARI", priority=10, theme=_theme("tari"), office=cast.tari, level=2
    )
    RoutingRule.objects.create(
        name="SLA Scrivi", priority=20, channel_kind="web", sla_policy=scrivi_sla
    )
    RoutingRule.objects.create(
        name="Team TARI", priority=30, team=cast.tari_team, office=cast.anagrafe, level=1
    )
    RoutingRule.objects.create(name="SLA di riserva", priority=40, sla_policy=other_sla)

    target = route("web", _theme("tari-pagamento"), "information")

    assert target.office == cast.tari  # the first rule that names an office
    assert target.level == 2  # comes with that office, not from the later rule
    assert target.sla_policy == scrivi_sla
    assert target.team == cast.tari_team
    assert target.rule == office_rule
    # On another channel the Scrivi SLA does not apply: the fallback does.
    assert route("phone", _theme("tari-pagamento"), "information").sla_policy == other_sla


def test_scrivi_is_answered_within_30_calendar_days(cast: personas.Cast) -> None:
    thirty = SlaPolicy.objects.create(code="scrivi", name="Scrivi", resolution_days=30)
    RoutingRule.objects.create(name="SLA Scrivi", channel_kind="web", sla_policy=thirty)
    sent = datetime(2025, 3, 10, 10, 0, tzinfo=ROME)  # the clocks go forward on 30 March

    ticket = _case(sent_at=sent)

    assert ticket.sla_policy == thirty
    assert ticket.created_at == sent
    assert ticket.due_at == datetime(2025, 4, 9, 10, 0, tzinfo=ROME)


def test_a_calendar_deadline_is_counted_on_the_citys_calendar() -> None:
    policy = SlaPolicy(code="scrivi", name="Scrivi", resolution_days=30)
    # Written at 23:30 in Milan on 10 March (22:30 UTC); the clocks go forward on 30 March. The
    # citizen must be told 9 April, at the same time of day, not 00:30 on 10 April.
    opened = datetime(2025, 3, 10, 22, 30, tzinfo=ZoneInfo("UTC"))
    assert opened.astimezone(ROME).hour == 23

    due = due_at(policy, opened)

    assert due.astimezone(ROME).date() == date(2025, 4, 9)
    assert due == datetime(2025, 4, 9, 23, 30, tzinfo=ROME)


@pytest.mark.parametrize(
    ("opened", "days", "due"),
    [
        # Thursday + 2 working days: Friday, then Monday.
        (_rome(2025, 3, 13, 9, 0), 2, _rome(2025, 3, 17, 9, 0)),
        # Friday 5 December 2025 + 1: Sat, Sun 7 (Sant'Ambrogio), Mon 8 (Immacolata) -> Tue 9.
        (_rome(2025, 12, 5, 11, 0), 1, _rome(2025, 12, 9, 11, 0)),
        # Friday 4 December 2026 + 1: Sat, Sun, Mon 7 (Sant'Ambrogio, a weekday), Tue 8 -> Wed 9.
        (_rome(2026, 12, 4, 11, 0), 1, _rome(2026, 12, 9, 11, 0)),
        # Thursday before Easter 2025 + 2: Good Friday is a working day, Easter Monday is not.
        (_rome(2025, 4, 17, 15, 0), 2, _rome(2025, 4, 22, 15, 0)),
        # Thursday 24 April 2025 + 1: Friday 25 April (Liberation) -> Monday 28.
        (_rome(2025, 4, 24, 8, 0), 1, _rome(2025, 4, 28, 8, 0)),
        # Wed 24 December 2025 + 3: Thu 25, Fri 26 and the weekend skipped -> Mon, Tue, Wed 31.
        (_rome(2025, 12, 24, 10, 0), 3, _rome(2025, 12, 31, 10, 0)),
    ],
)
def test_working_days_skip_weekends_and_italian_and_milanese_holidays(
    opened: datetime, days: int, due: datetime
) -> None:
    policy = SlaPolicy(
        code="lavorativi", name="Lavorativi", resolution_days=days, working_days=True
    )

    result = due_at(policy, opened)

    assert result == due
    assert result.astimezone(ROME).hour == opened.hour  # the same time of day, in Milan


def test_working_days_are_counted_on_the_citys_calendar_whatever_the_zone() -> None:
    policy = SlaPolicy(code="lavorativi", name="Lavorativi", resolution_days=1, working_days=True)
    # Half past midnight on Friday 5 December 2025 in Milan; still Thursday 4 in UTC, the zone
    # timezone.now() and most channels give. The next working day in Milan is Tuesday 9.
    opened = datetime(2025, 12, 4, 23, 30, tzinfo=ZoneInfo("UTC"))

    result = due_at(policy, opened)

    assert result == datetime(2025, 12, 9, 0, 30, tzinfo=ROME)


def test_working_days_through_the_real_intake(cast: personas.Cast) -> None:
    policy = SlaPolicy.objects.create(
        code="verifiche", name="Verifiche", resolution_days=5, working_days=True
    )
    RoutingRule.objects.create(name="Verifiche", kind="verification", sla_policy=policy)

    ticket = _case(kind="verification", sent_at=datetime(2025, 12, 4, 16, 0, tzinfo=ROME))

    # Fri 5, (Sat, Sun 7, Mon 8 skipped), Tue 9, Wed 10, Thu 11, Fri 12.
    assert ticket.due_at == datetime(2025, 12, 12, 16, 0, tzinfo=ROME)


def test_which_days_are_working_days() -> None:
    assert is_working_day(date(2026, 12, 7)) is False  # Sant'Ambrogio, a Monday
    assert is_working_day(date(2026, 12, 8)) is False  # Immacolata
    assert is_working_day(date(2026, 12, 9)) is True
    assert is_working_day(date(2025, 6, 2)) is False  # Festa della Repubblica
    assert is_working_day(date(2025, 8, 15)) is False  # Ferragosto
    assert is_working_day(date(2025, 8, 14)) is True
    assert is_working_day(date(2025, 3, 15)) is False  # a Saturday


def test_the_sla_and_the_contact_center_read_one_holiday_calendar() -> None:
    first, last = date(2025, 1, 1), date(2027, 12, 31)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]

    assert OperatingCalendar().holidays_between(first, last) == {d for d in days if is_holiday(d)}


def test_the_promised_due_date_is_a_booked_time_else_the_policys_else_none() -> None:
    policy = SlaPolicy(code="p", name="p", resolution_days=5, working_days=True)
    opened = _rome(2025, 12, 4, 16, 0)
    booked = _rome(2025, 12, 4, 17, 30)

    assert promised_due_at(policy, opened) == due_at(policy, opened) == _rome(2025, 12, 12, 16, 0)
    assert promised_due_at(policy, opened, booked=booked) == booked
    assert promised_due_at(None, opened) is None


def test_sla_states() -> None:
    now = datetime(2025, 3, 10, 12, 0, tzinfo=ROME)

    assert sla_state(None, now) == "none"
    assert sla_state(now - timedelta(minutes=1), now) == "breached"
    assert sla_state(now - timedelta(minutes=1), now, active=False) == "none"
    assert sla_state(now + timedelta(hours=47), now) == "due_soon"
    assert sla_state(now + timedelta(hours=49), now) == "on_time"
