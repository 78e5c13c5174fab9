"""Channel adapters: one package per channel kind, registered here by kind.

An adapter turns what its channel delivers into `InboundMessage`s (in its webhook view or
poller) and sends outbound messages (`send`): email (mailboxes and the Scrivi form), WhatsApp,
Messenger and Instagram Direct (`meta/`). A kind without one (a phone line, Facebook comments,
which the social triage answers through the Graph client) fails a reply with a clear reason
instead of dropping it silently.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from ascolto.channels.models import Message


class OutboundUnavailable(Exception):
    """This channel cannot carry a reply (no adapter yet, or no address to reply to)."""


class Adapter(Protocol):
    def send(self, message: Message) -> str:
        """Send `message`; return its id on the channel."""
        ...


def get_adapter(kind: str) -> Adapter:
    from ascolto.channels.adapters.email.adapter import EmailAdapter
    from ascolto.channels.adapters.meta.adapter import MetaAdapter
    from ascolto.channels.adapters.meta.comments import CommentReplies

    adapters: dict[str, Adapter] = {
        "email": EmailAdapter(),
        "web": EmailAdapter(),
        "whatsapp": MetaAdapter(),
        "messenger": MetaAdapter(),
        "facebook": CommentReplies(),  # the page's comment threads (decision 0015)
        # Instagram carries Direct messages and comment threads (handed to the comments').
        "instagram": MetaAdapter(comments=CommentReplies()),
    }
    adapter = adapters.get(kind)
    if adapter is None:
        raise OutboundUnavailable(
            _("Le risposte sul canale «%(kind)s» non sono ancora disponibili.") % {"kind": kind}
        )
    return adapter
