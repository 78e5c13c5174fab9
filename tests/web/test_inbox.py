"""The unified inbox: scope, filters, counts, paging, saved views and bulk changes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ascolto.channels.actions import receive
from ascolto.organisation.models import User
from ascolto.tickets import actions
from ascolto.tickets.models import Campaign, RoutingRule, SlaPolicy, Tag, Theme, Ticket
from ascolto.web.models import SavedView
from tests import factories
from tests.personas import Cast

INBOX = "/console/inbox/"


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def codes_in(response: Any) -> set[str]:
    return {row["ticket"].code for row in response.context["rows"]}


@pytest.fixture
def cases(cast: Cast) -> dict[str, Ticket]:
    """A small city's inbox: cases on three channels, one escalated to each office, one closed."""
    tari_theme = Theme.objects.get(code="tari-dichiarazione")
    web = factories.submit_scrivi(
        "Non riesco a presentare la dichiarazione TARI per il nuovo appartamento.",
        theme="tari-dichiarazione",
        kind="information",
    )
    phone = receive(
        factories.phone_message("Chiede gli orari dell'anagrafe.", number="+393331234567")
    )
    mail = factories.open_case("Il buono spesa non è arrivato.", email="luca@example.it")
    tari = factories.open_case("Avviso TARI con importo sbagliato.", email="anna@example.it")
    tari = actions.escalate_ticket(tari, cast.tari, actor=cast.operator)
    anagrafe = factories.open_case("Certificato di residenza urgente.", email="sara@example.it")
    anagrafe = actions.escalate_ticket(anagrafe, cast.anagrafe, actor=cast.operator)
    closed = factories.ticket_in(
        "closed", actor=cast.operator, office=None, email="chiuso@example.it"
    )
    assert web.ticket_id and phone.ticket_id
    result = {
        "web": Ticket.objects.get(pk=web.ticket_id),
        "phone": Ticket.objects.get(pk=phone.ticket_id),
        "mail": mail,
        "tari": tari,
        "anagrafe": anagrafe,
        "closed": closed,
    }
    assert result["web"].theme == tari_theme
    return result


def test_sign_in_and_role_are_required(cast: Cast) -> None:
    assert Client().get(INBOX).status_code == 302
    assert client_for(cast.analyst).get(INBOX).status_code == 403


def test_default_view_lists_active_cases_of_every_channel(
    cast: Cast, cases: dict[str, Ticket]
) -> None:
    response = client_for(cast.operator).get(INBOX)
    assert response.status_code == 200
    shown = codes_in(response)
    assert shown == {cases[k].code for k in ("web", "phone", "mail", "tari", "anagrafe")}
    assert cases["closed"].code not in response.content.decode()
    assert f"/console/cases/{cases['web'].code}/" in response.content.decode()
    counts = response.context["counts"]
    assert counts.total == 5
    assert counts.status == {"new": 3, "office": 2}
    assert sum(counts.channel.values()) == 5


def test_office_operator_sees_only_the_office_subtree(cast: Cast, cases: dict[str, Ticket]) -> None:
    client = client_for(cast.office_operator)
    assert codes_in(client.get(INBOX)) == {cases["tari"].code}
    # Asking for another office's cases finds nothing: the scope is applied first.
    response = client.get(INBOX, {"office": cast.anagrafe.pk, "status": "all"})
    assert codes_in(response) == {cases["tari"].code}
    assert "office" in response.context["form"].errors
    # A search for the other office's tracking code finds nothing either.
    assert codes_in(client.get(INBOX, {"q": cases["anagrafe"].code})) == set()
    # A Direzione Tributi operator sees the TARI office below it.
    tributi = User.objects.create_user(
        "dir", password=None, role=User.Role.OFFICE, office=cast.tributi
    )
    assert codes_in(client_for(tributi).get(INBOX)) == {cases["tari"].code}


def test_filters(cast: Cast, cases: dict[str, Ticket]) -> None:
    client = client_for(cast.operator)
    assert codes_in(client.get(INBOX, {"channel": cast.phone.pk})) == {cases["phone"].code}
    # A theme includes its subtree: the area Tributi finds the TARI topic's case.
    tributi = Theme.objects.get(code="tributi")
    assert codes_in(client.get(INBOX, {"theme": tributi.pk})) == {cases["web"].code}
    assert codes_in(client.get(INBOX, {"office": cast.tributi.pk})) == {cases["tari"].code}
    assert codes_in(client.get(INBOX, {"status": "closed"})) == {cases["closed"].code}
    assert cases["closed"].code in codes_in(client.get(INBOX, {"status": "all"}))
    actions.assign_ticket(cases["mail"], actor=cast.operator, assignee=cast.operator)
    assert codes_in(client.get(INBOX, {"assignee": "me"})) == {cases["mail"].code}
    assert cases["mail"].code not in codes_in(client.get(INBOX, {"assignee": "none"}))
    tag = Tag.objects.create(name="Buoni spesa", slug="buoni-spesa")
    actions.tag_ticket(cases["mail"], actor=cast.operator, add=[tag])
    assert codes_in(client.get(INBOX, {"tag": tag.pk})) == {cases["mail"].code}
    campaign = Campaign.objects.create(
        code="tari-2026", name="TARI 2026", starts_on="2026-01-01", ends_on="2026-12-31"
    )
    actions.link_campaign(cases["tari"], campaign, actor=cast.operator)
    assert codes_in(client.get(INBOX, {"campaign": campaign.pk})) == {cases["tari"].code}
    assert codes_in(client.get(INBOX, {"kind": "complaint"})) == set()


