"""Email adapter: replies by email, for mailboxes and for the Scrivi web form.

Outbound mail goes through Django's email backend (SMTP in production, the console in the demo,
an in-memory outbox in tests), or through the mailbox's own SMTP server when its configuration
names one. A reply on a mailbox leaves from the mailbox's address. Each reply carries a
Message-ID of ours, made unguessable (`new_message_id`) and stored as the message's external id,
In-Reply-To the citizen's last message and References its thread, so the citizen's mail client
threads it and their answer comes back to the same case, whichever mailbox it reaches
(`receive.py`); on a mailbox read over IMAP the subject also carries a
signed reply token, for the clients that drop those headers. Every reply carries
`X-Ascolto-Loop` (a mail of ours that comes back is dropped, never taken in), and replies no
person wrote (the acknowledgement) `Auto-Submitted: auto-replied`, so a citizen's out-of-office
does not answer them (RFC 3834). Every header made of text a citizen wrote (the subject quotes
their request) is built by `core.text.header_text`: one line, bounded. The files an operator
attached (`Message.attachments`, `channels.attachments`) go as MIME parts of the mail.
"""

from __future__ import annotations

import re
import secrets
from email.utils import formataddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils.translation import gettext as _

from ascolto.channels.adapters import OutboundUnavailable
from ascolto.channels.adapters.email.inbound import LOOP_HEADER, message_ids, reply_token
from ascolto.channels.attachments import read_stored
from ascolto.channels.config import secret
from ascolto.channels.models import Channel, Message
from ascolto.citizens.models import Identity
from ascolto.core.text import HEADER_LIMIT, header_text

# A Message-ID as mail clients send it; anything else (whitespace, line breaks) is not threaded on.
_MESSAGE_ID = re.compile(r"<[^\s<>]{1,250}>")
MAX_REFERENCES = 20


def _connection(channel: Channel) -> Any:
    """The mailbox's own SMTP server, when its configuration names one; else None (Django's)."""
    config = channel.config
    host = str(config.get("smtp_host") or "") if channel.kind == Channel.Kind.EMAIL else ""
    if not host:
        return None
    mode = config.get("smtp_tls", "starttls")
    return get_connection(
        "django.core.mail.backends.smtp.EmailBackend",
        host=host,
        port=int(config.get("smtp_port") or 587),
        username=str(config.get("smtp_user") or "") or None,
        password=secret(str(config.get("smtp_password_env") or "")) or None,
        use_tls=mode == "starttls",
        use_ssl=mode == "ssl",
        timeout=30,
        fail_silently=False,
    )


def new_message_id(domain: str) -> str:
    """A Message-ID no one can guess: 192 random bits from the operating system's CSPRNG.

    Not `email.utils.make_msgid`: its 64 bits come from `random` (a Mersenne Twister, whose
    state can be rebuilt from outputs a citizen receives) beside a timestamp and a process id.
    A reply naming one of our Message-IDs threads into the case that sent it (`receive.py`):
    knowing one must mean having received the mail."""
    return f"<{secrets.token_urlsafe(24)}@{domain}>"


def recipient(kind: str, value: str, citizen_email: str | None) -> str:
    """The address mail of a conversation goes to: its email handle, else its citizen's email
    (`citizen_email`, None when the handle has no citizen); "" when there is none."""
    return (value if kind == Identity.Kind.EMAIL else "") or citizen_email or ""


class EmailAdapter:
    def send(self, message: Message) -> str:
        conversation = message.conversation
        identity = conversation.identity
        address = recipient(
            identity.kind,
            identity.value,
            identity.citizen.email if identity.citizen is not None else None,
        )
        if not address:
            raise OutboundUnavailable(
                _("Il cittadino non ha lasciato un indirizzo email a cui rispondere.")
            )
        channel = message.channel
        mailbox = str(channel.config.get("address") or "") if channel.kind == "email" else ""
        parent = (
            conversation.messages.filter(direction=Message.Direction.INBOUND)
            .exclude(external_id="")
            .order_by("-sent_at", "-pk")
            .values_list("external_id", "raw")
            .first()
        )
        domain = mailbox.rpartition("@")[2] or "ascolto.local"
        message_id = new_message_id(domain)
        headers = {"Message-ID": message_id, LOOP_HEADER: mailbox or domain}
        if message.author_id is None:
            headers["Auto-Submitted"] = "auto-replied"
        if parent and _MESSAGE_ID.fullmatch(parent[0]):
            raw = parent[1] if isinstance(parent[1], dict) else {}
            earlier = message_ids(
                str((raw.get("email") or {}).get("headers", {}).get("References"))
            )
            chain = [*earlier[-(MAX_REFERENCES - 1) :], parent[0]]
            headers["In-Reply-To"] = parent[0]
            headers["References"] = " ".join(dict.fromkeys(chain))
        # The subject quotes what the citizen wrote: one clean line, never a header break.
        subject = message.subject or conversation.subject or settings.ASCOLTO_MUNICIPALITY
        token = f"[#{reply_token(conversation.pk)}]"
        if mailbox and channel.config.get("imap_host") and token not in subject:
            # The token ends the subject, so no cut of a long subject drops it.
            subject = f"{header_text(subject, HEADER_LIMIT - len(token) - 1)} {token}"
        else:
            subject = header_text(subject)
        from_email = formataddr((settings.ASCOLTO_MUNICIPALITY, mailbox)) if mailbox else None
        body = message.text
        postscript = message.raw.get("postscript") if isinstance(message.raw, dict) else None
        if postscript:
            # Only in the mail (the answer link of a question): never in the stored text.
            body = f"{body}\n\n{postscript}"
        mail = EmailMessage(
            subject=subject,
            body=body,
            from_email=from_email,
            to=[address],
            headers=headers,
            connection=_connection(channel),
        )
        for item in message.attachments or ():
            # The operator's files (`channels.attachments`), as MIME parts of the mail.
            try:
                data = read_stored(item)
            except (FileNotFoundError, OSError) as exc:
                raise OutboundUnavailable(
                    _("Il file «%(name)s» non è più nell'archivio: la risposta non è partita.")
                    % {"name": item.get("name") or ""}
                ) from exc
            mail.attach(
                str(item.get("name") or "allegato"),
                data,
                str(item.get("content_type") or "application/octet-stream"),
            )
        mail.send(fail_silently=False)
        return message_id
