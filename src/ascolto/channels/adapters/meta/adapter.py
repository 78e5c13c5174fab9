"""The outbound adapter of Meta's channels: a queued reply sent through the Graph API.

WhatsApp: a free-form text (with its postscript, `raw["postscript"]`, which the case's thread
does not show: a survey's personal link), an approved template (`raw["template"]`, `channels.actions
.send_template`) or a message with choices (`raw["interactive"]`, `send_interactive`) to the
citizen's number or business-scoped user id. Messenger and Instagram Direct: a text through the
Send API to the citizen's page-scoped id, as a RESPONSE inside 24 hours or with the HUMAN_AGENT
tag after them on a Page allowed to (`channels.windows`). A reply on a comment thread (public,
or private to a comment: the social triage's `raw["social_reply"]`) is handed to the comments
adapter the registry gives it.

A reply with files (`Message.attachments`, `channels.attachments`): every file is uploaded
first (WhatsApp `/<phone_number_id>/media`; Messenger and Instagram the Attachment Upload API),
then the text goes, then one message per file referring to its upload; the text's id is the
message's, the files' ids are kept in `raw["parts"]`. Meta has no idempotency key: a transient
failure between the parts sends the reply again whole on the retry.

The returned id is Meta's (the wamid, the mid), stored as the message's external id so the
status webhooks find it. The window is checked again here, at sending time: a reply queued in
time but retried past the window fails with the reason instead of reaching Meta. A transient
Graph error is raised as is (the outbox tries again); a permanent one becomes
`OutboundUnavailable` with the reason in Italian, which marks the message failed at once (the
case page offers "Reinvia").
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from ascolto.channels.adapters import Adapter, OutboundUnavailable
from ascolto.channels.adapters.meta.graph import (
    INVALID_PARAMETER,
    INVALID_TOKEN,
    WINDOW_CLOSED,
    GraphClient,
    PermanentGraphError,
    Row,
)
from ascolto.channels.attachments import media_kind, read_stored
from ascolto.channels.models import Channel, Message
from ascolto.channels.windows import is_comment_thread, reply_window, window_refusal
from ascolto.citizens.models import Identity

RECIPIENTS: dict[str, tuple[str, ...]] = {
    Channel.Kind.WHATSAPP: (Identity.Kind.WHATSAPP, Identity.Kind.WHATSAPP_BSUID),
    Channel.Kind.MESSENGER: (Identity.Kind.FACEBOOK_PSID,),
    Channel.Kind.INSTAGRAM: (Identity.Kind.INSTAGRAM_ID,),
}


def failure_reason(error: PermanentGraphError) -> str:
    """What a permanent Graph error means for the operator, in Italian, with Meta's code."""
    reasons = {
        WINDOW_CLOSED: _(
            "sono passate più di 24 ore dall'ultimo messaggio del cittadino: invia un modello "
            "approvato"
        ),
        INVALID_TOKEN: _(
            "il token di accesso a Meta non è valido o è scaduto: avvisa l'amministratore"
        ),
        INVALID_PARAMETER: _("Meta ha rifiutato un dato del messaggio"),
        10: _("Meta non consente questo messaggio fuori dalla finestra di risposta"),
        131026: _("il destinatario non può ricevere messaggi WhatsApp"),
    }
    reason = reasons.get(error.code, _("Meta ha rifiutato il messaggio"))
    return _("%(reason)s (codice Meta %(code)s: %(message)s).") % {
        "reason": reason,
        "code": error.code or error.status or "—",
        "message": error.message,
    }


