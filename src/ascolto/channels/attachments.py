"""Files an operator attaches to a reply: checked like a citizen's (`channels.files`: type read
from the content, at most `MAX_FILE_BYTES` each, `MAX_FILES` per message), images written again
without their metadata (`channels.files.sanitised`), stored in the default storage under
`replies/` by random names (personal data: no public URL), and which channels carry them.

A reply's files are written first, then the reply that names them, in one transaction
(`channels.actions.send_message`); the caller removes the files again when the reply is not
stored (`remove`), and `channels.uploads.sweep` removes those a killed process left behind
(nothing refers to them). The console's confirmation page without JavaScript keeps the files of
the first post under the same folder, named by a signed token (`web/views/console/case.py`).

Per channel (`refusal`, `check_for_channel`, `media_kind`): email and the Scrivi form send them as
MIME parts of the mail; WhatsApp uploads each to Meta (`/<phone_number_id>/media`) and sends it
as an image (JPEG, PNG up to 5 MB) or a document; Messenger and Instagram Direct upload each
through the Attachment Upload API and send it by its attachment id, Instagram taking images
(JPEG, PNG, GIF, up to 8 MB) and PDF files only. A phone line, a comment thread (public
replies carry text only) and a channel without replies carry none.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import PurePath
from typing import IO, Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from ascolto.channels.files import (
    ALLOWED_TYPES,
    MAX_FILE_BYTES,
    MAX_FILES,
    accepted_type,
    discard,
    display_name,
    sanitised,
    storage_name,
)
from ascolto.channels.inbound import STORED, Attachment
from ascolto.channels.models import Channel, Conversation
from ascolto.channels.windows import is_comment_thread
from ascolto.core.errors import InvalidInput

logger = logging.getLogger(__name__)

FOLDER = "replies"  # the replies' files in the default storage (`channels.uploads` sweeps it)
# A mail with every file: many mail servers refuse messages above 20-25 MB.
MAX_MAIL_BYTES = 20 * 1024 * 1024
WHATSAPP_IMAGE_TYPES = ("image/jpeg", "image/png")
WHATSAPP_IMAGE_BYTES = 5 * 1024 * 1024
PAGE_IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif")
INSTAGRAM_IMAGE_BYTES = 8 * 1024 * 1024
EMAIL_KINDS = (Channel.Kind.EMAIL, Channel.Kind.WEB)
META_KINDS = (Channel.Kind.WHATSAPP, Channel.Kind.MESSENGER, Channel.Kind.INSTAGRAM)


def _too_many() -> InvalidInput:
    return InvalidInput(
        _("Puoi allegare al massimo %(n)d file a una risposta.") % {"n": MAX_FILES},
        field="attachments",
    )


def check_upload(name: str, size: int, head: bytes) -> str:
    """The content type of a file an operator attaches, read from its first bytes; a file too
    large or of a type not accepted is refused with `InvalidInput` naming it."""
    if size > MAX_FILE_BYTES:
        raise InvalidInput(
            _("Il file «%(name)s» è più grande di %(mb)d MB.")
            % {"name": name, "mb": MAX_FILE_BYTES // (1024 * 1024)},
            field="attachments",
        )
    if size == 0:
        raise InvalidInput(_("Il file «%(name)s» è vuoto.") % {"name": name}, field="attachments")
    mime = accepted_type(head)
    if mime is None:
        raise InvalidInput(
            _("Il file «%(name)s» non è un'immagine (%(types)s) o un PDF.")
            % {"name": name, "types": ", ".join(v for v in ALLOWED_TYPES.values() if v != "PDF")},
            field="attachments",
        )
    return mime


def check_uploads(files: Sequence[Any], *, already: int = 0) -> list[str]:
    """The content types of uploaded files (Django `UploadedFile`s), checked by number (with
    `already` files kept from an earlier post), size and content."""
    if len(files) + already > MAX_FILES:
        raise _too_many()
    types = []
    for upload in files:
        upload.seek(0)
        head = upload.read(262)
        upload.seek(0)
        types.append(check_upload(_name(upload.name), int(upload.size or 0), head))
    return types


def _name(raw: str | None) -> str:
    return display_name(raw)


def store(files: Sequence[Any]) -> tuple[Attachment, ...]:
    """Check and write uploaded files under `replies/`, images without their metadata
    (`channels.files.sanitised`), each under a random name; all of them or none (a full disk on
    the third removes the first two; an image past the pixel limit refuses the lot)."""
    types = check_uploads(files)
    prepared = []
    for upload, mime in zip(files, types, strict=True):
        upload.seek(0)
        name = _name(upload.name)
        prepared.append((name, mime, sanitised(upload.read(), mime, name)))
    stored: list[Attachment] = []
    try:
        for name, mime, data in prepared:
            saved = default_storage.save(storage_name(FOLDER, mime), ContentFile(data))
            stored.append(Attachment(name, mime, len(data), f"{STORED}{saved}"))
    except BaseException:
        remove(stored)
        raise
    return tuple(stored)


def remove(attachments: Iterable[Attachment]) -> None:
    """Delete the files of a reply that was not stored (and their folders, when empty)."""
    for attachment in attachments:
        discard(attachment.url.removeprefix(STORED), FOLDER)  # never a file of another folder


def verify(attachments: Sequence[Attachment]) -> list[Attachment]:
    """The stored files a reply will name, checked again where they are: under `replies/`, in
    the storage, of an accepted type and size (read from the stored bytes)."""
    if len(attachments) > MAX_FILES:
        raise _too_many()
    checked = []
    for item in attachments:
        name = item.url.removeprefix(STORED)
        if not item.url.startswith(STORED + FOLDER + "/") or ".." in PurePath(name).parts:
            raise InvalidInput(_("Un allegato non è valido."), field="attachments")
        if not default_storage.exists(name):
            raise InvalidInput(
                _("Il file «%(name)s» non è più disponibile: allegalo di nuovo.")
                % {"name": item.name},
                field="attachments",
            )
        size = default_storage.size(name)
        with default_storage.open(name, "rb") as handle:
            mime = check_upload(item.name, size, handle.read(262))
        checked.append(Attachment(item.name, mime, size, item.url))
    return checked


def refusal(conversation: Conversation | None) -> str:
    """Why a reply on this conversation cannot carry files, in Italian; "" when it can."""
    if conversation is None:
        return _("non c'è una conversazione su cui rispondere")
    kind = conversation.channel.kind
    if kind == Channel.Kind.PHONE:
        return _("al telefono non si possono inviare file: rispondi per email")
    if kind in EMAIL_KINDS:
        return ""
    if kind in META_KINDS and not is_comment_thread(conversation):
        return ""
    if kind in (Channel.Kind.FACEBOOK, Channel.Kind.INSTAGRAM):
        return _("le risposte ai commenti portano solo testo")
    return _("il canale %(channel)s non porta allegati") % {
        "channel": conversation.channel.get_kind_display()
    }


def check_for_channel(conversation: Conversation, attachments: Sequence[Attachment]) -> None:
    """Refuse, with the reason, files the conversation's channel cannot carry."""
    if not attachments:
        return
    reason = refusal(conversation)
    if reason:
        raise InvalidInput(
            _("Gli allegati non si possono inviare: %(reason)s.") % {"reason": reason},
            field="attachments",
        )
    kind = conversation.channel.kind
    if kind in EMAIL_KINDS and sum(a.size for a in attachments) > MAX_MAIL_BYTES:
        raise InvalidInput(
            _("Gli allegati di una email non possono superare %(mb)d MB in tutto.")
            % {"mb": MAX_MAIL_BYTES // (1024 * 1024)},
            field="attachments",
        )
    if kind == Channel.Kind.INSTAGRAM:
        for item in attachments:
            if item.content_type == "application/pdf":
                continue
            if item.content_type not in PAGE_IMAGE_TYPES:
                raise InvalidInput(
                    _("Instagram non accetta il file «%(name)s»: invia JPEG, PNG, GIF o PDF.")
                    % {"name": item.name},
                    field="attachments",
                )
            if item.size > INSTAGRAM_IMAGE_BYTES:
                raise InvalidInput(
                    _("Instagram accetta immagini fino a 8 MB: «%(name)s» è più grande.")
                    % {"name": item.name},
                    field="attachments",
                )


def media_kind(channel_kind: str, content_type: str, size: int) -> str:
    """How a file goes on a Meta channel: WhatsApp `image` or `document`; Messenger and
    Instagram `image` or `file`."""
    if channel_kind == Channel.Kind.WHATSAPP:
        if content_type in WHATSAPP_IMAGE_TYPES and size <= WHATSAPP_IMAGE_BYTES:
            return "image"
        return "document"
    return "image" if content_type in PAGE_IMAGE_TYPES else "file"


def open_stored(item: dict[str, Any]) -> IO[bytes]:
    """The stored file of an attachment of a message (its JSON form)."""
    url = str(item.get("url") or "")
    if not url.startswith(STORED):
        raise FileNotFoundError(url)
    return default_storage.open(url.removeprefix(STORED), "rb")


def read_stored(item: dict[str, Any]) -> bytes:
    with open_stored(item) as handle:
        return handle.read()
