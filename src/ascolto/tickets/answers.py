"""The citizen's answer on the web: the signed link sent with a question, and its check.

When an operator asks the citizen a question (`actions.wait_for_citizen`) on a case that came
from the Scrivi form, the mail carries a link to the case's status page with a signed token
(`django.core.signing`, its own salt) naming the case's code and the conversation the question
went out on. The status page offers a reply box only with that token: the tracking code alone
(which the citizen may have shared, or written on a paper) shows the status, never lets anyone
write into the case. The token expires after `ASCOLTO_ANSWER_LINK_DAYS` days. `actions.
accept_answer` takes the answer into the intake queue, on the conversation's thread, so intake
puts the case back to work as it does for any message of the citizen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext as _

from ascolto.channels.models import Channel, Conversation
from ascolto.core.errors import InvalidInput
from ascolto.tickets.models import Ticket

SALT = "ascolto.scrivi.answer"
# The status page's query parameter that carries the token.
PARAMETER = "risposta"


def link_days() -> int:
    return int(getattr(settings, "ASCOLTO_ANSWER_LINK_DAYS", 30) or 30)


def offers_link(conversation: Conversation) -> bool:
    """Whether a question on this conversation carries the answer link: the Scrivi form's
    (web) cases. A citizen who wrote by email answers by email."""
    return bool(conversation.channel.kind == Channel.Kind.WEB)


def answer_token(ticket: Ticket, conversation: Conversation) -> str:
    return signing.dumps({"code": ticket.code, "conversation": conversation.pk}, salt=SALT)


def answer_url(ticket: Ticket, conversation: Conversation) -> str:
    """The absolute link to the case's status page with the answer token."""
    query = urlencode({PARAMETER: answer_token(ticket, conversation)})
    path = reverse("scrivi:status", args=[ticket.code])
    return f"{settings.ASCOLTO_PUBLIC_URL}{path}?{query}"


def answer_postscript(ticket: Ticket, conversation: Conversation) -> str:
    """What the question's mail says after the question: where to answer."""
    return _(
        "Può rispondere a questa domanda dalla pagina della sua richiesta, con questo link "
        "personale (valido %(days)d giorni, non lo inoltri ad altri): %(url)s"
    ) % {"days": link_days(), "url": answer_url(ticket, conversation)}


@dataclass(frozen=True)
class Answerable:
    """A case waiting for the citizen, and the conversation the answer goes to."""

    ticket: Ticket
    conversation: Conversation


def _refused(message: str) -> InvalidInput:
    return InvalidInput(message, field="token")


def check_answer_token(code: str, token: str) -> Answerable:
    """The case and conversation a valid token for the case `code` names, if the case waits
    for the citizen; otherwise `InvalidInput` with the reason in Italian (the citizen reads it).
    """
    try:
        data: Any = signing.loads(token, salt=SALT, max_age=link_days() * 86400)
    except signing.SignatureExpired as exc:
        raise _refused(
            _(
                "Il link per rispondere è scaduto. Puoi scrivere di nuovo al Comune con il "
                "modulo, citando il codice della pratica."
            )
        ) from exc
    except signing.BadSignature as exc:
        raise _refused(
            _("Il link per rispondere non è valido: usa il link completo ricevuto per email.")
        ) from exc
    if (
        not isinstance(data, dict)
        or data.get("code") != code
        or not isinstance(data.get("conversation"), int)
    ):
        raise _refused(_("Il link per rispondere non è di questa pratica."))
    ticket = Ticket.objects.filter(code=code).first()
    conversation = (
        Conversation.objects.select_related("channel", "identity")
        .filter(pk=int(data["conversation"]), tickets=ticket)
        .first()
        if ticket is not None
        else None
    )
    if ticket is None or conversation is None:
        raise _refused(_("Il link per rispondere non è di questa pratica."))
    if ticket.status != Ticket.Status.WAITING:
        raise _refused(
            _(
                "Questa pratica non è in attesa di una tua risposta: non serve rispondere qui. "
                "Se vuoi aggiungere qualcosa, scrivi di nuovo al Comune citando il codice."
            )
        )
    return Answerable(ticket, conversation)
