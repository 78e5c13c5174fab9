"""Which handles of an inbound message the channel itself proves (decision 0009).

A handle is *verified* when the channel, not the sender, vouches for it: the WhatsApp number or
user id Meta delivers the message from, a Messenger or Instagram id, the From address of a mail
that reached our mailbox, the caller's handle an operator records for a call, the subject of a
signed-in citizen. Every other handle was merely typed (the Scrivi form's email and phone, the
details a caller tells the operator): it may find a citizen, but never moves a handle that
belongs to another citizen, and never files the request under a citizen whose name, email or
fiscal code disagree. This table is the one place that decides; intake asks it per message.
"""

from __future__ import annotations

from ascolto.channels.models import Channel
from ascolto.citizens.models import Identity

Kind = Identity.Kind

# The sender handle kinds each kind of channel proves.
VERIFIED_SENDER: dict[str, frozenset[str]] = {
    Channel.Kind.WEB: frozenset(),  # the Scrivi form: the email is typed by whoever submits
    Channel.Kind.API: frozenset(),  # an integration relays what its users typed
    Channel.Kind.EMAIL: frozenset({Kind.EMAIL}),  # the From of a mail that reached the mailbox
    # A logged call: the handle the operator records for the caller, the line the call came in
    # on or, without one, a contact of the citizen the operator chose (an operator's entry).
    Channel.Kind.PHONE: frozenset({Kind.PHONE, Kind.EMAIL}),
    Channel.Kind.WHATSAPP: frozenset({Kind.WHATSAPP, Kind.WHATSAPP_BSUID}),
    Channel.Kind.MESSENGER: frozenset({Kind.FACEBOOK_PSID}),
    Channel.Kind.FACEBOOK: frozenset({Kind.FACEBOOK_PSID}),
    Channel.Kind.INSTAGRAM: frozenset({Kind.INSTAGRAM_ID}),
}
# A login subject is only ever produced by a sign-in (SPID, CIE), on whatever channel it arrives.
ALWAYS_VERIFIED: frozenset[str] = frozenset({Kind.LOGIN})


def sender_verified(channel_kind: str, handle_kind: str) -> bool:
    """Whether a message's sender handle of `handle_kind` is proven by a channel of
    `channel_kind`. The extra details a message carries (its `Sender`) never are."""
    return handle_kind in ALWAYS_VERIFIED or handle_kind in VERIFIED_SENDER.get(
        channel_kind, frozenset()
    )
