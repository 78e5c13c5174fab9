"""What the city's portal embeds: the survey link of an online service (one anonymous
invitation per visit, rate limited) and the page rating called from the portal's origin (CORS
with its preflight, no cookies, the same rate limit, the portal's origin stored)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from ascolto.surveys.models import Invitation, PageRating, Survey
from ascolto.surveys.tokens import invitation_of
from tests.invitation_cases import open_survey, service

pytestmark = pytest.mark.django_db

PORTAL = "https://www.comune.example.it"
ONLINE = Survey.Trigger.ONLINE_SERVICE


@pytest.fixture
def certificates(settings: Any) -> Survey:
    settings.ASCOLTO_PORTAL_ORIGINS = (PORTAL,)
    return open_survey("certificati", ONLINE, service=service("certificati-anagrafe"))


def _token(response: Any) -> str:
    assert response.status_code == 302
    return str(response["Location"]).rstrip("/").rsplit("/", 1)[1]


def test_the_service_link_makes_one_anonymous_invitation_and_opens_it(
    certificates: Survey,
) -> None:
    browser = Client()
    first = browser.get("/scrivi/questionario/servizio/certificati-anagrafe/")
    invitation = invitation_of(_token(first))
    assert invitation.survey == certificates and invitation.via == Invitation.Via.WIDGET
    assert invitation.service is not None and invitation.service.code == "certificati-anagrafe"
    assert invitation.ticket is None and invitation.citizen is None
    assert browser.get(first["Location"]).status_code == 200  # the answering page

    again = browser.get("/scrivi/questionario/servizio/certificati-anagrafe/")  # a reload
    assert invitation_of(_token(again)) == invitation
    assert Invitation.objects.count() == 1

    Client().get("/scrivi/questionario/servizio/certificati-anagrafe/")  # another visitor
    assert Invitation.objects.count() == 2


def test_an_answered_invitation_is_not_reused_by_the_next_visit(certificates: Survey) -> None:
    browser = Client()
    invitation = invitation_of(
        _token(browser.get("/scrivi/questionario/servizio/certificati-anagrafe/"))
    )
    Invitation.objects.filter(pk=invitation.pk).update(answered_at=invitation.created_at)
    later = browser.get("/scrivi/questionario/servizio/certificati-anagrafe/")
    assert invitation_of(_token(later)) != invitation


def test_a_service_without_an_open_survey_says_so(certificates: Survey) -> None:
    response = Client().get("/scrivi/questionario/servizio/cambio-residenza/")
    assert response.status_code == 404
    assert "non c&#x27;è un questionario aperto" in response.content.decode()
    assert not Invitation.objects.exists()


def test_the_service_link_is_rate_limited_per_browser(certificates: Any, settings: Any) -> None:
    settings.ASCOLTO_SERVICE_SURVEY_BROWSER_RATE_LIMIT = "2/h"
    statuses = []
    for _visit in range(3):
        browser = Client()  # no invitation cookie, the same CSRF cookie: one browser
        browser.cookies["csrftoken"] = "b" * 32
        statuses.append(
            browser.get("/scrivi/questionario/servizio/certificati-anagrafe/").status_code
        )
    assert statuses == [302, 302, 429]
    assert Invitation.objects.count() == 2


def test_the_service_link_is_rate_limited_per_address(certificates: Any, settings: Any) -> None:
    settings.ASCOLTO_SERVICE_SURVEY_RATE_LIMIT = "2/h"
    statuses = [
        Client().get("/scrivi/questionario/servizio/certificati-anagrafe/").status_code
        for _visit in range(3)
    ]
    assert statuses == [302, 302, 429]


def _rate(client: Client, body: dict[str, Any], origin: str = PORTAL) -> Any:
    return client.post(
        "/scrivi/valutazione/portale/",
        data=json.dumps(body),
        content_type="application/json",
        headers={"Origin": origin},
    )


def test_the_portal_rating_answers_the_preflight_of_an_allowed_origin_only(
    certificates: Survey,
) -> None:
    client = Client()
    preflight = client.options(
        "/scrivi/valutazione/portale/",
        headers={
            "Origin": PORTAL,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == PORTAL
    assert "content-type" in preflight["Access-Control-Allow-Headers"].lower()
    assert "Access-Control-Allow-Credentials" not in preflight
    other = client.options(
        "/scrivi/valutazione/portale/", headers={"Origin": "https://evil.example"}
    )
    assert other.status_code == 403 and "Access-Control-Allow-Origin" not in other


def test_a_portal_rating_stores_the_portal_origin_and_the_page_path(
    certificates: Survey,
) -> None:
    client = Client()
    first = _rate(client, {"page": "/servizi/anagrafe?x=1", "score": 2})
    assert first.status_code == 200 and first["Access-Control-Allow-Origin"] == PORTAL
    assert not first.cookies
    answer = first.json()
    assert [value for value, _label in answer["reasons"]][0] == "not_clear"
    done = _rate(client, {"token": answer["token"], "reason": "lost", "comment": "Poco chiaro"})
    assert done.status_code == 200
    rating = PageRating.objects.get()
    assert (rating.origin, rating.page, rating.score, rating.reason, rating.comment) == (
        PORTAL,
        "/servizi/anagrafe",
        2,
        "lost",
        "Poco chiaro",
    )


def test_a_portal_rating_from_another_origin_is_refused(certificates: Survey) -> None:
    response = _rate(Client(), {"page": "/servizi/", "score": 5}, origin="https://evil.example")
    assert response.status_code == 403
    assert not PageRating.objects.exists()


def test_a_portal_token_does_not_complete_a_rating_from_another_allowed_origin(
    certificates: Survey, settings: Any
) -> None:
    settings.ASCOLTO_PORTAL_ORIGINS = (PORTAL, "https://scuole.comune.example.it")
    token = _rate(Client(), {"page": "/servizi/", "score": 5}).json()["token"]
    refused = _rate(
        Client(), {"token": token, "reason": "clear"}, origin="https://scuole.comune.example.it"
    )
    assert refused.status_code == 400
    assert PageRating.objects.get().reason == ""


def test_portal_ratings_share_the_rate_limit_of_the_page_rating(
    certificates: Survey, settings: Any
) -> None:
    settings.ASCOLTO_RATING_RATE_LIMIT = "2/h"
    statuses = [_rate(Client(), {"page": "/servizi/", "score": 4}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert PageRating.objects.count() == 2


def test_the_portal_scripts_may_be_loaded_by_another_site(client: Client) -> None:
    for name in ("rating.js", "service.js"):
        response = client.get(f"/static/web/portal/{name}")
        assert response.status_code == 200
        assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert client.get("/static/web/scrivi.js")["Cross-Origin-Resource-Policy"] == "same-origin"
