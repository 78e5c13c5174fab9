"""Open311 GeoReport v2 against the published spec: each response has the elements of the spec's
own examples (open311.org GeoReport_v2, "Example response" of each method), in XML (parsed) and
in JSON (the same fields), with codes as strings and times with their offset."""

from __future__ import annotations

import re
from typing import Any
from xml.etree import ElementTree

import pytest
from django.test import Client

from ascolto.channels import queue
from ascolto.tickets.models import TicketEvent
from tests.open311.conftest import Open311

# The element names of the spec's example responses, method by method.
SERVICE = {
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
}
DEFINITION = {"service_code", "attributes"}
ATTRIBUTE = {
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
    "values",
}
VALUE = {"key", "name"}
CREATED = {"service_notice", "account_id"}  # plus service_request_id or token, never both
TOKEN = {"service_request_id", "token"}
REQUEST = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}
W3C = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$")


def xml(response: Any) -> ElementTree.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ElementTree.fromstring(response.content)  # noqa: S314 (our own output)


def tags(element: ElementTree.Element) -> set[str]:
    return {child.tag for child in element}


def report(open311: Open311, **extra: str) -> dict[str, str]:
    """The spec's example request, in Milan, for the service with questions."""
    return {
        "api_key": open311.key,
        "service_code": "verde-pubblico",
        "lat": "45.46427",
        "long": "9.18951",
        "address_string": "Piazza del Duomo, Milano",
        "email": "maria.rossi@example.it",
        "device_id": "tt222111",
        "account_id": "123456",
        "first_name": "Maria",
        "last_name": "Rossi",
        "phone": "+393331234567",
        "description": "Un ramo è caduto sulla panchina.",
        "media_url": "https://foto.example.it/ramo.jpg",
        "attribute[TIPO]": "albero",
        **extra,
    }


def test_service_list_has_the_spec_fields(open311: Open311, client: Client) -> None:
    root = xml(client.get("/open311/v2/services.xml"))
    assert root.tag == "services"
    services = root.findall("service")
    assert [s.findtext("service_code") for s in services] == [
        "rifiuti-ingombranti",
        "verde-pubblico",
    ]
    for service in services:
        assert tags(service) == SERVICE
    green = services[1]
    assert green.findtext("metadata") == "true"
    assert green.findtext("type") in ("realtime", "batch", "blackbox")
    assert green.findtext("group") == "Verde pubblico e parchi"
    assert services[0].findtext("metadata") == "false"

    as_json = client.get("/open311/v2/services.json")
    assert as_json["Content-Type"] == "application/json; charset=utf-8"
    assert [set(s) for s in as_json.json()] == [SERVICE, SERVICE]
    assert as_json.json()[1]["metadata"] is True
    assert all(isinstance(s["service_code"], str) for s in as_json.json())


def test_a_theme_not_public_is_no_service(open311: Open311, client: Client) -> None:
    codes = [s["service_code"] for s in client.get("/open311/v2/services.json").json()]
    assert "tari-dichiarazione" not in codes
    assert client.get("/open311/v2/services/tari-dichiarazione.json").status_code == 404


