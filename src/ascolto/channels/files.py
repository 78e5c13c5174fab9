"""What a citizen may attach, on every channel: the content checks of the Scrivi form's uploads,
shared with the mailboxes. A file's type is read from its content (its magic bytes), never from
the name or the type its sender claimed; images are written again without their metadata, and every
file is stored under a random name (`sanitised`, `storage_name`, `display_name` below)."""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import uuid
import warnings
from pathlib import PurePosixPath
from typing import Any

import filetype
from django.conf import settings
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from ascolto.core.downloads import display_name as display_name  # one rule for every caller
from ascolto.core.errors import InvalidInput

logger = logging.getLogger(__name__)

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


# --- Stored form: metadata stripped, random names, a clean display name -----------------------
#
# Images are decoded and written again with Pillow: what a photo carries besides its pixels (the
# EXIF block with the GPS position and the camera owner's name, XMP, comments, text chunks) is
# left behind, and the EXIF orientation is applied to the pixels first so the photo still stands
# the right way up. A pixel limit is checked on the header, before anything is decoded: a small
# file that declares a huge canvas (a "decompression bomb") is refused instead of filling memory.
# PDF files and audio are kept byte for byte: re-writing a PDF would need a PDF library that
# parses untrusted input, and neither carries a location the way a phone's photo does.

MAX_IMAGE_PIXELS = (
    40_000_000  # 40 megapixels: well above any phone camera (ASCOLTO_UPLOAD_MAX_PIXELS)
)
EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
    "audio/ogg": ".ogg",
    "audio/mpeg": ".mp3",
    "audio/mp4": ".m4a",
    "audio/aac": ".aac",
    "audio/amr": ".amr",
    "message/rfc822": ".eml",
}
_PILLOW_FORMATS = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/webp": "WEBP",
}
# What a re-written image keeps of its source's `info`: how it is drawn, nothing about who took it.
_KEPT_INFO = ("transparency", "duration", "loop", "background", "disposal", "icc_profile")


class UnsafeFile(InvalidInput):
    """A file that cannot be stored safely: an image too large once decoded, or unreadable."""


def max_image_pixels() -> int:
    return int(getattr(settings, "ASCOLTO_UPLOAD_MAX_PIXELS", 0) or MAX_IMAGE_PIXELS)


def storage_name(folder: str, content_type: str, *, key: str = "") -> str:
    """Where a file of this type is stored: `folder/<32 hex>.<extension of the sniffed type>`.
    Random (uuid4) by default; with `key`, a digest of it, for writers that must find their own
    file again after a crash (a mailbox poll, a webhook drain). Nothing of the sender's name."""
    stem = hashlib.sha256(key.encode()).hexdigest()[:32] if key else uuid.uuid4().hex
    return f"{folder}/{stem[:2]}/{stem}{EXTENSIONS.get(content_type, '.bin')}"


def discard(name: str, folder: str) -> bool:
    """Delete the stored file `name` of `folder` (and its two-letter folder, when left empty):
    never a file of another folder, nor a path that climbs out of it. False when it could not be
    deleted (logged, without the name's owner: names are random)."""
    if not name.startswith(f"{folder}/") or ".." in PurePosixPath(name).parts:
        return False
    try:
        default_storage.delete(name)
        parent = default_storage.path(str(PurePosixPath(name).parent))
    except NotImplementedError:
        return True  # a storage without paths keeps no empty folders
    except Exception:
        logger.exception("files: could not remove a stored file of %s/", folder)
        return False
    with contextlib.suppress(OSError):
        os.rmdir(parent)
    return True


def _refuse_image(name: str) -> UnsafeFile:
    return UnsafeFile(
        _(
            "L'immagine «%(name)s» è troppo grande (più di %(mp)d milioni di pixel) o non si "
            "riesce a leggere: inviala con una risoluzione più bassa."
        )
        % {"name": name, "mp": max_image_pixels() // 1_000_000},
        field="attachments",
    )


def unsafe_note(name: str) -> str:
    """The note a message keeps where a channel that cannot refuse (a mailbox, a webhook) left
    an unsafe image out (`UnsafeFile`)."""
    return _("Allegato «%(name)s» non importato: immagine troppo grande o illeggibile.") % {
        "name": name
    }


def sanitised(data: bytes, content_type: str, name: str = "") -> bytes:
    """The bytes to store for a file of `content_type` (already sniffed): an image decoded and
    written again without its metadata, orientation applied; anything else unchanged. Raises
    `UnsafeFile` for an image past the pixel limit or one that cannot be decoded."""
    target = _PILLOW_FORMATS.get(content_type)
    if target is None:
        return data
    # Imported here: a web process that never receives an image does not load Pillow.
    from PIL import Image, ImageOps

    limit = max_image_pixels()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as source:
                width, height = source.size  # read from the header: nothing decoded yet
                if width * height > limit or width <= 0 or height <= 0:
                    raise _refuse_image(name)
                animated = bool(getattr(source, "is_animated", False))
                image: Image.Image = source
                if not animated:  # an animation's frames carry no EXIF orientation
                    image = ImageOps.exif_transpose(source) or source
                image.load()
                kept: dict[str | tuple[int, int], Any] = {
                    k: source.info[k] for k in _KEPT_INFO if k in source.info
                }
                image.info = dict(kept)
                out = io.BytesIO()
                options: dict[str, Any] = {str(k): v for k, v in kept.items()}
                if target == "JPEG":
                    if image.mode not in ("RGB", "L", "CMYK"):
                        image = image.convert("RGB")
                    options["quality"] = 90
                if animated:
                    options["save_all"] = True
                image.save(out, format=target, **options)
    except UnsafeFile:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Warning) as exc:
        raise _refuse_image(name) from exc
    return out.getvalue()
