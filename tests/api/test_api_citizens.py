"""Citizens through the API: each read and search is one record of the access log, naming the
token's system as the reader, like the console's pages."""

from __future__ import annotations

import pytest
from django.test import Client

from ascolto.audit.models import AccessRecord
from tests.api.conftest import Api, World

pytestmark = pytest.mark.django_db


def test_reading_a_citizen_is_recorded_with_the_system_as_reader(portal: Api, world: World) -> None:
    response = portal.get(f"/citizens/{world.maria.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == "maria.rossi@example.it"
    assert {"kind": "email", "value": "maria.rossi@example.it"} in body["identities"]
    record = AccessRecord.objects.get(purpose="api", kind="citizen")
    assert record.citizen_ids == [world.maria.pk]
    assert record.user_id is None
    assert record.username == f"api:Portale ({portal.token.prefix})"


def test_a_search_is_recorded_with_every_citizen_it_showed(portal: Api, world: World) -> None:
    found = portal.get("/citizens", {"q": "Rossi"}).json()
    assert found["key"] == "name"
    assert [c["id"] for c in found["items"]] == [world.maria.pk]
    assert found["items"][0]["cases"] == 1
    record = AccessRecord.objects.get(purpose="api", kind="citizen")
    assert record.citizen_ids == [world.maria.pk]
    assert "name" in record.shown


def test_case_reads_are_recorded_too(portal: Api, world: World) -> None:
    portal.get(f"/cases/{world.tari.code}")
    portal.get("/cases")
    records = AccessRecord.objects.filter(purpose="api", kind="ticket").order_by("at", "pk")
    assert records[0].object_ids == [world.tari.code]
    assert set(records[1].citizen_ids) == {world.maria.pk, world.luca.pk}


def test_a_staff_session_is_recorded_as_the_member_of_staff(world: World) -> None:
    client = Client()
    client.force_login(world.cast.operator)
    assert client.get(f"/api/v1/citizens/{world.luca.pk}").status_code == 200
    record = AccessRecord.objects.get(purpose="api", kind="citizen")
    assert record.user_id == world.cast.operator.pk
