"""The inbox as an agent desk, without a browser: the row's columns (citizen, SLA remaining and
its colour, last activity), the columns and density each operator keeps, the filter chips, the
'assign to me' key's endpoint, the live look for new and changed cases, and the scope of each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from ascolto.organisation.models import User
from ascolto.tickets import actions
from ascolto.tickets.models import RoutingRule, SlaPolicy, Ticket
from ascolto.web.models import InboxLayout
from tests import factories
from tests.personas import Cast

INBOX = "/console/inbox/"
LIVE = "/console/inbox/live/"
MORNING = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def html(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return str(response.content.decode())


def test_rows_show_citizen_sla_remaining_coloured_and_last_activity(cast: Cast) -> None:
    fast = SlaPolicy.objects.create(code="fast", name="Veloce", resolution_days=1)
    slow = SlaPolicy.objects.create(code="slow", name="Lenta", resolution_days=30)
    RoutingRule.objects.create(name="email", channel_kind="email", sla_policy=fast, priority=1)
    RoutingRule.objects.create(name="web", channel_kind="web", sla_policy=slow, priority=2)
    with time_machine.travel(MORNING, tick=False):
        late = factories.open_case(
            "In ritardo.", email="a@example.it", sent_at=MORNING - timedelta(days=3)
        )
        soon = factories.open_case("Quasi.", email="b@example.it", sent_at=MORNING)
        calm = Ticket.objects.get(
            pk=factories.submit_scrivi("Con calma.", first_name="Carla", last_name="Neri").ticket_id
        )
        page = html(client_for(cast.operator).get(INBOX))
    rows = {r["ticket"].code: r for r in client_for(cast.operator).get(INBOX).context["rows"]}
    assert rows[late.code]["sla"] == "breached"
    row_late = page[page.index(f'id="row-{late.pk}"') :]
    row_late = row_late[: row_late.index("</tr>")]
    assert 'class="sla-chip sla-breached">scaduto da' in row_late
    row_soon = page[page.index(f'id="row-{soon.pk}"') :]
    assert 'class="sla-chip sla-soon">' in row_soon[: row_soon.index("</tr>")]
    row_calm = page[page.index(f'id="row-{calm.pk}"') :]
    row_calm = row_calm[: row_calm.index("</tr>")]
    assert "sla-chip" not in row_calm and "Carla Neri" in row_calm
    assert "it-pencil" in row_calm  # the Scrivi form's icon, named for screen readers
    assert 'aria-label="Modulo web (Scrivi)"' in row_calm
    assert f'<time datetime="{timezone.localtime(calm.updated_at).isoformat()}' in row_calm


def test_the_page_works_without_javascript(cast: Cast) -> None:
    factories.open_case("Lampione spento.", email="c@example.it")
    page = html(client_for(cast.operator).get(INBOX, {"status": "all", "q": "lampione"}))
    # Skip link to the list; filters, views and columns are plain forms in <details>.
    assert 'href="#inbox-list"' in page and 'id="inbox-list"' in page
    assert '<form method="get" action="/console/inbox/" id="inbox-filters"' in page
    assert page.count('<details class="inbox-drop') == 4
    assert '<form method="post" action="/console/inbox/layout/"' in page
    # The filters in force are chips, each a link without that filter.
    assert "Stato: Tutti" in page and 'href="/console/inbox/?q=lampione"' in page
    assert "Cerca: lampione" in page and 'href="/console/inbox/?status=all"' in page
    # The shortcuts' button appears only with JavaScript.
    assert 'id="inbox-help-open" aria-haspopup="dialog" aria-keyshortcuts="?" hidden' in page


def test_columns_and_density_are_kept_per_operator(cast: Cast) -> None:
    factories.open_case("Richiesta.", email="d@example.it")
    client = client_for(cast.operator)
    response = client.post(
        "/console/inbox/layout/",
        {
            "columns": ["citizen", "status", "sla", "nonsense"],
            "position-citizen": "2",
            "was-citizen": "1",
            "position-status": "1",
            "was-status": "7",
            "position-sla": "3",
            "was-sla": "8",
            "density": "comfortable",
            "back": "status=all",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/console/inbox/?status=all"
    layout = InboxLayout.objects.get(user=cast.operator)
    assert (layout.columns, layout.density) == ("status,citizen,sla", "comfortable")
    context = client.get(INBOX).context
    assert [c["key"] for c in context["columns"]] == ["status", "citizen", "sla"]
    assert context["density"] == "comfortable"
    # Another operator keeps the defaults.
    other = client_for(cast.supervisor).get(INBOX).context
    assert [c["key"] for c in other["columns"]][:2] == ["citizen", "subject"]
    assert other["density"] == "compact"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"density": "compact"}, "Scegli almeno una colonna"),
        ({"columns": ["nonsense"], "density": "compact"}, "Scegli almeno una colonna"),
        ({"columns": ["status"], "density": "huge"}, "Densità non valida"),
    ],
)
def test_a_bad_layout_is_refused_with_a_reason(
    cast: Cast, data: dict[str, Any], error: str
) -> None:
    client = client_for(cast.operator)
    response = client.post("/console/inbox/layout/", data, follow=True)
    assert error in response.content.decode()
    assert not InboxLayout.objects.exists()


def test_take_assigns_to_me_within_my_scope_only(cast: Cast) -> None:
    mine = factories.open_case("Avviso TARI sbagliato.", email="e@example.it")
    mine = actions.escalate_ticket(mine, cast.tari, actor=cast.operator)
    elsewhere = factories.open_case("Residenza.", email="f@example.it")
    elsewhere = actions.escalate_ticket(elsewhere, cast.anagrafe, actor=cast.operator)
    client = client_for(cast.office_operator)
    # Without JavaScript: a redirect back to the list, with the outcome as a message.
    response = client.post("/console/inbox/take/", {"ticket": mine.pk, "back": "status=all"})
    assert response.status_code == 302
    assert Ticket.objects.get(pk=mine.pk).assignee_id == cast.office_operator.pk
    # A case outside the office's subtree does not exist for this operator.
    response = client.post("/console/inbox/take/", {"ticket": elsewhere.pk})
    assert response.status_code == 404
    assert Ticket.objects.get(pk=elsewhere.pk).assignee_id is None
    # From the keyboard (HTMX/fetch): the outcome as text; a refusal says why.
    done = client.post("/console/inbox/take/", {"ticket": mine.pk}, headers={"HX-Request": "true"})
    assert done.status_code == 200 and mine.code in done.content.decode()
    closed = factories.ticket_in("closed", actor=cast.operator, office=None, email="g@example.it")
    refused = client_for(cast.operator).post(
        "/console/inbox/take/", {"ticket": closed.pk}, headers={"HX-Request": "true"}
    )
    assert refused.status_code == 409 and "non assegnato" in refused.content.decode()


def test_live_announces_new_cases_and_swaps_changed_rows_in_scope(
    cast: Cast, django_assert_max_num_queries: Any
) -> None:
    with time_machine.travel(MORNING, tick=False):
        seen = factories.open_case("Già in lista.", email="h@example.it")
        seen = actions.escalate_ticket(seen, cast.tari, actor=cast.operator)
    loaded = MORNING + timedelta(minutes=1)
    params = {
        "loaded": str(loaded.timestamp()),
        "since": str(loaded.timestamp()),
        "ids": f"{seen.pk},junk",
    }
    with time_machine.travel(MORNING + timedelta(minutes=2), tick=False):
        quiet = html(client_for(cast.office_operator).get(LIVE, params))
        assert "nuov" not in quiet and "hx-swap-oob" not in quiet
        arrived = factories.open_case("Nuovo TARI.", email="i@example.it")
        actions.escalate_ticket(arrived, cast.tari, actor=cast.operator)
        other = factories.open_case("Nuovo anagrafe.", email="j@example.it")
        actions.escalate_ticket(other, cast.anagrafe, actor=cast.operator)
        actions.assign_ticket(seen, actor=cast.supervisor, assignee=cast.office_operator)
    office = client_for(cast.office_operator)
    with time_machine.travel(MORNING + timedelta(minutes=3), tick=False):
        # Session, user, the lists' fingerprint, the office subtree, new count, changed rows,
        # layout: a constant, whatever the number of cases.
        with django_assert_max_num_queries(8):
            page = html(office.get(LIVE, params))
    # The TARI office sees its one new case (not the registry office's), and the changed row.
    assert "1 nuovo caso" in page
    assert f'<tr id="row-{seen.pk}" data-pk="{seen.pk}" hx-swap-oob="outerHTML">' in page
    assert str(cast.office_operator) in page
    # The next look starts from now: the same row is not sent again.
    assert f"since={(MORNING + timedelta(minutes=3)).timestamp()}" in page
    # The contact center sees both new cases; filters apply to the count.
    everyone = html(client_for(cast.supervisor).get(LIVE, params))
    assert "2 nuovi casi" in everyone
    filtered = html(client_for(cast.supervisor).get(LIVE, {**params, "q": "anagrafe"}))
    assert "1 nuovo caso" in filtered
