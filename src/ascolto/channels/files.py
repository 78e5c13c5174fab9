"""What a citizen may attach, on every channel: the content checks of the Scrivi form's uploads,
shared with the mailboxes. A file's type is read from its content (its magic bytes), never from
the name or the type its sender claimed."""

from __future__ import annotations

import filetype

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES = 5
ALLOWED_TYPES = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/webp": "WebP",
    "application/pdf": "PDF",
}
# Voice messages and audio, accepted where a channel carries them (WhatsApp), not on the form.
AUDIO_TYPES = {
    "audio/ogg": "OGG",
    "audio/mpeg": "MP3",
    "audio/mp4": "M4A",
    "audio/aac": "AAC",
    "audio/amr": "AMR",
}


def accepted_type(head: bytes, *, audio: bool = False) -> str | None:
    """The type of a file that starts with `head` (its first 262 bytes suffice), when it is one
    we accept (with `audio`, a voice message or audio file too); None otherwise."""
    kind = filetype.guess(head[:262])
    if kind is None or (
        kind.mime not in ALLOWED_TYPES and not (audio and kind.mime in AUDIO_TYPES)
    ):
        return None
    return str(kind.mime)