def test_service_definition_has_the_spec_fields(open311: Open311, client: Client) -> None:
    root = xml(client.get("/open311/v2/services/verde-pubblico.xml"))
    assert root.tag == "service_definition"
    assert tags(root) == DEFINITION
    attributes = root.findall("attributes/attribute")
    assert [a.findtext("code") for a in attributes] == ["TIPO", "NOTE_ACCESSO"]
    for attribute in attributes:
        assert tags(attribute) == ATTRIBUTE
    values = attributes[0].findall("values/value")
    assert [(v.findtext("key"), v.findtext("name")) for v in values] == [
        ("albero", "Albero"),
        ("panchina", "Panchina"),
    ]
    assert all(tags(v) == VALUE for v in values)
    assert attributes[0].findtext("required") == "true"
    assert attributes[0].findtext("order") == "1"

    body = client.get("/open311/v2/services/verde-pubblico.json").json()
    assert set(body) == DEFINITION
    assert [set(a) for a in body["attributes"]] == [ATTRIBUTE, ATTRIBUTE]
    assert body["attributes"][0]["values"][0] == {"key": "albero", "name": "Albero"}
    assert body["attributes"][0]["required"] is True


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_a_request_is_accepted_and_its_token_leads_to_its_id(
    fmt: str, open311: Open311, client: Client
) -> None:
    response = client.post(f"/open311/v2/requests.{fmt}", report(open311))
    assert response.status_code == 200
    if fmt == "xml":
        [created] = xml(response).findall("request")
        assert tags(created) == CREATED | {"token"}
        token = created.findtext("token")
        assert created.findtext("account_id") == "123456"
    else:
        [created_json] = response.json()
        assert set(created_json) == CREATED | {"token"}
        token = created_json["token"]
    assert token

    waiting = client.get(f"/open311/v2/tokens/{token}.json").json()
    assert waiting == [{"service_request_id": None, "token": token}]

    queue.drain()
    if fmt == "xml":
        [found] = xml(client.get(f"/open311/v2/tokens/{token}.xml")).findall("request")
        assert tags(found) == TOKEN
        request_id = found.findtext("service_request_id")
    else:
        [found_json] = client.get(f"/open311/v2/tokens/{token}.json").json()
        assert set(found_json) == TOKEN
        request_id = found_json["service_request_id"]
    assert request_id and request_id.isdigit()

    root = xml(client.get(f"/open311/v2/requests/{request_id}.xml"))
    assert root.tag == "service_requests"
    [request] = root.findall("request")
    assert tags(request) == REQUEST
    assert request.findtext("status") == "open"
    assert request.findtext("service_code") == "verde-pubblico"
    assert request.findtext("lat") == "45.46427"
    assert request.findtext("address") == "Piazza del Duomo, Milano"
    assert request.findtext("media_url") == "https://foto.example.it/ramo.jpg"
    for name in ("requested_datetime", "updated_datetime"):
        assert W3C.match(request.findtext(name) or "")

    [as_json] = client.get(f"/open311/v2/requests/{request_id}.json").json()
    assert set(as_json) == REQUEST
    assert as_json["lat"] == 45.46427 and as_json["long"] == 9.18951
    assert as_json["service_request_id"] == request_id
    # The case's opening names the reporting app whose key sent it (issue 18).
    opened = TicketEvent.objects.get(ticket_id=int(request_id), kind="opened")
    assert opened.actor_id is None and opened.system == "App Segnalazioni"


def test_a_request_answers_with_its_id_when_its_case_already_exists(
    transactional_db: None, open311: Open311, client: Client
) -> None:
    # Committed for real: the drain (the immediate task backend) runs before the answer.
    response = client.post("/open311/v2/requests.json", report(open311))
    [created] = response.json()
    assert set(created) == CREATED | {"service_request_id"}
    assert (
        client.get(f"/open311/v2/requests/{created['service_request_id']}.json").status_code == 200
    )


def test_an_unknown_token_or_request_is_404(open311: Open311, client: Client) -> None:
    for url in (
        "/open311/v2/tokens/0123456789abcdef0123456789abcdef.json",
        "/open311/v2/tokens/nonsense.xml",
        "/open311/v2/requests/999999.json",
        "/open311/v2/requests/abc.xml",
        "/open311/v2/requests/99999999999999999999999999.json",  # past a bigint
    ):
        assert client.get(url).status_code == 404, url


def test_discovery_in_both_formats(open311: Open311, client: Client) -> None:
    root = xml(client.get("/open311/discovery.xml"))
    assert root.tag == "discovery"
    assert {"changeset", "contact", "key_service", "endpoints"} <= tags(root)
    [endpoint] = root.findall("endpoints/endpoint")
    assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint.findtext("url") == "http://testserver/open311/v2"
    assert [f.text for f in endpoint.findall("formats/format")] == [
        "text/xml",
        "application/json",
    ]
    body = client.get("/open311/discovery.json").json()
    assert body["endpoints"][0]["formats"] == ["text/xml", "application/json"]
    assert body["endpoints"][0]["type"] in ("production", "test")
