"""Uploads that try to hurt: a page disguised as a photo, a name that climbs out of its folder or
hides its extension, a small image that declares a huge canvas, a photo that gives away where it
was taken. Each is refused with an Italian message or stored cleaned, under a random name, in a
folder no URL serves, and downloaded only as an attachment the browser will not sniff."""

from __future__ import annotations

import io
import re
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from ascolto.channels import attachments as reply_files
from ascolto.channels.files import UnsafeFile, sanitised, storage_name
from ascolto.channels.models import Message
from ascolto.core.downloads import display_name
from ascolto.core.errors import InvalidInput
from ascolto.tickets import actions
from ascolto.tickets.models import Ticket
from ascolto.web.forms.scrivi import forget_taxonomy
from tests import personas
from tests.web.test_scrivi import code_of, submit

pytestmark = pytest.mark.django_db

RANDOM_NAME = re.compile(r"^scrivi/[0-9a-f]{2}/[0-9a-f]{32}\.(png|jpg|pdf)$")


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> Path:
    cache.clear()
    forget_taxonomy()
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def png(width: int = 2, height: int = 2) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A valid, tiny PNG whose header declares `width` × `height` pixels (a decompression bomb:
    a few hundred bytes that would need gigabytes once decoded)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\x00" * 1024, 9)  # the first rows only: the declared size is the trap
    body = chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


def jpeg_with_gps() -> bytes:
    """A 40×20 photo as a phone writes it: GPS position, author, a comment, rotated 90°."""
    image = Image.new("RGB", (40, 20), (10, 120, 200))
    exif = Image.Exif()
    exif[0x013B] = "Maria Rossi"  # Artist
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (45.0, 27.0, 51.0)  # Milan, Piazza della Scala
    gps[3] = "E"
    gps[4] = (9.0, 11.0, 22.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, comment=b"Casa di Maria, via Dante 1")
    return out.getvalue()


def _stored(ticket: Ticket) -> list[dict[str, Any]]:
    message = Message.objects.get(conversation__tickets=ticket, direction="inbound")
    return list(message.attachments)


def _accepted(client: Client, capture: Any, upload: SimpleUploadedFile) -> Ticket:
    response = submit(client, capture, attachments=upload)
    return Ticket.objects.get(code=code_of(response, client))


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("foto.jpg", b"<html><script>alert(document.cookie)</script></html>"),
        ("foto.jpg", b"<?php system($_GET['c']); ?>"),
        ("disegno.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
    ],
)
def test_a_spoofed_jpg_that_is_html_php_or_svg_is_refused_by_its_content(
    client: Client, scrivi: Any, django_capture_on_commit_callbacks: Any, name: str, content: bytes
) -> None:
    upload = SimpleUploadedFile(name, content, content_type="image/jpeg")
    refused = submit(client, django_capture_on_commit_callbacks, attachments=upload)
    assert refused.status_code == 400
    assert "non è un&#x27;immagine o un PDF" in refused.content.decode()
    assert not Ticket.objects.exists()


def test_an_oversize_file_is_refused_on_the_form_and_on_a_reply(
    client: Client, scrivi: Any, django_capture_on_commit_callbacks: Any
) -> None:
    big = b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024)
    refused = submit(
        client, django_capture_on_commit_callbacks, attachments=SimpleUploadedFile("a.pdf", big)
    )
    assert refused.status_code == 400
    assert "più grande di 10 MB" in refused.content.decode()
    with pytest.raises(InvalidInput, match="più grande di 10 MB"):
        reply_files.store([SimpleUploadedFile("a.pdf", big)])


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("/var/www/shell.php", "shell.php"),
        ("foto\x00.php.png", "foto.php.png"),
        ("fattura\u202egpj.exe", "fatturagpj.exe"),  # an RTL override would show "exe.jpg"
        ("riga\r\nSet-Cookie: x=1.png", "rigaSet-Cookie:_x=1.png"),
        ("modulo TARI .pdf", "modulo_TARI_.pdf"),
        ("..", "allegato"),
        ("", "allegato"),
        ("a" * 300 + ".pdf", "a" * 96 + ".pdf"),
    ],
)
def test_traversal_and_control_character_names_become_a_clean_display_name(
    raw: str, shown: str
) -> None:
    assert display_name(raw) == shown


