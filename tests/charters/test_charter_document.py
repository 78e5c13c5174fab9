"""A charter's document uploaded as a PDF (`charters.documents`): read from its content, stored
under a random name in `carte/` (outside the served folders), downloadable from the public page
of a published charter as an attachment with `nosniff`; a file that is not a PDF, or too large,
is refused on its field and nothing is stored; a replaced or removed file is deleted once the
change is committed."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from ascolto.charters import actions, documents
from ascolto.charters.actions import CharterData
from ascolto.charters.models import ServiceCharter
from ascolto.surveys.models import Service
from tests import personas

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _charter(published: bool = True) -> ServiceCharter:
    service = Service.objects.create(code="refezione-scolastica", name="Ristorazione scolastica")
    return actions.save_charter(
        CharterData(
            title="Carta della ristorazione scolastica",
            slug="ristorazione",
            service=service,
            issued_on=date(2023, 9, 1),
            published=published,
        )
    )


def _form(charter: ServiceCharter, **extra: Any) -> dict[str, Any]:
    return {
        "title": charter.title,
        "slug": charter.slug,
        "service": charter.service_id,
        "issued_on": "2023-09-01",
        "update_state": "not_started",
        "published": "on" if charter.published else "",
        **extra,
    }


def _stored(media: Path) -> list[Path]:
    return sorted(p for p in (media / "carte").rglob("*") if p.is_file())


def test_an_analyst_uploads_the_pdf_and_citizens_download_it(
    client: Client, cast: personas.Cast, media: Path
) -> None:
    charter = _charter()
    client.force_login(cast.analyst)
    upload = SimpleUploadedFile("Carta Refezione 2026.pdf", PDF, content_type="application/pdf")
    page = client.post(
        f"/console/carte-dei-servizi/{charter.pk}/modifica/", _form(charter, document=upload)
    )
    assert page.status_code == 302
    charter.refresh_from_db()
    assert charter.document_name == "Carta_Refezione_2026.pdf"
    assert charter.document_size == len(PDF)
    # A random name under carte/, nothing of the uploaded name.
    assert re.fullmatch(r"carte/[0-9a-f]{2}/[0-9a-f]{32}\.pdf", charter.document_file)
    assert [p.read_bytes() for p in _stored(media)] == [PDF]

    public = Client()
    html = public.get("/trasparenza/carte-dei-servizi/ristorazione/").content.decode()
    assert 'href="/trasparenza/carte-dei-servizi/ristorazione/documento/"' in html
    response = public.get("/trasparenza/carte-dei-servizi/ristorazione/documento/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="Carta_Refezione')
    assert response["X-Content-Type-Options"] == "nosniff"
    console = client.get(f"/console/carte-dei-servizi/{charter.pk}/documento/")
    assert console.status_code == 200 and console["X-Content-Type-Options"] == "nosniff"


def test_a_file_that_is_not_a_pdf_or_too_large_is_refused_and_nothing_is_stored(
    client: Client, cast: personas.Cast, media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    charter = _charter()
    client.force_login(cast.analyst)
    url = f"/console/carte-dei-servizi/{charter.pk}/modifica/"
    disguised = SimpleUploadedFile(
        "carta.pdf", b"<html><script>alert(1)</script></html>", content_type="application/pdf"
    )
    page = client.post(url, _form(charter, document=disguised, title="Nuovo titolo"))
    assert page.status_code == 400
    assert "non è un PDF" in page.content.decode()
    monkeypatch.setattr(documents, "MAX_DOCUMENT_BYTES", len(PDF) - 1)
    big = SimpleUploadedFile("carta.pdf", PDF, content_type="application/pdf")
    page = client.post(url, _form(charter, document=big))
    assert page.status_code == 400
    assert "è più grande di" in page.content.decode()
    charter.refresh_from_db()
    assert (charter.title, charter.document_file) == ("Carta della ristorazione scolastica", "")
    assert not (media / "carte").exists() or _stored(media) == []


def test_a_new_upload_replaces_the_file_and_removing_it_deletes_it(
    client: Client, cast: personas.Cast, media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    charter = _charter()
    client.force_login(cast.analyst)
    url = f"/console/carte-dei-servizi/{charter.pk}/modifica/"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, _form(charter, document=SimpleUploadedFile("a.pdf", PDF)))
        first = ServiceCharter.objects.get().document_file
        client.post(url, _form(charter, document=SimpleUploadedFile("b.pdf", PDF + b"\n")))
    second = ServiceCharter.objects.get().document_file
    assert second != first
    assert [p.relative_to(media).as_posix() for p in _stored(media)] == [second]
    # Saved without a file: the one in use stays.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, _form(charter))
    assert ServiceCharter.objects.get().document_file == second
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, _form(charter, remove_document="on"))
    charter.refresh_from_db()
    assert (charter.document_file, charter.document_name, charter.document_size) == ("", "", 0)
    assert _stored(media) == []
    assert Client().get("/trasparenza/carte-dei-servizi/ristorazione/documento/").status_code == 404


def test_an_unpublished_charters_document_is_not_public(
    client: Client, cast: personas.Cast
) -> None:
    charter = _charter(published=False)
    client.force_login(cast.analyst)
    client.post(
        f"/console/carte-dei-servizi/{charter.pk}/modifica/",
        _form(charter, document=SimpleUploadedFile("a.pdf", PDF)),
    )
    assert ServiceCharter.objects.get().document_file
    assert Client().get("/trasparenza/carte-dei-servizi/ristorazione/documento/").status_code == 404
    anonymous = Client().get(f"/console/carte-dei-servizi/{charter.pk}/documento/")
    assert anonymous.status_code in (302, 403)
    client.force_login(cast.operator)  # every member of staff reads the charters
    assert client.get(f"/console/carte-dei-servizi/{charter.pk}/documento/").status_code == 200