def test_a_bad_filter_value_is_reported_and_the_others_still_apply(
    cast: Cast, cases: dict[str, Ticket]
) -> None:
    response = client_for(cast.operator).get(INBOX, {"channel": "999999", "kind": "nonsense"})
    assert response.status_code == 200
    form = response.context["form"]
    assert "channel" in form.errors and "kind" in form.errors
    assert len(codes_in(response)) == 5


def test_sla_states(cast: Cast) -> None:
    fast = SlaPolicy.objects.create(code="fast", name="Veloce", resolution_days=1)
    slow = SlaPolicy.objects.create(code="slow", name="Lenta", resolution_days=30)
    RoutingRule.objects.create(name="email", channel_kind="email", sla_policy=fast, priority=1)
    RoutingRule.objects.create(name="web", channel_kind="web", sla_policy=slow, priority=2)
    now = timezone.now()
    late = factories.open_case("In ritardo.", email="a@example.it", sent_at=now - timedelta(days=3))
    soon = factories.open_case("Quasi.", email="b@example.it", sent_at=now)
    calm = Ticket.objects.get(pk=factories.submit_scrivi("Con calma.").ticket_id)
    client = client_for(cast.operator)
    assert codes_in(client.get(INBOX, {"sla": "breached"})) == {late.code}
    assert codes_in(client.get(INBOX, {"sla": "due_soon"})) == {soon.code}
    assert codes_in(client.get(INBOX, {"sla": "on_time"})) == {calm.code}
    counts = client.get(INBOX).context["counts"]
    assert counts.sla == {"breached": 1, "due_soon": 1, "on_time": 1}
    # Sorting by due date puts the breached case first.
    response = client.get(INBOX, {"sort": "due"})
    assert [r["ticket"].code for r in response.context["rows"]] == [late.code, soon.code, calm.code]
    assert "scaduto" in response.content.decode()


def test_paging_and_sorting(cast: Cast) -> None:
    now = timezone.now()
    made = [
        factories.open_case(
            f"Richiesta numero {i}.", email=f"p{i}@example.it", sent_at=now - timedelta(minutes=i)
        )
        for i in range(27)
    ]
    client = client_for(cast.operator)
    first = client.get(INBOX)
    assert len(first.context["rows"]) == 25 and first.context["pages"] == 2
    assert first.context["rows"][0]["ticket"].code == made[0].code  # newest first
    second = client.get(INBOX, {"page": 2})
    assert {r["ticket"].code for r in second.context["rows"]} == {made[25].code, made[26].code}
    oldest = client.get(INBOX, {"sort": "oldest"})
    assert oldest.context["rows"][0]["ticket"].code == made[26].code
    # A page past the end shows the last page, not an error.
    assert client.get(INBOX, {"page": 99}).context["page"] == 2


def test_htmx_refresh_returns_only_the_results(cast: Cast, cases: dict[str, Ticket]) -> None:
    response = client_for(cast.operator).get(
        INBOX, {"channel": cast.phone.pk}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="inbox-results"
    )
    body = response.content.decode()
    assert "<html" not in body and cases["phone"].code in body
    assert cases["mail"].code not in body


def test_the_inbox_page_runs_a_bounded_number_of_queries(
    cast: Cast, cases: dict[str, Ticket], django_assert_max_num_queries: Any
) -> None:
    client = client_for(cast.operator)
    for i in range(10):
        factories.open_case(f"Altra richiesta {i}.", email=f"q{i}@example.it")
    with django_assert_max_num_queries(20):
        assert client.get(INBOX).status_code == 200


