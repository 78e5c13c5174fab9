"""A reply's files on Meta's channels, end to end against the local Graph server over real HTTP:
WhatsApp uploads each file to `/<phone_number_id>/media` and sends it as an image or a
document naming the media id; Messenger and Instagram upload through the Attachment Upload API
and send the attachment id. The sandbox checks that a message names only a file it received."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from ascolto.channels import attachments as reply_files
from ascolto.channels.adapters.meta.graph import GraphClient, PermanentGraphError
from ascolto.channels.adapters.meta.sandbox import GraphSandbox
from ascolto.channels.models import Message
from ascolto.tickets import actions
from tests import personas
from tests.meta.cases import whatsapp_case, with_templates, write
from tests.web.test_reply_attachments import PDF, PNG

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PAGE_ID = "555000111"


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


def _files() -> Any:
    return reply_files.store(
        [SimpleUploadedFile("mappa.png", PNG), SimpleUploadedFile("modulo TARI.pdf", PDF)]
    )


def test_whatsapp_uploads_each_file_then_sends_the_text_and_the_files(
    cast: personas.Cast, graph_sandbox: GraphSandbox, django_capture_on_commit_callbacks: Any
) -> None:
    whatsapp = with_templates(cast.whatsapp)
    with time_machine.travel(T0, tick=False) as clock:
        ticket = whatsapp_case(whatsapp, django_capture_on_commit_callbacks)
        clock.shift(timedelta(hours=2))
        with django_capture_on_commit_callbacks(execute=True):
            reply = actions.reply_to_ticket(
                ticket, "Ecco la mappa e il modulo.", actor=cast.operator, attachments=_files()
            )

    uploads = graph_sandbox.sent("/media")
    assert [u.path for u in uploads] == ["/v23.0/1234567890/media"] * 2
    assert [u.body for u in uploads] == [
        {"messaging_product": "whatsapp", "type": "image/png"},
        {"messaging_product": "whatsapp", "type": "application/pdf"},
    ]
    assert [(f.filename, f.content_type, f.data) for u in uploads for f in u.files.values()] == [
        ("mappa.png", "image/png", PNG),
        ("modulo_TARI.pdf", "application/pdf", PDF),
    ]
    assert all(u.authorization == f"Bearer {graph_sandbox.token}" for u in uploads)
    # What the sandbox kept is what was sent: served back by its media id.
    assert [m.data for m in graph_sandbox.media.values()] == [PNG, PDF]
    [png_id, pdf_id] = list(graph_sandbox.media)

    text, image, document = graph_sandbox.sent("/messages")
    assert text.body["text"]["body"] == "Ecco la mappa e il modulo."
    assert (image.body["type"], image.body["image"]) == ("image", {"id": png_id})
    assert (document.body["type"], document.body["document"]) == (
        "document",
        {"id": pdf_id, "filename": "modulo_TARI.pdf"},
    )
    assert all(m.body["to"] == "393331234567" for m in (text, image, document))
    reply.refresh_from_db()
    assert reply.status == Message.Status.SENT
    assert reply.external_id.startswith("wamid.")
    assert len(reply.raw["parts"]) == 2 and all(p.startswith("wamid.") for p in reply.raw["parts"])


def test_the_sandbox_refuses_a_media_id_it_never_received(graph_sandbox: GraphSandbox) -> None:
    with GraphClient(graph_sandbox.token) as client:
        with pytest.raises(PermanentGraphError) as refused:
            client.send_media("1234567890", "+393331234567", "document", media_id="404")
        assert refused.value.code == 131053
        with pytest.raises(PermanentGraphError):
            client.send_page_attachment(PAGE_ID, "6789012345", "image", "404")


@pytest.mark.parametrize("kind", ["messenger", "instagram"])
def test_messenger_and_instagram_upload_then_send_the_attachment_id(
    cast: personas.Cast,
    graph_sandbox: GraphSandbox,
    django_capture_on_commit_callbacks: Any,
    kind: str,
) -> None:
    channel = personas.make_channel(
        kind, kind, f"{kind} del Comune", {"page_id": PAGE_ID, "opens_cases": True}
    )
    handle = {"messenger": "facebook_psid", "instagram": "instagram_id"}[kind]
    with time_machine.travel(T0, tick=False) as clock:
        with django_capture_on_commit_callbacks(execute=True):
            ticket = write(channel, handle, "6789012345", "Buche in via Roma.", "m_IN1")
        clock.shift(timedelta(hours=1))
        with django_capture_on_commit_callbacks(execute=True):
            reply = actions.reply_to_ticket(
                ticket, "Ecco la mappa e il modulo.", actor=cast.operator, attachments=_files()
            )

    uploads = graph_sandbox.sent("/message_attachments")
    assert [u.path for u in uploads] == [f"/v23.0/{PAGE_ID}/message_attachments"] * 2
    assert [json.loads(u.body["message"]) for u in uploads] == [
        {"attachment": {"type": "image", "payload": {"is_reusable": False}}},
        {"attachment": {"type": "file", "payload": {"is_reusable": False}}},
    ]
    platform = {"messenger": None, "instagram": "instagram"}[kind]
    assert all(u.body.get("platform") == platform for u in uploads)
    assert [u.files["filedata"].data for u in uploads] == [PNG, PDF]
    [png_id, pdf_id] = list(graph_sandbox.attachments)

    text, image, document = graph_sandbox.sent(f"{PAGE_ID}/messages")
    assert text.body["message"] == {"text": "Ecco la mappa e il modulo."}
    assert image.body == {
        "recipient": {"id": "6789012345"},
        "messaging_type": "RESPONSE",
        "message": {"attachment": {"type": "image", "payload": {"attachment_id": png_id}}},
    }
    assert document.body["message"]["attachment"] == {
        "type": "file",
        "payload": {"attachment_id": pdf_id},
    }
    reply.refresh_from_db()
    assert reply.status == Message.Status.SENT and len(reply.raw["parts"]) == 2


def test_a_comment_thread_carries_no_files(cast: personas.Cast) -> None:
    from ascolto.channels.actions import receive
    from ascolto.channels.inbound import InboundMessage

    instagram = personas.make_channel(
        "instagram", "instagram", "Instagram del Comune", {"page_id": PAGE_ID, "opens_cases": True}
    )
    received = receive(
        InboundMessage(
            channel=instagram.code,
            external_id="c1",
            handle_kind="instagram_id",
            handle="17841400000",
            text="Quando aprite?",
            thread_id="comments:post1",
            raw={"social": {"comment_id": "c1"}},
        )
    )
    assert "commenti" in reply_files.refusal(received.conversation)
    assert reply_files.refusal(None)
