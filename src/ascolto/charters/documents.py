"""A charter's document uploaded as a PDF (besides, or instead of, the address of the PDF on the
city's portal): stored as the project stores files (`channels.files`): the type read from the
content (a PDF only), at most `MAX_DOCUMENT_BYTES`, under a random name in the default storage's
`carte/` folder (outside the static and served folders: nothing serves it but the download
views, as an attachment with `nosniff`, `core.downloads.file_download`). The name it was
uploaded under is kept, cleaned, for display and the download only.

The file is written before the charter row that names it; if the row is not saved the file is
removed again, and the file a new upload replaces (or a removal drops), or the file of a deleted
charter, is deleted once the change is committed, so a rolled-back change never loses the
document in use. A file no charter names (its transaction failed after the file was written, or
the process died in between) is removed by the nightly `prune_tables` (`prune_orphans`), once
older than `ORPHAN_GRACE_DAYS`: never one whose upload is still under way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath
from typing import IO, Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import FileResponse
from django.utils.translation import gettext as _

from ascolto.channels.files import accepted_type, discard, display_name, storage_name
from ascolto.charters.models import ServiceCharter
from ascolto.core.downloads import file_download
from ascolto.core.errors import InvalidInput, NotFound

logger = logging.getLogger(__name__)

FOLDER = "carte"
PDF = "application/pdf"
# A charter with its annexes is seldom above a few MB; a scan of a signed copy may be more.
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
# How old a file no charter names must be before it is pruned: an upload's file is written
# before its charter row is committed, a few seconds earlier on a slow request, never a day.
ORPHAN_GRACE_DAYS = 1


@dataclass(frozen=True)
class Document:
    """An uploaded document, checked and read, not yet stored."""

    name: str
    data: bytes


def check_document(upload: Any) -> Document:
    """An uploaded file (a Django `UploadedFile`) as a charter's document: a PDF by its content
    (whatever its name says), not empty, at most `MAX_DOCUMENT_BYTES`; `InvalidInput` on the
    field `document` otherwise."""
    name = display_name(getattr(upload, "name", ""), "carta.pdf")
    size = int(getattr(upload, "size", 0) or 0)
    if size > MAX_DOCUMENT_BYTES:
        raise InvalidInput(
            _("Il file «%(name)s» è più grande di %(mb)d MB.")
            % {"name": name, "mb": MAX_DOCUMENT_BYTES // (1024 * 1024)},
            field="document",
        )
    upload.seek(0)
    data = upload.read(MAX_DOCUMENT_BYTES + 1)
    if not data:
        raise InvalidInput(_("Il file «%(name)s» è vuoto.") % {"name": name}, field="document")
    if len(data) > MAX_DOCUMENT_BYTES:
        raise InvalidInput(
            _("Il file «%(name)s» è più grande di %(mb)d MB.")
            % {"name": name, "mb": MAX_DOCUMENT_BYTES // (1024 * 1024)},
            field="document",
        )
    if accepted_type(data[:262]) != PDF:
        raise InvalidInput(_("Il file «%(name)s» non è un PDF.") % {"name": name}, field="document")
    if not name.lower().endswith(".pdf"):
        name = f"{name[: 100 - 4]}.pdf"
    return Document(name=name, data=data)


def store(document: Document) -> str:
    """Write the document under a random name in `carte/`; its storage name."""
    return str(default_storage.save(storage_name(FOLDER, PDF), ContentFile(document.data)))


def delete(stored: str) -> bool:
    """Remove a stored document (and its folder, when empty); never a file of another folder.
    False when it could not be removed (logged)."""
    return discard(stored, FOLDER)


def delete_after_commit(stored: str) -> None:
    if stored:
        transaction.on_commit(lambda: delete(stored))


def prune_orphans(now: datetime, dry_run: bool) -> int:
    """Delete (or, with `dry_run`, count) the files of `carte/` that no charter names and that
    were last written before `now` minus `ORPHAN_GRACE_DAYS`. The files are listed before the
    charters are read, so a document committed in between is seen as named."""
    from ascolto.core.maintenance import cutoff

    oldest = cutoff(now, ORPHAN_GRACE_DAYS)
    found = [name for name in _stored_files() if default_storage.get_modified_time(name) < oldest]
    named = set(
        ServiceCharter.objects.exclude(document_file="").values_list("document_file", flat=True)
    )
    orphans = [name for name in found if name not in named]
    if dry_run:
        return len(orphans)
    return sum(1 for name in orphans if delete(name))


def _stored_files() -> list[str]:
    """Every file under `carte/` (in its two-letter folders, and any left at the top)."""
    try:
        folders, files = default_storage.listdir(FOLDER)
    except FileNotFoundError:
        return []
    names = [f"{FOLDER}/{name}" for name in files]
    for folder in folders:
        names += [
            f"{FOLDER}/{folder}/{name}" for name in default_storage.listdir(f"{FOLDER}/{folder}")[1]
        ]
    return sorted(names)


def open_document(charter: ServiceCharter) -> IO[bytes]:
    """The charter's stored document, to download; `NotFound` when it has none (or the file is
    gone from the storage)."""
    stored = charter.document_file
    if not stored or not stored.startswith(f"{FOLDER}/") or ".." in PurePath(stored).parts:
        raise NotFound(_("Questa carta non ha un documento caricato."), field="document")
    try:
        return default_storage.open(stored, "rb")
    except FileNotFoundError:
        raise NotFound(
            _("Il documento di questa carta non è più disponibile."), field="document"
        ) from None


def download(charter: ServiceCharter) -> FileResponse:
    """The charter's document as a download (`core.downloads.file_download`: an attachment,
    `nosniff`), under the name it was uploaded with; `NotFound` as `open_document`."""
    return file_download(open_document(charter), charter.document_name or "carta.pdf", PDF)