def test_a_traversal_name_is_stored_under_a_random_name_and_kept_only_for_display(
    client: Client, scrivi: Any, django_capture_on_commit_callbacks: Any, _media: Path
) -> None:
    upload = SimpleUploadedFile("../../etc/shell\u202egnp.php", png(), content_type="text/x-php")
    ticket = _accepted(client, django_capture_on_commit_callbacks, upload)
    [item] = _stored(ticket)
    assert item["name"] == "shellgnp.php"
    assert item["content_type"] == "image/png"  # the type read from the bytes, not the claim
    stored = item["url"].removeprefix("storage:")
    assert RANDOM_NAME.match(stored), stored
    files = [p for p in _media.rglob("*") if p.is_file()]
    assert [p.relative_to(_media).as_posix() for p in files] == [stored]
    assert not any("shell" in p.name or "passwd" in p.name for p in _media.rglob("*"))


def test_two_uploads_never_share_a_stored_name() -> None:
    names = {storage_name("scrivi", "image/png") for _ in range(1000)}
    assert len(names) == 1000
    assert storage_name("email/x", "image/jpeg", key="k") == storage_name(
        "email/x", "image/jpeg", key="k"
    )


def test_a_decompression_bomb_is_refused_with_an_italian_error_before_it_is_decoded(
    client: Client, scrivi: Any, django_capture_on_commit_callbacks: Any
) -> None:
    bomb = png_declaring(100_000, 100_000)  # 10 gigapixels in under 100 bytes
    assert len(bomb) < 200
    upload = SimpleUploadedFile("bomba.png", bomb, content_type="image/png")
    refused = submit(client, django_capture_on_commit_callbacks, attachments=upload)
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "L&#x27;immagine «bomba.png» è troppo grande" in page
    assert "milioni di pixel" in page
    assert not Ticket.objects.exists()
    with pytest.raises(UnsafeFile, match="troppo grande"):
        reply_files.store([SimpleUploadedFile("bomba.png", bomb)])


def test_the_pixel_limit_is_a_setting(settings: Any) -> None:
    settings.ASCOLTO_UPLOAD_MAX_PIXELS = 100
    assert sanitised(png(10, 10), "image/png")
    with pytest.raises(UnsafeFile):
        sanitised(png(11, 10), "image/png")


def test_gps_author_and_comment_are_stripped_from_a_photo_and_its_orientation_kept(
    client: Client, scrivi: Any, django_capture_on_commit_callbacks: Any, _media: Path
) -> None:
    photo = jpeg_with_gps()
    with Image.open(io.BytesIO(photo)) as before:
        assert before.getexif().get_ifd(0x8825)  # the test's photo does carry a position
        assert before.info.get("comment")
    upload = SimpleUploadedFile("IMG_0001.jpg", photo, content_type="image/jpeg")
    ticket = _accepted(client, django_capture_on_commit_callbacks, upload)
    [item] = _stored(ticket)
    data = (_media / item["url"].removeprefix("storage:")).read_bytes()
    assert item["size"] == len(data)
    with Image.open(io.BytesIO(data)) as after:
        assert after.format == "JPEG"
        assert not after.getexif()
        assert "exif" not in after.info and "comment" not in after.info
        assert "xmp" not in after.info
        assert after.size == (20, 40)  # turned upright: orientation applied, then dropped
    for secret in (b"Maria Rossi", b"via Dante", b"GPS", b"Exif"):
        assert secret not in data


