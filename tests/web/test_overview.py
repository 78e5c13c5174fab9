"""The supervisor's overview: open cases per team and office, SLA, oldest, today's intake."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from ascolto.tickets import actions
from ascolto.tickets.models import RoutingRule, SlaPolicy
from tests import factories
from tests.personas import Cast

OVERVIEW = "/console/overview/"


def test_only_supervisors_and_administrators(cast: Cast) -> None:
    for user, status in [
        (cast.supervisor, 200),
        (cast.administrator, 200),
        (cast.operator, 403),
        (cast.office_operator, 403),
        (cast.analyst, 403),
    ]:
        client = Client()
        client.force_login(user)
        assert client.get(OVERVIEW).status_code == status, user
    assert Client().get(OVERVIEW).status_code == 302


def test_figures(cast: Cast, django_assert_max_num_queries: object) -> None:
    policy = SlaPolicy.objects.create(code="d1", name="Un giorno", resolution_days=1)
    RoutingRule.objects.create(name="tutto", sla_policy=policy, team=cast.cc_team, priority=1)
    now = timezone.now()
    old = factories.open_case("Vecchio.", email="o@example.it", sent_at=now - timedelta(days=5))
    fresh = factories.open_case("Nuovo.", email="n@example.it")
    tari = factories.open_case("TARI.", email="t@example.it")
    actions.escalate_ticket(tari, cast.tari, actor=cast.operator, team=cast.tari_team)
    factories.ticket_in("closed", actor=cast.operator, office=None, email="x@example.it")
    client = Client()
    client.force_login(cast.supervisor)
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        response = client.get(OVERVIEW)
    data = response.context["data"]
    assert data.open_total == 3
    assert data.breached == 1 and data.due_soon == 2
    teams = {row["team__name"]: row["n"] for row in data.per_team}
    assert teams == {"020202": 2, "Back office TARI": 1}
    offices = {row["office__name"]: row["n"] for row in data.per_office}
    assert offices["Ufficio TARI"] == 1
    assert [t.code for t in data.oldest][0] == old.code
    assert fresh.code in {t.code for t in data.oldest}
    # Today's intake: the closed case was opened today too; the old one was not.
    assert data.intake_total == 3
    assert "Supervisione" in response.content.decode()