def test_saved_views(cast: Cast, cases: dict[str, Ticket]) -> None:
    client = client_for(cast.operator)
    query = f"channel={cast.phone.pk}&status=all"
    response = client.post(
        reverse("console:inbox-save-view"), {"name": "Telefonate", "query": query}
    )
    assert response.status_code == 302 and response["Location"].endswith(query)
    view = SavedView.objects.get(user=cast.operator, name="Telefonate")
    assert view.query == query
    page = client.get(INBOX).content.decode()
    assert "Telefonate" in page and "I miei casi" in page and "Scaduti nel mio ufficio" in page
    # Saving again under the same name replaces the filters.
    client.post(reverse("console:inbox-save-view"), {"name": "Telefonate", "query": "kind=x"})
    assert SavedView.objects.get(pk=view.pk).query == "kind=x"
    # An empty name is refused with a message.
    response = client.post(
        reverse("console:inbox-save-view"), {"name": " ", "query": "a=b"}, follow=True
    )
    assert "Vista non salvata" in response.content.decode()
    # Another operator cannot delete it.
    other = client_for(cast.supervisor)
    assert other.post(reverse("console:inbox-delete-view", args=[view.pk])).status_code == 404
    client.post(reverse("console:inbox-delete-view", args=[view.pk]))
    assert not SavedView.objects.filter(pk=view.pk).exists()


def test_builtin_view_breached_in_my_office(cast: Cast) -> None:
    response = client_for(cast.office_operator).get(INBOX)
    queries = [v["query"] for v in response.context["builtin_views"]]
    assert f"office={cast.tari.pk}" in queries[1] and "sla=breached" in queries[1]


def test_bulk_asks_for_confirmation_then_applies_and_reports_refusals(
    cast: Cast, cases: dict[str, Ticket]
) -> None:
    client = client_for(cast.operator)
    picked = [cases["web"], cases["mail"], cases["closed"]]
    data = {
        "tickets": [str(t.pk) for t in picked],
        "action": "assign",
        "assignee": str(cast.operator.pk),
        "back": "status=all",
    }
    confirm = client.post(reverse("console:inbox-bulk"), data)
    assert confirm.status_code == 200
    assert "Conferma e applica" in confirm.content.decode()
    assert not Ticket.objects.filter(assignee=cast.operator).exists()  # nothing changed yet
    done = client.post(reverse("console:inbox-bulk"), {**data, "confirm": "1"}, follow=True)
    text = done.content.decode()
    assert "2 aggiornati, 1 non possibili" in text
    assert cases["closed"].code in text and "Chiuso" in text
    assert set(Ticket.objects.filter(assignee=cast.operator).values_list("code", flat=True)) == {
        cases["web"].code,
        cases["mail"].code,
    }
    assert done.redirect_chain[-1][0].endswith("?status=all")


def test_bulk_form_errors_are_shown(cast: Cast, cases: dict[str, Ticket]) -> None:
    client = client_for(cast.operator)
    response = client.post(
        reverse("console:inbox-bulk"),
        {"tickets": [str(cases["web"].pk)], "action": "escalate", "confirm": "1"},
    )
    assert response.status_code == 400
    assert "Scegli l&#x27;ufficio a cui passare i casi." in response.content.decode()
    assert Ticket.objects.get(pk=cases["web"].pk).status == "new"
    nothing = client.post(reverse("console:inbox-bulk"), {"action": "tag"}, follow=True)
    assert "Seleziona almeno un caso." in nothing.content.decode()


def test_bulk_never_touches_a_case_outside_the_users_scope(
    cast: Cast, cases: dict[str, Ticket]
) -> None:
    tag = Tag.objects.create(name="Verificato", slug="verificato")
    client = client_for(cast.office_operator)
    response = client.post(
        reverse("console:inbox-bulk"),
        {
            "tickets": [str(cases["tari"].pk), str(cases["anagrafe"].pk)],
            "action": "tag",
            "tag": str(tag.pk),
            "confirm": "1",
        },
        follow=True,
    )
    text = response.content.decode()
    assert "1 aggiornati, 1 non possibili" in text
    assert cases["anagrafe"].code not in text
    assert list(tag.tickets.values_list("code", flat=True)) == [cases["tari"].code]


def test_bulk_escalate_and_campaign(cast: Cast, cases: dict[str, Ticket]) -> None:
    client = client_for(cast.operator)
    campaign = Campaign.objects.create(
        code="buoni", name="Buoni spesa", starts_on="2026-01-01", ends_on="2026-12-31"
    )
    ids = [str(cases["web"].pk), str(cases["phone"].pk)]
    client.post(
        reverse("console:inbox-bulk"),
        {"tickets": ids, "action": "escalate", "office": str(cast.tari.pk), "confirm": "1"},
    )
    client.post(
        reverse("console:inbox-bulk"),
        {"tickets": ids, "action": "campaign", "campaign": str(campaign.pk), "confirm": "1"},
    )
    for key in ("web", "phone"):
        ticket = factories.refresh(cases[key])
        assert ticket.status == "office" and ticket.office == cast.tari
        assert ticket.campaign == campaign
