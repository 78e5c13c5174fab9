"""Who may open the report pages, the period chooser, and every dashboard answering."""

from __future__ import annotations

import pytest
from django.test import Client

from ascolto.surveys.actions import rate_page
from ascolto.tickets.models import Campaign
from tests import personas
from tests.analytics.conftest import HandBuilt

pytestmark = pytest.mark.django_db

PAGES = [
    "/console/reports/",
    "/console/reports/themes/",
    "/console/reports/campaigns/",
    "/console/reports/social/",
    "/console/reports/chatbot/",
    "/console/reports/ratings/",
    "/console/reports/ivr/",
    "/console/reports/complaints/",
    "/console/reports/open-data/",
]


@pytest.mark.parametrize("who", ["operator", "office_operator", "anagrafe_operator"])
def test_case_handlers_get_403(client: Client, cast: personas.Cast, who: str) -> None:
    client.force_login(getattr(cast, who))
    for url in PAGES:
        assert client.get(url).status_code == 403, url
    assert client.get("/console/reports/?formato=csv").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, cast: personas.Cast) -> None:
    response = client.get("/console/reports/")
    assert response.status_code == 302 and "/console/accedi/" in response["Location"]


@pytest.mark.parametrize("who", ["analyst", "supervisor", "administrator"])
def test_analysts_supervisors_and_administrators_see_every_page(
    client: Client, hand_built: HandBuilt, cast: personas.Cast, who: str
) -> None:
    client.force_login(getattr(cast, who))
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.context["nav"] == "reports"


def test_the_report_page_shows_figures_tables_and_no_case(
    client: Client, hand_built: HandBuilt, cast: personas.Cast
) -> None:
    client.force_login(cast.analyst)
    p = hand_built.period
    page = client.get(
        f"/console/reports/?periodo=personalizzato&dal={p.start:%Y-%m-%d}&al={p.end:%Y-%m-%d}"
    ).content.decode()

    assert "81,8 %" in page  # answer rate
    assert '<th scope="col"' in page and '<th scope="row"' in page
    assert 'aria-current="page"' in page
    assert "chart.umd.min.js" in page
    for ticket in hand_built.web.values():
        assert ticket.code not in page
    assert "@example.org" not in page


def test_a_bad_period_says_why_next_to_the_field_and_keeps_the_input(
    client: Client, cast: personas.Cast
) -> None:
    client.force_login(cast.analyst)
    page = client.get(
        "/console/reports/?periodo=personalizzato&dal=2026-05-10&al=2026-05-01"
    ).content.decode()

    assert "La data di fine precede la data di inizio." in page
    assert 'value="2026-05-10"' in page and 'value="2026-05-01"' in page
    page = client.get("/console/reports/?periodo=mese&mese=maggio").content.decode()
    assert "nel formato AAAA-MM" in page and 'value="maggio"' in page


def test_a_month_is_a_period(client: Client, cast: personas.Cast) -> None:
    client.force_login(cast.analyst)
    response = client.get("/console/reports/?periodo=mese&mese=2026-02")
    assert response.context["board"].subtitle.endswith("01/02/2026–28/02/2026")


def test_campaign_dashboard(client: Client, hand_built: HandBuilt, cast: personas.Cast) -> None:
    from ascolto.tickets import actions

    campaign = Campaign.objects.create(
        code="tari-test",
        name="TARI di prova",
        starts_on=hand_built.period.start,
        ends_on=hand_built.period.end,
        task_force=cast.tari,
    )
    for ticket in hand_built.phone:
        actions.link_campaign(ticket, campaign, actor=cast.operator)
    client.force_login(cast.analyst)

    assert "TARI di prova" in client.get("/console/reports/campaigns/").content.decode()
    board = client.get("/console/reports/campaigns/tari-test/").context["board"]
    outcome = {row[0]: row[1] for row in board.table("outcome").rows}
    assert outcome["Risolti al primo livello"] == 5
    assert outcome["Risolti dalla task force"] == 1  # escalated to the TARI office
    assert outcome["Passati a un ufficio"] == 0
    assert client.get("/console/reports/campaigns/nope/").status_code == 404


def test_page_ratings_dashboard(client: Client, cast: personas.Cast) -> None:
    for score in (1, 2, 2, 1, 3):
        rate_page("/servizi/pass-sosta/", score, reason="not_clear")
    for score in (5, 4, 5, 5, 4, 5):
        rate_page("/servizi/cie/", score)
    client.force_login(cast.analyst)

    board = client.get("/console/reports/ratings/").context["board"]
    assert board.table("worst").rows[0] == ["/servizi/pass-sosta/", 1.8, 5]
    reasons = {row[0]: row[2] for row in board.table("reasons").rows}
    assert reasons == {"A volte le indicazioni non erano chiare": 5}


def test_public_complaints_page_needs_no_sign_in_and_shows_no_small_count(
    client: Client, hand_built: HandBuilt
) -> None:
    year = hand_built.web["B"].created_at.year
    page = client.get(f"/trasparenza/reclami/{year}/")

    assert page.status_code == 200
    text = page.content.decode()
    assert "Relazione annuale sui reclami" in text and "&lt; 5" in text
    assert hand_built.web["B"].code not in text and "@example.org" not in text
    pdf = client.get(f"/trasparenza/reclami/{year}/?formato=pdf")
    assert pdf.content.startswith(b"%PDF")
    assert client.get("/trasparenza/reclami/1990/").status_code == 404
