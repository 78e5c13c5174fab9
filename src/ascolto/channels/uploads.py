"""Files citizens uploaded that no accepted message refers to: removed by `sweep_uploads`.

The Scrivi form writes a submission's attachments, then its intake-queue row, and removes the
files again when the row is not stored (`web/views/scrivi/request.py`). A process killed between
the two (a worker timed out while the database hung) cannot clean up: its files stay, referred
to by nothing. The sweep finds them: files under the upload folder older than a grace period
that neither a queued submission (`PendingInbound.payload`, never deleted) nor a stored message
(`Message.attachments`) names.
"""

from __future__ import annotations

import contextlib
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


def orphans(*, grace: timedelta = GRACE, folder: str = UPLOADS) -> list[str]:
    """Files under `folder` older than `grace` that nothing refers to."""
    if not default_storage.exists(folder):
        return []
    cutoff = timezone.now() - grace
    subfolders, files = default_storage.listdir(folder)
    candidates = [f"{folder}/{name}" for name in files]
    for sub in subfolders:
        candidates += [
            f"{folder}/{sub}/{name}" for name in default_storage.listdir(f"{folder}/{sub}")[1]
        ]
    old = [name for name in candidates if default_storage.get_modified_time(name) < cutoff]
    if not old:
        return []
    known = referenced()
    return sorted(name for name in old if name not in known)


def sweep(*, grace: timedelta = GRACE, folder: str = UPLOADS, dry_run: bool = False) -> list[str]:
    """Delete the orphan files (and their emptied folders); return their names."""
    found = orphans(grace=grace, folder=folder)
    if dry_run:
        return found
    for name in found:
        default_storage.delete(name)
        parent = str(PurePosixPath(name).parent)
        with contextlib.suppress(NotImplementedError, OSError):
            os.rmdir(default_storage.path(parent))  # only when empty
    if found:
        logger.info("uploads: %d orphan file(s) removed", len(found))
    return found
