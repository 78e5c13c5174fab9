"""The supervisor's page to import call records: supervisors and administrators only; it
reports what was imported, or every bad row and that nothing was."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from ascolto.contactcenter.models import CallRecord
from tests import personas

URL = "/console/contactcenter/calls/import/"
CSV = (
    "call_id,queue,arrived_at,ended_at,wait_seconds,talk_seconds,abandoned,caller\n"
    "P-1,tributi,2026-03-02 09:00:00,2026-03-02 09:05:00,30,270,0,+393331234567\n"
    "P-2,tributi,2026-03-02 09:10:00,2026-03-02 09:11:00,60,0,1,\n"
)


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def upload(client: Client, text: str, name: str = "chiamate.csv", **extra: str) -> Any:
    return client.post(URL, {"file": SimpleUploadedFile(name, text.encode(), "text/csv"), **extra})


@pytest.mark.parametrize("who", ["operator", "office_operator", "analyst"])
def test_only_supervisors_and_administrators_may_import(cast: personas.Cast, who: str) -> None:
    client = signed_in(getattr(cast, who))

    assert client.get(URL).status_code == 403
    assert upload(client, CSV).status_code == 403
    assert not CallRecord.objects.exists()


def test_a_visitor_is_sent_to_sign_in(cast: personas.Cast) -> None:
    response = Client().get(URL)

    assert response.status_code == 302 and "/console/" in response["Location"]


@pytest.mark.parametrize("who", ["supervisor", "administrator"])
def test_a_supervisor_imports_a_file_and_reads_what_was_imported(
    cast: personas.Cast, who: str
) -> None:
    client = signed_in(getattr(cast, who))
    assert client.get(URL).status_code == 200

    response = upload(client, CSV)

    assert response.status_code == 200
    assert "2 chiamate nuove, 0 già presenti" in response.content.decode()
    assert CallRecord.objects.count() == 2
    again = upload(client, CSV)
    assert "0 chiamate nuove, 2 già presenti" in again.content.decode()


def test_a_bad_file_lists_its_bad_rows_and_imports_nothing(cast: personas.Cast) -> None:
    bad = CSV + "P-3,tributi,2026-03-02 09:10:00,2026-03-02 09:00:00,0,0,1,\n"

    response = upload(signed_in(cast.supervisor), bad)

    page = response.content.decode()
    assert response.status_code == 400
    assert "non è stato importato: 1 righe sbagliate su 3" in page
    assert "<td>4</td><td><code>ended_at</code></td>" in page
    assert not CallRecord.objects.exists()


def test_a_dry_run_stores_nothing(cast: personas.Cast) -> None:
    response = upload(signed_in(cast.supervisor), CSV, dry_run="1")

    assert "2 chiamate da importare" in response.content.decode()
    assert not CallRecord.objects.exists()


def test_a_file_that_is_neither_csv_nor_xlsx_is_refused(cast: personas.Cast) -> None:
    response = upload(signed_in(cast.supervisor), CSV, name="chiamate.txt")

    assert response.status_code == 400
    assert "CSV o XLSX" in response.content.decode()
