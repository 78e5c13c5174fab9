"""What every channel adapter hands to intake: one `InboundMessage` per message received."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar, cast

from ascolto.citizens.sender import Sender
from ascolto.core.text import one_newline_style

T = TypeVar("T")


def _one_newline_style(instance: object, *names: str) -> None:
    """Normalise the line endings of the named text fields of a frozen dataclass, in place."""
    for name in names:
        value = getattr(instance, name)
        if isinstance(value, str) and "\r" in value:
            object.__setattr__(instance, name, one_newline_style(value))


# An attachment's `url` starting with this names a file in Django's default storage (a citizen's
# upload, personal data: no public URL); staff fetch it through the case page.
STORED = "storage:"


@dataclass(frozen=True)
class Attachment:
    """A file that came with a message, already stored; `url` is where it can be fetched: a
    channel's media URL, or `STORED` + the name of a file in the default storage."""

    name: str
    content_type: str
    size: int
    url: str = ""


@dataclass(frozen=True)
class CaseHints:
    """What the channel already knows about the case: a web form's kind and category, the
    campaign of a dedicated mailbox, a disservice report's place. Codes, not objects, so adapters
    stay free of the tickets app."""

    kind: str = ""
    theme: str = ""
    campaign: str = ""
    place: str = ""
    open_case: bool | None = None  # None: the channel's `opens_cases` decides
    # The public tracking code the case must get, when the channel already showed one to the
    # citizen (the Scrivi form shows it before the queued submission is taken in).
    code: str = ""
    # A conversation of another channel whose case this message continues (a mail answering
    # one that case sent from another channel: the Scrivi acknowledgement, a phone case's reply
    # by email). The message's own conversation is linked to that case when it has none.
    continues: int | None = None
    # The external system that sent the request with its API token (the token's name): the
    # case's events recorded as it is taken in name it, as those of what it asks later do
    # (`core.acting`). Travels in the queued row's payload: no column, no extra statement.
    system: str = ""

    def __post_init__(self) -> None:
        _one_newline_style(self, "place")


@dataclass(frozen=True)
class InboundMessage:
    """One message as a channel received it.

    `channel` is the code of a configured `Channel`; `external_id` the message's id on that
    channel (a WhatsApp wamid, a Messenger mid, an email Message-ID, a form submission's uuid, a
    call id). `handle_kind` is an `Identity.Kind` value and `handle` the sender's handle on it.
    `thread_id`, when the channel has one (an email thread, a comment thread, a call), keeps
    messages of one thread in one conversation. `sender` is what the sender told us about
    themselves (a web form, a logged call), normalised as it is built (`citizens.sender.Sender`).
    `privacy_notice` is the version of the privacy notice the sender accepted with this message
    (the Scrivi form's `ASCOLTO_PRIVACY_NOTICE_VERSION`), "" when the channel shows none: intake
    records it as a `citizens.Consent` of the citizen it resolves. `raw` is the payload as
    received, kept for audit.

    Line endings of the citizen's text (CRLF from browsers and mail, lone CR) are made LF here,
    however the message is built, so no adapter can forget it (`raw` is kept as received).
    """

    channel: str
    external_id: str
    handle_kind: str
    handle: str
    text: str
    sent_at: datetime | None = None
    display_name: str = ""
    thread_id: str = ""
    subject: str = ""
    attachments: tuple[Attachment, ...] = ()
    sender: Sender = field(default_factory=Sender)
    hints: CaseHints = field(default_factory=CaseHints)
    privacy_notice: str = ""
    raw: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        _one_newline_style(self, "text", "subject", "display_name")


def to_json(inbound: InboundMessage) -> dict[str, Any]:
    """`inbound` as plain JSON (the intake queue stores it so), read back by `from_json`."""
    data = dataclasses.asdict(inbound)
    data["sent_at"] = inbound.sent_at.isoformat() if inbound.sent_at else None
    data["attachments"] = [dataclasses.asdict(a) for a in inbound.attachments]
    return data


def from_json(data: dict[str, Any]) -> InboundMessage:
    """The `InboundMessage` that `to_json` wrote."""
    values = dict(data)
    sent_at = values.get("sent_at")
    values["sent_at"] = datetime.fromisoformat(sent_at) if sent_at else None
    values["attachments"] = tuple(Attachment(**a) for a in values.get("attachments") or ())
    sender = dict(values.get("sender") or {})
    # Rows queued before the consent was recorded carried a bare flag, with no notice version.
    sender.pop("privacy_consent", None)
    values["sender"] = Sender(**sender)
    values["hints"] = CaseHints(**(values.get("hints") or {}))
    return InboundMessage(**values)


def without_nul(value: T) -> T:
    """`value` with every NUL character removed from its strings, however deeply nested.

    Channels do deliver NULs (in a message, a name, a JSON payload), and PostgreSQL stores none,
    neither in text columns nor in jsonb: left in, they would make the whole message fail there.
    """
    result: Any = value
    if isinstance(value, str):
        result = value.replace("\x00", "")
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: without_nul(getattr(value, f.name)) for f in dataclasses.fields(value)}
        result = dataclasses.replace(value, **changes)
    elif isinstance(value, dict):
        result = {without_nul(k): without_nul(v) for k, v in value.items()}
    elif isinstance(value, list | tuple):
        result = type(value)(without_nul(v) for v in value)
    return cast(T, result)
