"""Files attached to a reply from the case page's composer: posted with the reply (the page's
script confirms in a dialog, then submits the form as it is) or kept across the server's
confirmation page (no JavaScript); checked like a citizen's files, stored with the reply or not
at all, shown in the thread, sent by email, and downloaded by the operators who may see the case
and, from the status page, by whoever holds the case's code; never another case's."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from ascolto.channels import attachments as reply_files
from ascolto.channels import uploads
from ascolto.channels.inbound import Attachment
from ascolto.channels.models import Message
from ascolto.core.errors import InvalidInput
from ascolto.tickets import actions
from ascolto.tickets.models import Ticket
from tests import factories, personas
from tests.factories import PNG
from tests.meta.cases import write
from tests.web.test_phone_reply import _phone_case

pytestmark = pytest.mark.django_db

# A real 4×4 WebP as Pillow writes it (images are decoded and written again when stored).
WEBP = (
    b"RIFF$\x00\x00\x00WEBPVP8 \x18\x00\x00\x000\x01\x00\x9d\x01*\x04\x00\x04\x00\x01@&%\xa4"
    b"\x00\x03p\x00\xfe\xfc\xf4\x00\x00"
)
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"1 0 obj\n<<>>\nendobj\n" * 20


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _scrivi_case(text: str = "Come pago la TARI?") -> Ticket:
    received = factories.submit_scrivi(text)
    assert received.ticket_id is not None
    return Ticket.objects.get(pk=received.ticket_id)


def _files(tmp_path: Path) -> list[str]:
    return sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())


def _url(ticket: Ticket) -> str:
    return reverse("console:case-action", args=[ticket.code, "reply"])


def test_a_reply_with_files_is_stored_shown_and_sent_by_email(
    cast: personas.Cast,
    django_capture_on_commit_callbacks: Any,
    mailoutbox: list[Any],
    _media: Path,
) -> None:
    ticket = _scrivi_case()
    client = _client(cast.operator)
    page = client.get(reverse("console:case", args=[ticket.code])).content.decode()
    form = re.search(r'<form[^>]*action="[^"]*/reply/"[^>]*>', page)
    assert form is not None and 'enctype="multipart/form-data"' in form.group(0)
    assert 'type="file" name="attachments"' in page and "multiple" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url(ticket),
            {
                "text": "Le inviamo il modulo e la mappa.",
                "confirmed": "True",
                "attachments": [
                    SimpleUploadedFile("modulo TARI.pdf", PDF, "application/octet-stream"),
                    SimpleUploadedFile("mappa.png", PNG, "image/png"),
                ],
            },
        )
    assert response.status_code == 302, response.content.decode()[:3000]

    reply = Message.objects.get(direction=Message.Direction.OUTBOUND)
    assert reply.status == Message.Status.SENT
    assert [(a["name"], a["content_type"], a["size"]) for a in reply.attachments] == [
        ("modulo_TARI.pdf", "application/pdf", len(PDF)),  # the type read from the bytes
        ("mappa.png", "image/png", len(PNG)),
    ]
    assert all(a["url"].startswith("storage:replies/") for a in reply.attachments)
    assert len(_files(_media)) == 2

    [mail] = mailoutbox
    assert mail.body == "Le inviamo il modulo e la mappa."
    assert [(name, data, mime) for name, data, mime in mail.attachments] == [
        ("modulo_TARI.pdf", PDF, "application/pdf"),
        ("mappa.png", PNG, "image/png"),
    ]

    page = client.get(reverse("console:case", args=[ticket.code])).content.decode()
    download = reverse("console:case-attachment", args=[ticket.code, reply.pk, 0])
    assert f'href="{download}"' in page and "modulo_TARI.pdf" in page
    got = client.get(download)
    assert got.status_code == 200 and b"".join(got.streaming_content) == PDF


def test_without_javascript_the_files_are_kept_across_the_confirmation_page(
    cast: personas.Cast, django_capture_on_commit_callbacks: Any, mailoutbox: list[Any]
) -> None:
    ticket = _scrivi_case()
    client = _client(cast.operator)

    asked = client.post(
        _url(ticket),
        {"text": "Ecco il modulo.", "attachments": [SimpleUploadedFile("modulo.pdf", PDF)]},
    )
    assert asked.status_code == 200
    page = asked.content.decode()
    assert "Inviare la risposta al cittadino?" in page
    assert "modulo.pdf" in page  # the summary names the file
    assert not Message.objects.filter(direction=Message.Direction.OUTBOUND).exists()
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))
    assert hidden["text"] == "Ecco il modulo." and hidden["staged"]

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(_url(ticket), {**hidden, "confirmed": "True"})
    assert done.status_code == 302, done.content.decode()[:3000]
    reply = Message.objects.get(direction=Message.Direction.OUTBOUND)
    assert [a["name"] for a in reply.attachments] == ["modulo.pdf"]
    [mail] = mailoutbox
    assert mail.attachments == [("modulo.pdf", PDF, "application/pdf")]

    # The kept files' list is signed for this case and this operator: not another's.
    other = _scrivi_case("Altro caso.")
    refused = _client(cast.supervisor).post(_url(other), {**hidden, "confirmed": "True"})
    assert refused.status_code == 400
    assert "I file allegati non sono di questa risposta." in refused.content.decode()
    forged = client.post(_url(ticket), {**hidden, "staged": hidden["staged"] + "x"})
    assert forged.status_code == 400
    assert Message.objects.filter(direction=Message.Direction.OUTBOUND).count() == 1


@pytest.mark.parametrize(
    ("upload", "error"),
    [
        (
            SimpleUploadedFile("virus.exe", b"MZ\x90\x00" + b"\x00" * 300),
            "Il file «virus.exe» non è un'immagine (JPEG, PNG, GIF, WebP) o un PDF.",
        ),
        (
            SimpleUploadedFile("enorme.pdf", b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024)),
            "Il file «enorme.pdf» è più grande di 10 MB.",
        ),
    ],
    ids=["type", "size"],
)
def test_a_refused_file_is_said_and_nothing_is_written(
    cast: personas.Cast, upload: Any, error: str, _media: Path
) -> None:
    ticket = _scrivi_case()
    client = _client(cast.operator)
    for confirmed in ("", "True"):
        upload.seek(0)
        response = client.post(
            _url(ticket),
            {"text": "Ecco.", "confirmed": confirmed, "attachments": [upload, PNG_UPLOAD()]},
        )
        assert response.status_code == 400
        page = html.unescape(response.content.decode())
        assert error in page
        assert "Ecco." in page  # what was typed stays
    assert not Message.objects.filter(direction=Message.Direction.OUTBOUND).exists()
    assert _files(_media) == []


def PNG_UPLOAD() -> SimpleUploadedFile:  # noqa: N802
    return SimpleUploadedFile("foto.png", PNG)


def test_more_than_five_files_are_refused(cast: personas.Cast, _media: Path) -> None:
    ticket = _scrivi_case()
    response = _client(cast.operator).post(
        _url(ticket),
        {"text": "Ecco.", "confirmed": "True", "attachments": [PNG_UPLOAD() for _ in range(6)]},
    )
    assert response.status_code == 400
    assert "Puoi allegare al massimo 5 file a una risposta." in response.content.decode()
    assert _files(_media) == []


def test_a_reply_refused_after_its_files_were_written_leaves_none(
    cast: personas.Cast, django_capture_on_commit_callbacks: Any, _media: Path
) -> None:
    instagram = personas.make_channel(
        "instagram",
        "instagram",
        "Instagram del Comune",
        {"page_id": "555000111", "opens_cases": True},
    )
    with django_capture_on_commit_callbacks(execute=True):
        ticket = write(instagram, "instagram_id", "17841400000", "Orari?", "ig_IN1")
    response = _client(cast.operator).post(
        _url(ticket),
        {
            "text": "Ecco.",
            "confirmed": "True",
            "attachments": [PNG_UPLOAD(), SimpleUploadedFile("foto.webp", WEBP)],
        },
    )
    # The files passed the common checks and were written; Instagram refuses WebP: the reply
    # is not stored, and neither are its files.
    assert response.status_code == 400
    assert "Instagram non accetta il file «foto.webp»" in html.unescape(response.content.decode())
    assert not Message.objects.filter(direction=Message.Direction.OUTBOUND).exists()
    assert _files(_media) == []


def test_the_action_checks_the_stored_files_again(cast: personas.Cast, _media: Path) -> None:
    ticket = _scrivi_case()
    [stored] = reply_files.store([PNG_UPLOAD()])
    (_media / stored.url.removeprefix("storage:")).write_bytes(b"not an image at all" * 20)
    with pytest.raises(InvalidInput, match="non è un'immagine"):
        actions.reply_to_ticket(ticket, "Ecco.", actor=cast.operator, attachments=[stored])
    elsewhere = Attachment("x.png", "image/png", 10, "storage:scrivi/abc/x.png")
    with pytest.raises(InvalidInput, match="Un allegato non è valido"):
        actions.reply_to_ticket(ticket, "Ecco.", actor=cast.operator, attachments=[elsewhere])
    assert not Message.objects.filter(direction=Message.Direction.OUTBOUND).exists()


def test_a_phone_case_says_it_carries_no_files_unless_answered_by_email(
    cast: personas.Cast,
) -> None:
    ticket = _phone_case(cast)  # the caller left no address
    page = _client(cast.operator).get(reverse("console:case", args=[ticket.code])).content.decode()
    assert 'id="reply-attachments"' in page
    assert "al telefono non si possono inviare file" in page
    assert 'name="attachments"' not in page
    assert actions.reply_route(ticket).attachments_refusal

    from ascolto.citizens.models import Citizen

    luca = Citizen.objects.create(first_name="Luca", last_name="Bianchi", email="luca@example.it")
    by_email = _phone_case(cast, luca)
    page = _client(cast.operator).get(reverse("console:case", args=[by_email.code]))
    assert 'name="attachments"' in page.content.decode()
    assert 'id="reply-attachments"' not in page.content.decode()


def test_operators_download_only_the_cases_they_may_see(cast: personas.Cast) -> None:
    ticket = _scrivi_case()
    stored = reply_files.store([SimpleUploadedFile("modulo.pdf", PDF)])
    reply = actions.reply_to_ticket(ticket, "Ecco.", actor=cast.operator, attachments=stored)
    url = reverse("console:case-attachment", args=[ticket.code, reply.pk, 0])
    assert _client(cast.operator).get(url).status_code == 200
    actions.escalate_ticket(ticket, cast.anagrafe, actor=cast.operator)
    assert _client(cast.office_operator).get(url).status_code == 404  # TARI: not its case
    assert _client(cast.anagrafe_operator).get(url).status_code == 200


def test_the_status_page_lists_a_replys_files_and_serves_only_that_cases(
    cast: personas.Cast,
) -> None:
    mine, other = _scrivi_case(), _scrivi_case("Un'altra richiesta.")
    stored = reply_files.store([SimpleUploadedFile("modulo.pdf", PDF)])
    reply = actions.reply_to_ticket(
        mine, "Ecco il modulo.", actor=cast.operator, attachments=stored
    )
    actions.reply_to_ticket(other, "Nessun file.", actor=cast.operator)
    citizen = Client()

    page = citizen.get(reverse("scrivi:status", args=[mine.code])).content.decode()
    url = reverse("scrivi:reply-file", args=[mine.code, reply.pk, 0])
    assert f'href="{url}"' in page and "modulo.pdf" in page
    got = citizen.get(url)
    assert got.status_code == 200
    assert got["Content-Disposition"].startswith("attachment;")
    assert got["Cache-Control"] == "private, no-store"
    assert b"".join(got.streaming_content) == PDF

    # Another case's code does not open this case's file, nor a bad index, nor the citizen's
    # own message's files.
    assert (
        citizen.get(reverse("scrivi:reply-file", args=[other.code, reply.pk, 0])).status_code == 404
    )
    assert (
        citizen.get(reverse("scrivi:reply-file", args=[mine.code, reply.pk, 1])).status_code == 404
    )
    inbound = Message.objects.get(conversation__tickets=mine, direction="inbound")
    inbound.attachments = [dict(reply.attachments[0])]
    inbound.save()
    assert (
        citizen.get(reverse("scrivi:reply-file", args=[mine.code, inbound.pk, 0])).status_code
        == 404
    )
    other_page = citizen.get(reverse("scrivi:status", args=[other.code])).content.decode()
    assert "modulo.pdf" not in other_page


def test_the_sweep_removes_a_replys_files_never_confirmed_and_keeps_those_sent(
    cast: personas.Cast, _media: Path
) -> None:
    ticket = _scrivi_case()
    client = _client(cast.operator)
    # The confirmation page without JavaScript kept a file; the operator never confirmed.
    asked = client.post(
        _url(ticket), {"text": "Ecco.", "attachments": [SimpleUploadedFile("bozza.pdf", PDF)]}
    )
    assert asked.status_code == 200
    sent = actions.reply_to_ticket(
        ticket,
        "Ecco il modulo.",
        actor=cast.operator,
        attachments=reply_files.store([SimpleUploadedFile("modulo.pdf", PDF)]),
    )
    [kept] = [a["url"].removeprefix("storage:") for a in sent.attachments]
    [unconfirmed] = [name for name in _files(_media) if name != kept]
    assert unconfirmed.startswith("replies/") and unconfirmed.endswith(".pdf")
    now = default_storage.get_modified_time(unconfirmed)

    with time_machine.travel(now + timedelta(hours=2)):
        assert uploads.sweep() == []  # too recent: a confirmation may still come
    with time_machine.travel(now + timedelta(days=2)):
        assert uploads.sweep() == [unconfirmed]
    assert _files(_media) == [kept]