def test_an_operators_photo_is_stripped_too_and_a_pdf_is_kept_as_it_is(
    _media: Path,
) -> None:
    pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<</Author (Maria Rossi)>>\nendobj\n"
    photo, document = reply_files.store(
        [SimpleUploadedFile("foto.jpg", jpeg_with_gps()), SimpleUploadedFile("atto.pdf", pdf)]
    )
    data = (_media / photo.url.removeprefix("storage:")).read_bytes()
    assert b"Maria Rossi" not in data
    assert re.search(r"replies/[0-9a-f]{2}/[0-9a-f]{32}\.jpg$", photo.url)
    assert (_media / document.url.removeprefix("storage:")).read_bytes() == pdf


def test_stored_files_are_outside_every_served_folder(
    client: Client, scrivi: Any, django_capture_on_commit_callbacks: Any, _media: Path
) -> None:
    media = Path(django_settings.MEDIA_ROOT).resolve()
    static = Path(django_settings.STATIC_ROOT).resolve()
    assert static not in media.parents and media != static
    ticket = _accepted(
        client,
        django_capture_on_commit_callbacks,
        SimpleUploadedFile("buca.png", png(), content_type="image/png"),
    )
    [item] = _stored(ticket)
    stored = item["url"].removeprefix("storage:")
    for prefix in ("/media/", "/static/", "/"):
        assert Client().get(f"{prefix}{stored}").status_code == 404


def test_downloads_are_attachments_the_browser_does_not_sniff_nor_keep(
    client: Client,
    cast: personas.Cast,
    scrivi: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    upload = SimpleUploadedFile('città "sù";.png', png(), content_type="image/png")
    ticket = _accepted(client, django_capture_on_commit_callbacks, upload)
    message = Message.objects.get(conversation__tickets=ticket, direction="inbound")
    operator = Client()
    operator.force_login(cast.operator)
    got = operator.get(reverse("console:case-attachment", args=[ticket.code, message.pk, 0]))
    assert got.status_code == 200
    assert got["Content-Disposition"] == (
        "attachment; filename=\"citta__su__.png\"; filename*=UTF-8''citt%C3%A0_%22s%C3%B9%22%3B.png"
    )
    assert got["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in got["Cache-Control"]
    assert got["Content-Type"] == "image/png"

    stored = reply_files.store([SimpleUploadedFile("risposta.png", png())])
    reply = actions.reply_to_ticket(ticket, "Ecco.", actor=cast.operator, attachments=stored)
    citizen = Client().get(reverse("scrivi:reply-file", args=[ticket.code, reply.pk, 0]))
    assert citizen.status_code == 200
    assert citizen["Content-Disposition"] == (
        "attachment; filename=\"risposta.png\"; filename*=UTF-8''risposta.png"
    )
    assert citizen["X-Content-Type-Options"] == "nosniff"
    assert citizen["Cache-Control"] == "private, no-store"


def test_a_file_stored_under_its_old_name_is_still_served(
    cast: personas.Cast, scrivi: Any, _media: Path
) -> None:
    from tests import factories

    received = factories.submit_scrivi("Allego la foto.")
    assert received.ticket_id is not None
    ticket = Ticket.objects.get(pk=received.ticket_id)
    old = _media / "scrivi" / "0123456789abcdef0123456789abcdef" / "buca.png"
    old.parent.mkdir(parents=True)
    old.write_bytes(png())
    message = Message.objects.get(conversation__tickets=ticket, direction="inbound")
    message.attachments = [
        {
            "name": "buca.png",
            "content_type": "image/png",
            "size": old.stat().st_size,
            "url": "storage:scrivi/0123456789abcdef0123456789abcdef/buca.png",
        }
    ]
    message.save(update_fields=["attachments"])
    operator = Client()
    operator.force_login(cast.operator)
    got = operator.get(reverse("console:case-attachment", args=[ticket.code, message.pk, 0]))
    assert got.status_code == 200
    assert got.getvalue() == old.read_bytes()
