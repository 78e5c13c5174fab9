"""A case sent by an external system through the API enters like any channel's request.

The API is a channel (`Channel.Kind.API`, code `CHANNEL`): `submit` builds the system's
request as an `InboundMessage` (as the Scrivi form does) and accepts it into the intake queue
(`channels.queue.accept`: the message checked as intake will check it, one insert, the tracking
code drawn now); the drain opens the case, routed and with its SLA like any other. A request
sent twice with the same `external_id` is stored once (`AlreadyAccepted`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ascolto.channels import queue
from ascolto.channels.inbound import CaseHints, InboundMessage
from ascolto.channels.models import Channel
from ascolto.citizens.models import Identity
from ascolto.citizens.sender import Sender
from ascolto.core.acting import MAX_NAME
from ascolto.core.errors import InvalidInput
from ascolto.core.memo import Kept
from ascolto.tickets import codes

CHANNEL = "api"


@dataclass(frozen=True)
class Submission:
    """What a system sends to open a case: the citizen's text and details, the case's hints."""

    text: str
    sender: Sender
    subject: str = ""
    kind: str = ""
    theme: str = ""
    place: str = ""
    external_id: str = ""


@dataclass(frozen=True)
class Accepted:
    code: str
    replayed: bool  # the same request was accepted before: its first code


# The channel is read once every CHANNEL_SECONDS per process, not on every case sent: a change
# (switched off by an administrator) is seen at once by the process that saved it
# (`forget_channel`, on Channel's signals, wired in api/apps.py) and within CHANNEL_SECONDS by
# the others, as the Meta webhook's cache of channels.
CHANNEL_SECONDS = 10.0
_channel: Kept[str, Channel] = Kept(CHANNEL_SECONDS)


def api_channel() -> Channel:
    """The API's channel, created the first time a system sends a case."""
    return _channel.get(CHANNEL, _read_channel)


def _read_channel() -> Channel:
    channel = Channel.objects.filter(code=CHANNEL).first()
    if channel is None:
        try:
            with transaction.atomic():
                channel = Channel.objects.create(code=CHANNEL, kind=Channel.Kind.API, name="API")
        except IntegrityError:
            channel = Channel.objects.get(code=CHANNEL)
    return channel


def forget_channel(**_: object) -> None:
    """A channel was saved or deleted in this process: read the API's again."""
    _channel.forget()


def submit(submission: Submission, *, system: str, namespace: str, acting: str = "") -> Accepted:
    """Accept `submission` from the external system `system` into the intake queue. Its
    `external_id` is the system's own: kept under `namespace` (one per token), so two systems'
    ids never collide. `acting` is the token's system, which the case's opening names as who
    made it (`CaseHints.system`); "" for a member of staff's session."""
    sender = submission.sender
    if sender.email:
        kind, handle = Identity.Kind.EMAIL, sender.email
    elif sender.phone:
        kind, handle = Identity.Kind.PHONE, sender.phone
    else:
        raise InvalidInput(
            _("Indica l'email o il telefono del cittadino, per rispondergli."),
            field="sender.email",
        )
    channel = api_channel()
    external_id = f"{namespace}:{submission.external_id or uuid.uuid4()}"
    code = codes.new_code()
    inbound = InboundMessage(
        channel=channel.code,
        external_id=external_id,
        handle_kind=kind,
        handle=handle,
        text=submission.text.strip(),
        subject=submission.subject.strip(),
        sent_at=timezone.now(),
        display_name=f"{sender.first_name} {sender.last_name}".strip()[:200],
        sender=sender,
        hints=CaseHints(
            kind=submission.kind,
            theme=submission.theme,
            place=submission.place,
            code=code,
            system=acting[:MAX_NAME],
        ),
        raw={"system": system[:MAX_NAME]},
    )
    try:
        queue.accept(inbound, channel)
    except queue.AlreadyAccepted as earlier:
        if not earlier.same:
            raise InvalidInput(
                _("Questo external_id è già stato usato per una richiesta diversa."),
                field="external_id",
            ) from earlier
        return Accepted(earlier.code, replayed=True)
    return Accepted(code, replayed=False)
