"""The right of access: an administrator asks for a citizen's data from the console; a background
task gathers every kind of it into a ZIP (JSON and files) and a readable PDF, with progress on a
page; the files are downloaded through an access-checked view that no cache keeps."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from ascolto.audit.models import AccessRecord
from ascolto.citizens.models import Citizen
from ascolto.organisation.models import User
from ascolto.privacy import sections
from ascolto.privacy.actions import build_access_archive
from ascolto.privacy.models import AccessArchive
from tests import personas
from tests.pdfread import Pdf
from tests.privacy.conftest import (
    LUCA_TEXT,
    MARIA_FILE,
    MARIA_TEXT,
    MARIA_WHATSAPP_TEXT,
    OTHER_NAME,
    Household,
)

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _start(client: Client, citizen: Citizen) -> AccessArchive:
    response = client.post(f"/console/citizens/{citizen.pk}/privacy/export/")
    job = AccessArchive.objects.get(citizen=citizen)
    assert (
        response.status_code == 302
        and response["Location"] == f"/console/privacy/archives/{job.pk}/"
    )
    return job


def _luca_traces(household: Household) -> list[str]:
    luca = household.luca
    return [
        luca.first_name,
        luca.last_name,
        luca.email,
        luca.fiscal_code,
        personas.LUCA_PHONE,
        LUCA_TEXT,
        household.luca_scrivi.code,
        OTHER_NAME[0],
        OTHER_NAME[1],
    ]


def test_the_archive_holds_every_kind_of_the_citizens_data_and_nothing_of_another(
    household: Household, cast: personas.Cast, django_capture_on_commit_callbacks: Any
) -> None:
    client = signed_in(cast.administrator)
    with django_capture_on_commit_callbacks(execute=True):  # the task runs as the worker would
        job = _start(client, household.maria)
    job.refresh_from_db()
    assert job.status == AccessArchive.Status.DONE, job.error
    assert job.expires_at is not None and job.percent == 100

    response = client.get(f"/console/privacy/archives/{job.pk}/zip/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    data = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    archive = zipfile.ZipFile(io.BytesIO(data))
    document = json.loads(archive.read("dati.json"))
    parts = document["sections"]
    assert parts["citizen"]["rows"][0]["fiscal_code"] == personas.MARIA_FISCAL_CODE
    kinds = {row["kind"] for row in parts["identities"]["rows"]}
    assert {"email", "phone", "whatsapp"} <= kinds
    codes = {row["code"] for row in parts["cases"]["rows"]}
    assert codes == {household.maria_scrivi.code, household.maria_email.code}
    assert {row["case"] for row in parts["events"]["rows"]} == codes
    texts = [row["text"] for row in parts["messages"]["rows"]]
    assert MARIA_TEXT in texts and MARIA_WHATSAPP_TEXT in texts
    assert any("abbiamo corretto la dichiarazione" in text for text in texts)  # the reply
    files = [name for row in parts["messages"]["rows"] for name in row["attachments"]]
    assert len(files) == 1 and archive.read(files[0]) == MARIA_FILE
    assert [row["talk_seconds"] for row in parts["calls"]["rows"]] == [180]
    assert parts["surveys"]["rows"] == [{"case": household.maria_scrivi.code, "satisfaction": 4}]
    consent = parts["consents"]["rows"][0]
    assert consent["notice_version"] and len(consent["notice_sha256"]) == 64
    assert parts["merge_suggestions"]["rows"][0]["status"]
    everything = json.dumps(document, ensure_ascii=False)
    for trace in _luca_traces(household):
        assert trace not in everything, trace

    pdf_response = client.get(f"/console/privacy/archives/{job.pk}/pdf/")
    assert "no-store" in pdf_response["Cache-Control"]
    pdf = Pdf(b"".join(pdf_response.streaming_content))  # type: ignore[attr-defined]
    text = " ".join(pdf.text())
    assert len(pdf.pages()) >= 2 and "Pagina 1 di" in text
    assert personas.MARIA_FISCAL_CODE in text and household.maria_scrivi.code in text
    assert pdf.struct_elements("Table")  # tagged: the structure tree has the tables
    for trace in (household.luca.last_name, personas.LUCA_FISCAL_CODE, OTHER_NAME[1]):
        assert trace not in text


def test_the_archive_says_when_and_where_the_citizens_data_was_read_but_not_by_whom(
    household: Household, cast: personas.Cast, django_capture_on_commit_callbacks: Any
) -> None:
    """The reads in the access log about the citizen are part of their access (date, screen,
    what); the member of staff's name is not (EU Court of Justice, C-579/21). The download of
    the archive is itself recorded, as an export of the citizen's data."""
    signed_in(cast.operator).get(f"/console/cases/{household.maria_scrivi.code}/")
    signed_in(cast.operator).get(f"/console/cases/{household.luca_scrivi.code}/")
    client = signed_in(cast.administrator)
    with django_capture_on_commit_callbacks(execute=True):
        job = _start(client, household.maria)
    job.refresh_from_db()
    response = client.get(f"/console/privacy/archives/{job.pk}/zip/")
    data = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    document = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("dati.json"))

    rows = document["sections"]["access_log"]["rows"]
    case_reads = [row for row in rows if row["kind"] == "ticket"]
    assert len(case_reads) == 1 and case_reads[0]["screen"] == "Pagina del caso"
    everything = json.dumps(document["sections"]["access_log"], ensure_ascii=False)
    assert cast.operator.username not in everything
    assert household.luca_scrivi.code not in everything

    export = AccessRecord.objects.get(purpose=AccessRecord.Purpose.EXPORT)
    assert export.citizen_ids == [household.maria.pk] and export.object_ids == [job.pk]
    assert export.user_id == cast.administrator.pk


