"""Files citizens sent that no accepted message refers to: removed by `sweep_uploads`.

Two folders of the default storage hold them:
- `scrivi/`: the Scrivi form writes a submission's attachments, then its intake-queue row, and
  removes the files again when the row is not stored (`web/views/scrivi/request.py`). A process
  killed between the two (a worker timed out while the database hung) cannot clean up.
- `email/`: a mailbox poll writes each mail (its `.eml` and attachments) before handing it to
  intake (`channels/adapters/email/receive.py`). A mail intake refused stays in the mailbox,
  flagged, for a person to read there, and a process killed before intake left its files too;
  neither is named by any message.
- `replies/`: an operator's files attached to a reply (`channels/attachments.py`), written before
  the reply that names them and removed again when it is not stored; also the files kept for
  the console's confirmation page without JavaScript, never confirmed.
The sweep finds such files: those under these folders (at any depth) older than a grace period
that neither a queued submission (`PendingInbound.payload`, never deleted) nor a stored message
(`Message.attachments`) names. A refused mail taken in again later writes its files anew.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from datetime import timedelta
from pathlib import PurePosixPath
from typing import Any

from django.core.files.storage import default_storage
from django.utils import timezone

from ascolto.channels.inbound import STORED
from ascolto.channels.models import Message, PendingInbound

logger = logging.getLogger(__name__)

UPLOADS = "scrivi"  # the folder of the form's uploads in the default storage
MAILBOXES = "email"  # the mailboxes' mails and attachments (`receive.FOLDER`)
REPLIES = "replies"  # the files operators attach to replies (`attachments.FOLDER`)
FOLDERS = (UPLOADS, MAILBOXES, REPLIES)
GRACE = timedelta(days=1)


def _named(attachments: Iterable[Any]) -> set[str]:
    names: set[str] = set()
    for item in attachments or ():
        url = str(item.get("url") or "") if isinstance(item, dict) else ""
        if url.startswith(STORED):
            names.add(url.removeprefix(STORED))
    return names


def referenced() -> set[str]:
    """Every stored file an accepted submission or a stored message refers to."""
    names: set[str] = set()
    rows = PendingInbound.objects.filter(payload__attachments__0__isnull=False)
    for payload in rows.values_list("payload", flat=True).iterator(chunk_size=2000):
        names |= _named(payload.get("attachments") or ())
    messages = Message.objects.filter(attachments__0__isnull=False)
    for attachments in messages.values_list("attachments", flat=True).iterator(chunk_size=2000):
        names |= _named(attachments)
    return names


def _files(folder: str) -> list[str]:
    """Every file under `folder`, at any depth."""
    subfolders, files = default_storage.listdir(folder)
    found = [f"{folder}/{name}" for name in files]
    for sub in subfolders:
        found += _files(f"{folder}/{sub}")
    return found


def orphans(*, grace: timedelta = GRACE, folders: Iterable[str] = FOLDERS) -> list[str]:
    """Files under `folders` older than `grace` that nothing refers to."""
    cutoff = timezone.now() - grace
    old = [
        name
        for folder in folders
        if default_storage.exists(folder)
        for name in _files(folder)
        if default_storage.get_modified_time(name) < cutoff
    ]
    if not old:
        return []
    known = referenced()
    return sorted(name for name in old if name not in known)


def sweep(
    *, grace: timedelta = GRACE, folders: Iterable[str] = FOLDERS, dry_run: bool = False
) -> list[str]:
    """Delete the orphan files (and the folders they leave empty); return their names."""
    folders = tuple(folders)
    found = orphans(grace=grace, folders=folders)
    if dry_run:
        return found
    for name in found:
        default_storage.delete(name)
        parent = PurePosixPath(name).parent
        while str(parent) not in folders and str(parent) != ".":
            try:
                os.rmdir(default_storage.path(str(parent)))  # only when empty
            except (NotImplementedError, OSError):
                break
            parent = parent.parent
    if found:
        logger.info("uploads: %d orphan file(s) removed", len(found))
    return found
