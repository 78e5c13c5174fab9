"""A token limited to an office sees that office's subtree, like an office operator: the TARI
system never sees a case, citizen, message, file or survey answer of the Anagrafe."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ascolto.surveys.models import Response, Survey, SurveyVersion
from tests.api.conftest import Api, World, api_for

pytestmark = pytest.mark.django_db


def test_lists_hold_only_the_office_s_cases(tari_system: Api, portal: Api, world: World) -> None:
    listed = [c["code"] for c in tari_system.get("/cases").json()["items"]]
    assert listed == [world.tari.code]
    everything = {c["code"] for c in portal.get("/cases").json()["items"]}
    assert {world.tari.code, world.anagrafe.code} <= everything
    # A filter for the other office finds nothing, a search for its words neither.
    other = tari_system.get("/cases", {"office": world.cast.anagrafe.code}).json()["items"]
    assert other == []
    assert tari_system.get("/cases", {"q": "residenza storico"}).json()["items"] == []
    assert tari_system.get("/cases", {"q": world.anagrafe.code}).json()["items"] == []


@pytest.mark.parametrize(
    "path",
    [
        "/cases/{code}",
        "/cases/{code}/events",
        "/cases/{code}/messages",
        "/cases/{code}/messages/{message}/attachments/0",
    ],
)
def test_every_detail_of_another_office_s_case_is_not_found(
    path: str, tari_system: Api, portal: Api, world: World
) -> None:
    url = path.format(code=world.anagrafe.code, message=world.inbound.pk)
    assert portal.get(url).status_code == 200
    refused = tari_system.get(url)
    assert refused.status_code == 404
    assert "Bianchi" not in refused.content.decode()
    assert tari_system.get(path.format(code=world.tari.code, message=0).split("/messages/")[0])


@pytest.mark.parametrize("action", ["note", "reply", "resolve", "close", "cancel"])
def test_no_action_reaches_another_office_s_case(
    action: str, tari_system: Api, world: World
) -> None:
    body = {"text": "x", "resolution": "x", "reason": "x"}
    response = tari_system.post(f"/cases/{world.anagrafe.code}/{action}", body)
    assert response.status_code == 404
    assert world.anagrafe.status == type(world.anagrafe).objects.get(pk=world.anagrafe.pk).status


def test_citizens_of_another_office_are_not_found(tari_system: Api, world: World) -> None:
    assert tari_system.get(f"/citizens/{world.maria.pk}").status_code == 200
    assert tari_system.get(f"/citizens/{world.luca.pk}").status_code == 404
    found = tari_system.get("/citizens", {"q": "luca.bianchi@example.it"}).json()["items"]
    assert found == []
    by_code = tari_system.get("/citizens", {"q": world.anagrafe.code}).json()["items"]
    assert by_code == []
    mine = tari_system.get("/citizens", {"q": "maria.rossi@example.it"}).json()["items"]
    assert [c["id"] for c in mine] == [world.maria.pk]


def test_survey_answers_of_another_office_are_not_seen(
    tari_system: Api, portal: Api, world: World
) -> None:
    survey = Survey.objects.create(code="soddisfazione", title="Soddisfazione", anonymous=False)
    version = SurveyVersion.objects.create(survey=survey, number=1)
    tari = Response.objects.create(
        survey=survey,
        version=version,
        source="web",
        office=world.cast.tari,
        citizen=world.maria,
        ticket=world.tari,
        csat=4,
    )
    anagrafe = Response.objects.create(
        survey=survey,
        version=version,
        source="web",
        office=world.cast.anagrafe,
        citizen=world.luca,
        ticket=world.anagrafe,
        csat=2,
    )
    listed = [r["id"] for r in tari_system.get("/survey-answers").json()["items"]]
    assert listed == [tari.pk]
    assert tari_system.get(f"/survey-answers/{anagrafe.pk}").status_code == 404
    both = {r["id"] for r in portal.get("/survey-answers").json()["items"]}
    assert both == {tari.pk, anagrafe.pk}
    shown = portal.get(f"/survey-answers/{tari.pk}").json()
    assert shown["citizen_id"] == world.maria.pk and shown["case"] == world.tari.code


def test_an_anonymous_survey_s_answers_carry_no_identity(portal: Api, world: World) -> None:
    survey = Survey.objects.create(code="anonimo", title="Anonimo", anonymous=True)
    version = SurveyVersion.objects.create(survey=survey, number=1)
    response = Response.objects.create(
        survey=survey, version=version, source="web", office=world.cast.tari, csat=5
    )
    shown = portal.get(f"/survey-answers/{response.pk}").json()
    assert shown["citizen_id"] is None and shown["case"] is None


def test_a_token_of_a_direction_lists_the_cases_of_its_offices_too(world: World) -> None:
    # The list reads the subtree as its offices' ids (core.access.visible_listed): a parent
    # office's token sees its child office's case, with and without a time window.
    direction = api_for(office=world.cast.tributi)
    listed = [c["code"] for c in direction.get("/cases").json()["items"]]
    assert world.tari.code in listed and world.anagrafe.code not in listed
    since = (world.tari.updated_at - timedelta(minutes=1)).isoformat()
    changed = direction.get("/cases", {"updated_since": since}).json()["items"]
    assert [c["code"] for c in changed] == [world.tari.code]
