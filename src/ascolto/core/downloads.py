"""How a stored personal file leaves the application: always as a download, never rendered.

Every view that serves a citizen's or an operator's file (the console's case attachment, the
status page's reply file) answers with `file_download`, after its own access check:
- `Content-Disposition: attachment`, with the display name as an RFC 6266 / RFC 5987
  `filename*` (UTF-8, percent-encoded) and an ASCII `filename` for old clients: a browser saves
  the file instead of showing it, so an HTML or SVG file disguised as a photo never runs in the
  site's origin;
- `X-Content-Type-Options: nosniff`: the browser keeps the declared (sniffed on upload) type;
- `Cache-Control: private, no-store`: no shared or disk cache keeps a personal file.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import PureWindowsPath
from typing import IO
from urllib.parse import quote

from django.http import FileResponse

MAX_DISPLAY_NAME = 100
# Control characters, and the format characters that reorder text (RTL override, isolates): a
# name like "foto\u202egpj.exe" would read "fotoexe.jpg".
_HIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def display_name(raw: str | None, fallback: str = "allegato") -> str:
    """The name a file is shown and downloaded under: the last part of what the sender called
    it (no folders: `../../etc/passwd` → `passwd`), without control or text-direction
    characters, spaces as underscores, at most `MAX_DISPLAY_NAME` characters (the extension
    kept). Never a storage name: files are stored under random names
    (`channels.files.storage_name`)."""
    text = unicodedata.normalize("NFC", _HIDDEN.sub("", raw or ""))
    text = PureWindowsPath(text.replace("/", "\\")).name.strip().strip(".").strip()
    text = re.sub(r"\s+", "_", text)  # as Django's get_valid_filename: one word to a mail client
    if len(text) > MAX_DISPLAY_NAME:
        stem, dot, ext = text.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            text = f"{stem[: MAX_DISPLAY_NAME - len(ext) - 1]}.{ext}"
        else:
            text = text[:MAX_DISPLAY_NAME]
    return text or fallback


def content_disposition(name: str) -> str:
    """`attachment; filename="…"; filename*=UTF-8''…` for a display name (sanitised again:
    no folders, control or text-direction characters, no quotes in the ASCII form)."""
    clean = display_name(name)
    ascii_name = (
        unicodedata.normalize("NFKD", clean).encode("ascii", "ignore").decode("ascii").strip()
    )
    ascii_name = "".join("_" if c in '"\\;' else c for c in ascii_name) or "allegato"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(clean, safe='')}"


def file_download(handle: IO[bytes], name: str, content_type: str) -> FileResponse:
    """A stored file as a download with the headers above."""
    response = FileResponse(handle, content_type=content_type or "application/octet-stream")
    response["Content-Disposition"] = content_disposition(name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