class MetaAdapter:
    """`comments` is the adapter of comment threads (the social triage's), to which a reply on
    an Instagram or Facebook comment thread is handed: one channel carries both."""

    def __init__(self, comments: Adapter | None = None) -> None:
        self.comments = comments

    def send(self, message: Message) -> str:
        channel = message.channel
        raw: dict[str, Any] = message.raw if isinstance(message.raw, dict) else {}
        if raw.get("social_reply") or is_comment_thread(message.conversation):
            if self.comments is None:
                raise OutboundUnavailable(
                    _("Le risposte ai commenti partono dalla coda dei social, non da qui.")
                )
            return self.comments.send(message)
        identity = message.conversation.identity
        if identity.kind not in RECIPIENTS.get(channel.kind, ()):
            raise OutboundUnavailable(
                _("Il cittadino non ha un recapito %(channel)s a cui rispondere.")
                % {"channel": channel.get_kind_display()}
            )
        try:
            client = GraphClient.for_channel(channel)
        except PermanentGraphError as exc:
            raise OutboundUnavailable(failure_reason(exc)) from exc
        try:
            if channel.kind == Channel.Kind.WHATSAPP:
                return self._whatsapp(client, message, identity.value, raw)
            return self._page(client, message, identity.value)
        except PermanentGraphError as exc:
            raise OutboundUnavailable(failure_reason(exc)) from exc
        finally:
            client.close()

    def _whatsapp(self, client: GraphClient, message: Message, to: str, raw: dict[str, Any]) -> str:
        phone_number_id = str(message.channel.config["phone_number_id"])
        template = raw.get("template")
        if isinstance(template, dict):  # allowed with the window closed
            return client.send_template(
                phone_number_id,
                to,
                str(template["name"]),
                str(template["language"]),
                [str(p) for p in template.get("parameters") or []],
            )
        self._check_window(message)
        interactive = raw.get("interactive")
        if isinstance(interactive, dict):
            choices = [(str(c[0]), str(c[1]), str(c[2])) for c in interactive["choices"]]
            header, footer = (
                str(interactive.get("header") or ""),
                str(interactive.get("footer") or ""),
            )
            if interactive.get("type") == "list":
                rows = [Row(cid, title, description) for cid, title, description in choices]
                return client.send_list(
                    phone_number_id,
                    to,
                    str(interactive["body"]),
                    str(interactive["button"]),
                    [("", rows)],
                    header=header,
                    footer=footer,
                )
            return client.send_buttons(
                phone_number_id,
                to,
                str(interactive["body"]),
                [(cid, title) for cid, title, _description in choices],
                header=header,
                footer=footer,
            )
        files = _files(message)
        text = _with_postscript(message.text, raw)
        if not files:
            return client.send_text(phone_number_id, to, text)
        # Every file is uploaded before anything reaches the citizen, then the text, then each
        # file as an image or a document referring to its media id.
        uploaded = [
            (
                client.upload_media(phone_number_id, data, mime, name),
                media_kind(Channel.Kind.WHATSAPP, mime, len(data)),
                name,
            )
            for name, mime, data in files
        ]
        wamid = client.send_text(phone_number_id, to, text)
        parts = [
            client.send_media(
                phone_number_id,
                to,
                kind,
                media_id=media_id,
                filename=name if kind == "document" else "",
            )
            for media_id, kind, name in uploaded
        ]
        _note_parts(message, parts)
        return wamid

    def _page(self, client: GraphClient, message: Message, to: str) -> str:
        page_id = str(message.channel.config["page_id"])
        window = self._check_window(message)
        tag = window.tag if window else ""
        files = _files(message)
        instagram = message.channel.kind == Channel.Kind.INSTAGRAM
        uploaded = []
        for name, mime, data in files:
            kind = media_kind(message.channel.kind, mime, len(data))
            attachment_id = client.upload_page_attachment(
                page_id, kind, data, mime, name, instagram=instagram
            )
            uploaded.append((attachment_id, kind))
        mid = client.send_page_text(page_id, to, message.text, tag=tag)
        parts = [
            client.send_page_attachment(page_id, to, kind, attachment_id, tag=tag)
            for attachment_id, kind in uploaded
        ]
        if parts:
            _note_parts(message, parts)
        return mid

    def _check_window(self, message: Message) -> Any:
        window = reply_window(message.conversation)
        if window is not None and not window.is_open:
            raise OutboundUnavailable(
                _("Non inviato: %(reason)s.") % {"reason": window_refusal(window)}
            )
        return window


def _files(message: Message) -> list[tuple[str, str, bytes]]:
    """The operator's files of a reply (`channels.attachments`): name, type and bytes each."""
    files = []
    for item in message.attachments or ():
        name = str(item.get("name") or "allegato")
        try:
            data = read_stored(item)
        except (FileNotFoundError, OSError) as exc:
            raise OutboundUnavailable(
                _("Il file «%(name)s» non è più nell'archivio: la risposta non è partita.")
                % {"name": name}
            ) from exc
        files.append((name, str(item.get("content_type") or "application/octet-stream"), data))
    return files


def _note_parts(message: Message, parts: list[str]) -> None:
    """Keep the ids Meta gave the files' messages in the reply's `raw` (`parts`), beside the
    text's id, which is the message's external id."""
    raw = dict(message.raw) if isinstance(message.raw, dict) else {}
    raw["parts"] = parts
    message.raw = raw


def _with_postscript(text: str, raw: dict[str, Any]) -> str:
    """The text as WhatsApp sends it: with the message's postscript (`channels.actions
    .send_message`), which reaches the citizen's chat but not the case's thread: a survey's
    personal link (`surveys.invitations.answer_tap`)."""
    postscript = str(raw.get("postscript") or "").strip()
    return f"{text}\n\n{postscript}" if postscript else text
