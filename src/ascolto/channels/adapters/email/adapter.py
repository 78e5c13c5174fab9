"""Email adapter: replies by email, for mailboxes and for the Scrivi web form.

Outbound mail goes through Django's email backend (SMTP in production, the console in the demo,
an in-memory outbox in tests). Each reply carries a Message-ID of ours and In-Reply-To of the
citizen's last message, so the citizen's mail client threads it and their answer comes back to
the same conversation. Every header made of text a citizen wrote (the subject quotes their
request) is built by `core.text.header_text`: one line, bounded.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.message import make_msgid
from django.utils.translation import gettext as _

from ascolto.channels.adapters import OutboundUnavailable
from ascolto.channels.models import Message
from ascolto.citizens.models import Identity
from ascolto.core.text import header_text

# A Message-ID as mail clients send it; anything else (whitespace, line breaks) is not threaded on.
_MESSAGE_ID = re.compile(r"<[^\s<>]{1,250}>")


class EmailAdapter:
    def send(self, message: Message) -> str:
        identity = message.conversation.identity
        address = identity.value if identity.kind == Identity.Kind.EMAIL else ""
        if not address and identity.citizen is not None:
            address = identity.citizen.email
        if not address:
            raise OutboundUnavailable(
                _("Il cittadino non ha lasciato un indirizzo email a cui rispondere.")
            )
        last_inbound = (
            message.conversation.messages.filter(direction=Message.Direction.INBOUND)
            .exclude(external_id="")
            .order_by("-sent_at")
            .values_list("external_id", flat=True)
            .first()
        )
        message_id = make_msgid(domain="ascolto.local")
        headers = {"Message-ID": message_id}
        if last_inbound and _MESSAGE_ID.fullmatch(last_inbound):
            headers["In-Reply-To"] = last_inbound
            headers["References"] = last_inbound
        # The subject quotes what the citizen wrote: one clean line, never a header break.
        subject = header_text(
            message.subject or message.conversation.subject or settings.ASCOLTO_MUNICIPALITY
        )
        EmailMessage(subject=subject, body=message.text, to=[address], headers=headers).send(
            fail_silently=False
        )
        return message_id
