"""The endpoints driven by an Open311 client from PyPI (`georeport`, not written here) over real
HTTP (the live server), in both its formats. That client reads only: the request it reads is
POSTed with the form encoding the spec prescribes, as a reporting app sends it."""

from __future__ import annotations

import pytest
import requests
from georeport import GeoReport

from ascolto.channels import queue
from tests.open311.conftest import Open311
from tests.open311.test_open311_conformance import report


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_pypi_client_reads_services_definitions_and_requests(
    transactional_db: None, open311: Open311, live_server: object, fmt: str
) -> None:
    base = f"{live_server.url}/open311/v2"  # type: ignore[attr-defined]
    client = GeoReport(base, jurisdiction="comune.milano.it", output_format=fmt)

    services = client.get_service_list()
    codes = [s["service_code"] for s in services]
    assert codes == ["rifiuti-ingombranti", "verde-pubblico"]

    definition = client.get_service_definition("verde-pubblico")
    attributes = definition["attributes"]
    if fmt == "xml":  # xmltodict: the list of <attribute> under <attributes>
        attributes = attributes["attribute"]
    assert [a["code"] for a in attributes] == ["TIPO", "NOTE_ACCESSO"]

    posted = requests.post(f"{base}/requests.{fmt}", data=report(open311), timeout=10)
    assert posted.status_code == 200
    queue.drain()  # the scheduled drain, were the live server's task not to run it first

    listed = client.get_service_requests(service_code="verde-pubblico", status="open")
    if isinstance(listed, dict):  # xmltodict gives one <request> as a mapping
        listed = [listed]
    assert len(listed) == 1
    request_id = listed[0]["service_request_id"]
    one = client.get_service_request(request_id)
    assert one["status"] == "open"
    assert one["service_code"] == "verde-pubblico"
    assert "maria" not in str(one).lower()
