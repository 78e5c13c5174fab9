"""Every refusal of Open311 in the spec's error format (an array of {code, description};
`<errors><error>` in XML) with the spec's status: 403 for the key, 404 for what is unknown,
400 for the rest; nothing is queued when a request is refused."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
from django.test import Client, override_settings

from ascolto.api.tokens import issue_token, revoke_token
from ascolto.channels.models import PendingInbound
from tests.open311.conftest import Open311
from tests.open311.test_open311_conformance import report


def refused(response: object, fmt: str, status: int) -> str:
    """The description of the one error in the body, after checking its shape."""
    assert response.status_code == status  # type: ignore[attr-defined]
    content: bytes = response.content  # type: ignore[attr-defined]
    if fmt == "xml":
        root = ElementTree.fromstring(content)  # noqa: S314 (our own output)
        assert root.tag == "errors"
        [error] = root.findall("error")
        assert {c.tag for c in error} == {"code", "description"}
        assert error.findtext("code") == str(status)
        return error.findtext("description") or ""
    [error_json] = response.json()  # type: ignore[attr-defined]
    assert set(error_json) == {"code", "description"}
    assert error_json["code"] == status
    return str(error_json["description"])


def post(client: Client, fmt: str, data: dict[str, str]) -> object:
    return client.post(f"/open311/v2/requests.{fmt}", data)


@pytest.fixture(params=["xml", "json"])
def fmt(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_a_missing_api_key_is_403(open311: Open311, client: Client, fmt: str) -> None:
    data = report(open311)
    del data["api_key"]
    assert refused(post(client, fmt, data), fmt, 403)
    assert not PendingInbound.objects.exists()


def test_an_unknown_or_revoked_key_is_403(open311: Open311, client: Client, fmt: str) -> None:
    assert refused(post(client, fmt, report(open311, api_key="asc_nope")), fmt, 403)
    revoke_token(open311.token)
    assert refused(post(client, fmt, report(open311)), fmt, 403)
    assert not PendingInbound.objects.exists()


def test_a_key_without_the_open311_scope_is_403(open311: Open311, client: Client, fmt: str) -> None:
    _, key = issue_token("Portale", ["cases:read"])
    assert "open311" in refused(post(client, fmt, report(open311, api_key=key)), fmt, 403)


def test_an_unknown_service_code_is_404(open311: Open311, client: Client, fmt: str) -> None:
    assert refused(post(client, fmt, report(open311, service_code="buche")), fmt, 404)
    assert refused(client.get(f"/open311/v2/services/buche.{fmt}"), fmt, 404)


def test_a_missing_service_code_is_400(open311: Open311, client: Client, fmt: str) -> None:
    data = report(open311)
    del data["service_code"]
    assert refused(post(client, fmt, data), fmt, 400)


def test_a_missing_required_attribute_is_400(open311: Open311, client: Client, fmt: str) -> None:
    data = report(open311)
    del data["attribute[TIPO]"]
    assert "Che cosa è danneggiato?" in refused(post(client, fmt, data), fmt, 400)
    assert not PendingInbound.objects.exists()


@pytest.mark.parametrize(
    "answers",
    [
        {"attribute[TIPO]": "lampione"},  # not among the values
        {"attribute[TIPO][]": ["albero", "panchina"]},  # two values for a single-value list
    ],
)
def test_wrong_attributes_are_400(
    open311: Open311, client: Client, answers: dict[str, object]
) -> None:
    data: dict[str, object] = dict(report(open311))
    data.update(answers)
    refused(client.post("/open311/v2/requests.json", data), "json", 400)


def test_answers_to_no_question_of_the_service_are_left_out(
    open311: Open311, client: Client
) -> None:
    # FixMyStreet adds its own (its report's id, title, link): accepted, not kept.
    data = report(open311, **{"attribute[fixmystreet_id]": "4242"})
    assert client.post("/open311/v2/requests.json", data).status_code == 200
    [row] = PendingInbound.objects.all()
    assert row.payload["raw"]["open311"]["attributes"] == {"TIPO": ["albero"]}
    assert "4242" not in row.payload["text"]


def test_a_multivalue_answer_is_sent_as_the_spec_writes_it(
    open311: Open311, client: Client
) -> None:
    questions = list(open311.green.open311_attributes)
    questions.append(
        {
            "code": "DANNI",
            "datatype": "multivaluelist",
            "description": "Danni",
            "values": [{"key": "rami", "name": "Rami"}, {"key": "radici", "name": "Radici"}],
        }
    )
    open311.green.open311_attributes = questions
    open311.green.save()
    data: dict[str, object] = dict(report(open311))
    data["attribute[DANNI][]"] = ["rami", "radici"]
    response = client.post("/open311/v2/requests.json", data)
    assert response.status_code == 200
    [row] = PendingInbound.objects.all()
    assert row.payload["raw"]["open311"]["attributes"]["DANNI"] == ["rami", "radici"]
    assert "Danni: Rami, Radici" in row.payload["text"]


@pytest.mark.parametrize(
    "where",
    [
        {"lat": "45.46", "long": ""},
        {"lat": "north", "long": "9.19"},
        {"lat": "91", "long": "9.19"},
        {"lat": "45.46", "long": "-181"},
        {"lat": "nan", "long": "9.19"},
    ],
)
def test_a_bad_position_is_400(open311: Open311, client: Client, where: dict[str, str]) -> None:
    refused(post(client, "json", report(open311, address_string="", **where)), "json", 400)
    assert not PendingInbound.objects.exists()


def test_a_request_without_any_location_is_400(open311: Open311, client: Client, fmt: str) -> None:
    assert refused(post(client, fmt, report(open311, lat="", long="", address_string="")), fmt, 400)


def test_an_address_alone_is_a_location(open311: Open311, client: Client) -> None:
    response = post(client, "json", report(open311, lat="", long="", address_id="MI-12345"))
    assert response.status_code == 200  # type: ignore[attr-defined]


def test_a_request_without_email_or_phone_is_400(open311: Open311, client: Client) -> None:
    refused(post(client, "json", report(open311, email="", phone="")), "json", 400)


def test_a_malformed_email_is_400(open311: Open311, client: Client) -> None:
    refused(post(client, "json", report(open311, email="not-an-address")), "json", 400)


def test_a_description_past_4000_characters_is_400(open311: Open311, client: Client) -> None:
    refused(post(client, "json", report(open311, description="x" * 4001)), "json", 400)


def test_a_media_url_must_be_http(open311: Open311, client: Client) -> None:
    refused(post(client, "json", report(open311, media_url="javascript:alert(1)")), "json", 400)


@override_settings(ASCOLTO_OPEN311_JURISDICTION="comune.milano.it")
def test_another_jurisdiction_is_404(open311: Open311, client: Client, fmt: str) -> None:
    assert refused(
        client.get(f"/open311/v2/services.{fmt}", {"jurisdiction_id": "comune.roma.it"}), fmt, 404
    )
    ours = client.get(f"/open311/v2/services.{fmt}", {"jurisdiction_id": "comune.milano.it"})
    assert ours.status_code == 200
    assert client.get(f"/open311/v2/services.{fmt}").status_code == 200  # one city: optional
    assert refused(post(client, fmt, report(open311, jurisdiction_id="comune.roma.it")), fmt, 404)


@pytest.mark.parametrize(
    "query",
    [
        {"start_date": "2026-01-01"},  # no time zone
        {"start_date": "yesterday"},
        {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},  # > 90 days
        {"start_date": "2026-02-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"},
        {"status": "pending"},
        {"service_request_id": "1,abc"},
    ],
)
def test_bad_filters_are_400(open311: Open311, client: Client, query: dict[str, str]) -> None:
    refused(client.get("/open311/v2/requests.json", query), "json", 400)


def test_updates_refuse_bad_dates_too(open311: Open311, client: Client) -> None:
    refused(client.get("/open311/v2/servicerequestupdates.xml", {"start_date": "ieri"}), "xml", 400)


def test_a_method_not_allowed_is_405(open311: Open311, client: Client) -> None:
    refused(client.post("/open311/v2/services.json"), "json", 405)


@override_settings(ASCOLTO_OPEN311_RATE_LIMIT="3/m")
def test_past_the_rate_limit_is_429_with_retry_after(
    open311: Open311, client: Client, fmt: str
) -> None:
    for _ in range(3):
        assert client.get(f"/open311/v2/services.{fmt}").status_code == 200
    response = client.get(f"/open311/v2/services.{fmt}")
    refused(response, fmt, 429)
    assert int(response["Retry-After"]) > 0  # type: ignore[index]


def test_a_token_past_its_own_rate_is_429(open311: Open311, client: Client) -> None:
    slow, key = issue_token("App lenta", ["open311"], rate_per_minute=1)
    assert post(client, "json", report(open311, api_key=key)).status_code == 200  # type: ignore[attr-defined]
    refused(post(client, "json", report(open311, api_key=key)), "json", 429)
    assert PendingInbound.objects.count() == 1
