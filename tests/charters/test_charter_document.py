"""A charter's document uploaded as a PDF (`charters.documents`): read from its content, stored
under a random name in `carte/` (outside the served folders), downloadable from the public page
of a published charter as an attachment with `nosniff`; a file that is not a PDF, or too large,
is refused on its field and nothing is stored; a replaced or removed file, or a deleted
charter's, is deleted once the change is committed; a file no charter names is pruned."""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client

from ascolto.charters import actions, documents
from ascolto.charters.actions import CharterData
from ascolto.charters.models import ServiceCharter
from ascolto.core import maintenance
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


def _with_document(media: Path) -> ServiceCharter:
    charter = _charter()
    upload = SimpleUploadedFile("carta.pdf", PDF, content_type="application/pdf")
    return actions.save_charter(
        CharterData(
            title=charter.title,
            slug=charter.slug,
            service=charter.service,
            issued_on=charter.issued_on,
            published=True,
        ),
        charter,
        document=upload,
    )


def test_deleting_a_charter_deletes_its_file_after_the_commit(
    media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    charter = _with_document(media)
    (stored,) = _stored(media)
    with django_capture_on_commit_callbacks(execute=False) as pending:
        actions.delete_charter(charter)
    assert _stored(media) == [stored]  # not before the commit
    for callback in pending:
        callback()
    assert _stored(media) == []
    assert not ServiceCharter.objects.exists()


def test_a_charter_deletion_rolled_back_keeps_its_file(
    media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    charter = _with_document(media)
    pk = charter.pk
    with django_capture_on_commit_callbacks(execute=True) as ran:
        with pytest.raises(RuntimeError), transaction.atomic():
            actions.delete_charter(charter)
            raise RuntimeError("something else failed")
    assert ran == []  # the deletion's callback went with its transaction
    assert ServiceCharter.objects.filter(pk=pk).exists()
    assert len(_stored(media)) == 1


def _age(path: Path, when: datetime) -> None:
    os.utime(path, (when.timestamp(), when.timestamp()))


def test_files_no_charter_names_are_pruned_after_a_grace_period(media: Path) -> None:
    """The pruner removes the files of `carte/` that no charter names and that are older than a
    day: never the document in use, never a file younger than the grace period (an upload whose
    charter is not yet committed)."""
    now = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
    charter = _with_document(media)
    (in_use,) = _stored(media)
    orphan = documents.store(documents.Document("a.pdf", PDF))  # its charter never saved
    uploading = documents.store(documents.Document("b.pdf", PDF))  # its charter being saved
    loose = media / "carte" / "lasciato.pdf"  # a file left at the top of the folder
    loose.write_bytes(PDF)
    for path in (in_use, media / orphan, loose):
        _age(path, now - timedelta(days=3))
    _age(media / uploading, now - timedelta(hours=2))

    with time_machine.travel(now, tick=False):
        assert maintenance.prune_tables(dry_run=True, only=["charter_documents"]) == {
            "charter_documents": 2
        }
        assert len(_stored(media)) == 4
        assert maintenance.prune_tables(only=["charter_documents"]) == {"charter_documents": 2}

    assert _stored(media) == sorted([in_use, media / uploading])
    charter.refresh_from_db()
    assert documents.open_document(charter).read() == PDF


def test_the_pruner_finds_nothing_without_the_folder(media: Path) -> None:
    assert documents.prune_orphans(datetime(2026, 12, 7, tzinfo=UTC), False) == 0