def test_the_task_reports_its_progress_on_the_page(
    household: Household, cast: personas.Cast
) -> None:
    client = signed_in(cast.administrator)
    job = _start(client, household.maria)
    assert job.status == AccessArchive.Status.QUEUED  # the task runs after the commit
    page = client.get(f"/console/privacy/archives/{job.pk}/").content.decode()
    assert "Archivio in coda" in page
    assert f'hx-get="/console/privacy/archives/{job.pk}/?polling=1"' in page
    assert "Ricarica la pagina" in page and 'http-equiv="refresh"' in page  # without JS

    seen: list[tuple[int, str]] = []

    def watch(citizen: Citizen) -> list[dict[str, str]]:
        fragment = client.get(
            f"/console/privacy/archives/{job.pk}/", {"polling": "1"}, HTTP_HX_REQUEST="true"
        ).content.decode()
        current = AccessArchive.objects.get(pk=job.pk)
        seen.append((current.step, current.status))
        assert "Archivio in preparazione, passo" in fragment and "<html" not in fragment
        return []

    sections.register("zz_watch", "Osservatore", watch)
    try:
        build_access_archive(job.pk)
    finally:
        sections._providers.pop("zz_watch")
    expected_step = len(sections.registered())  # every section before it had advanced a step
    assert seen == [(expected_step, AccessArchive.Status.RUNNING)]
    job.refresh_from_db()
    assert job.status == AccessArchive.Status.DONE and job.step == job.steps
    done = client.get(
        f"/console/privacy/archives/{job.pk}/", {"polling": "1"}, HTTP_HX_REQUEST="true"
    )
    assert (
        "hx-get" not in done.content.decode()
        and f"/privacy/archives/{job.pk}/zip/" in done.content.decode()
    )


def test_only_administrators_ask_for_see_and_download_archives(
    household: Household, cast: personas.Cast, storage_dirs: Path
) -> None:
    job = build_access_archive(_start(signed_in(cast.administrator), household.maria).pk)
    urls = [
        f"/console/citizens/{household.maria.pk}/privacy/",
        f"/console/privacy/archives/{job.pk}/",
        f"/console/privacy/archives/{job.pk}/zip/",
        f"/console/privacy/archives/{job.pk}/pdf/",
    ]
    for user in (cast.operator, cast.supervisor, cast.office_operator, cast.analyst):
        client = signed_in(user)
        for url in urls:
            assert client.get(url).status_code == 403, (user.username, url)
        assert (
            client.post(f"/console/citizens/{household.maria.pk}/privacy/export/").status_code
            == 403
        )
        erase = client.post(
            f"/console/citizens/{household.maria.pk}/privacy/erase/",
            {"reason": "x", "confirm": "1"},
        )
        assert erase.status_code == 403
    assert AccessArchive.objects.count() == 1
    anonymous = Client().get(urls[2])
    assert anonymous.status_code == 302 and "/console/accedi/" in anonymous["Location"]
    admin = signed_in(cast.administrator)
    assert admin.get(f"/console/privacy/archives/{job.pk + 99}/zip/").status_code == 404
    assert admin.get(f"/console/privacy/archives/{job.pk}/exe/").status_code == 404
    # The files sit outside the served folders.
    folder = storage_dirs / "privacy" / job.folder
    assert (folder / "dati.zip").exists() and "media" not in str(folder)


def test_the_citizen_page_offers_the_export_to_administrators_only(
    household: Household, cast: personas.Cast
) -> None:
    url = f"/console/citizens/{household.maria.pk}/"
    assert "Esporta i dati (GDPR)" in signed_in(cast.administrator).get(url).content.decode()
    assert "Esporta i dati (GDPR)" not in signed_in(cast.operator).get(url).content.decode()
