"""Open311's one write: a service request, taken in through the intake queue like a Scrivi
submission (`channels.queue.accept`), as a disservice report filed under the service's theme.

The request becomes an `InboundMessage` of the Open311 channel (kind API,
`ASCOLTO_OPEN311_CHANNEL`): the reporter's email (or phone) is its handle, their names the
sender; the place hint is the address and the position; the text is the description, the
answers to the service's questions and the photo's address, for the operators. What the public
feed may show again (position, address, photo, description) is kept in the message's `raw`,
without the reporter's contacts. The case is created by the drain that follows; the answer
carries its id when it already exists, else a token (`open311.queries.token_request`).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from ascolto.api.models import ApiToken
from ascolto.channels import queue
from ascolto.channels.inbound import CaseHints, InboundMessage
from ascolto.channels.models import Channel
from ascolto.citizens.models import Identity
from ascolto.citizens.sender import Sender
from ascolto.core.errors import InvalidInput, NotFound
from ascolto.open311.queries import channel_code
from ascolto.tickets import codes
from ascolto.tickets import open311 as questions
from ascolto.tickets.models import Theme, Ticket

MAX_DESCRIPTION = 4000  # the spec's limit
MAX_URL = 500


@dataclass(frozen=True)
class Report:
    """A POSTed service request, as sent (strings; "" when absent)."""

    service_code: str
    lat: str = ""
    long: str = ""
    address_string: str = ""
    address_id: str = ""
    email: str = ""
    phone: str = ""
    first_name: str = ""
    last_name: str = ""
    description: str = ""
    media_url: str = ""
    answers: Mapping[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Submitted:
    """The answer to a POST: the request's id when its case exists, else the token."""

    service_request_id: str | None
    token: str | None


def _position(report: Report) -> tuple[float, float] | None:
    if not report.lat and not report.long:
        return None
    if not report.lat or not report.long:
        raise InvalidInput(_("Servono sia la latitudine sia la longitudine."), field="lat")
    try:
        lat, long = float(report.lat), float(report.long)
    except ValueError as exc:
        raise InvalidInput(
            _("Latitudine e longitudine sono numeri (WGS84, come 45.4642 e 9.19)."), field="lat"
        ) from exc
    if not (math.isfinite(lat) and math.isfinite(long)) or abs(lat) > 90 or abs(long) > 180:
        raise InvalidInput(_("Latitudine tra -90 e 90, longitudine tra -180 e 180."), field="lat")
    return lat, long


def _check(report: Report, theme: Theme) -> tuple[float, float] | None:
    position = _position(report)
    if position is None and not report.address_string.strip() and not report.address_id.strip():
        raise InvalidInput(
            _("Indicare il luogo: lat e long, oppure address_string, oppure address_id."),
            field="lat",
        )
    if len(report.address_string) > 200 or len(report.address_id) > 50:
        raise InvalidInput(_("L'indirizzo è troppo lungo."), field="address_string")
    if not report.email.strip() and not report.phone.strip():
        raise InvalidInput(
            _("Indicare un recapito di chi segnala (email o telefono), per la risposta."),
            field="email",
        )
    if len(report.description) > MAX_DESCRIPTION:
        raise InvalidInput(
            _("La descrizione supera i %(max)d caratteri.") % {"max": MAX_DESCRIPTION},
            field="description",
        )
    url = report.media_url.strip()
    if url and (len(url) > MAX_URL or not url.lower().startswith(("https://", "http://"))):
        raise InvalidInput(_("media_url deve essere un indirizzo http(s)."), field="media_url")
    refused = questions.answers_refusal(
        questions.attributes(theme.open311_attributes), report.answers
    )
    if refused is not None:
        raise refused
    return position


def _place(report: Report, position: tuple[float, float] | None) -> str:
    parts = [report.address_string.strip()]
    if position is not None:
        parts.append(f"({position[0]:.6f}, {position[1]:.6f})")
    if report.address_id.strip():
        parts.append(_("id indirizzo %(id)s") % {"id": report.address_id.strip()})
    return " ".join(p for p in parts if p)[:255]


def _text(report: Report, theme: Theme) -> str:
    asked = questions.attributes(theme.open311_attributes)
    parts = [report.description.strip() or theme.name]
    answered = questions.answers_text(asked, report.answers)
    if answered:
        parts.append(answered)
    if report.media_url.strip():
        parts.append(_("Foto: %(url)s") % {"url": report.media_url.strip()})
    return "\n\n".join(parts)


def submit_request(report: Report, theme: Theme, *, token: ApiToken) -> Submitted:
    """Accept a service request under `theme` (a public service) from the system of `token`;
    `InvalidInput` for what is wrong with it, `NotFound` when the Open311 channel is missing."""
    position = _check(report, theme)
    channel = Channel.objects.filter(code=channel_code(), is_active=True).first()
    if channel is None:
        raise NotFound(_("Il canale Open311 non è configurato o non è attivo."), field="channel")
    sender = Sender(
        first_name=report.first_name,
        last_name=report.last_name,
        email=report.email,
        phone=report.phone,
    )
    external = uuid.uuid4().hex
    code = codes.new_code()
    inbound = InboundMessage(
        channel=channel.code,
        external_id=f"open311-{external}",
        handle_kind=Identity.Kind.EMAIL if sender.email else Identity.Kind.PHONE,
        handle=sender.email or sender.phone,
        text=_text(report, theme),
        sent_at=timezone.now(),
        display_name=f"{sender.first_name} {sender.last_name}".strip()[:200],
        thread_id=f"open311-{external}",
        subject=theme.name[:255],
        sender=sender,
        hints=CaseHints(
            kind=Ticket.Kind.DISSERVICE,
            theme=theme.code,
            place=_place(report, position),
            code=code,
            system=token.name,
        ),
        raw={
            "open311": {
                "system": token.name,
                "service_code": theme.code,
                "lat": position[0] if position else None,
                "long": position[1] if position else None,
                "address_string": report.address_string.strip(),
                "address_id": report.address_id.strip(),
                "media_url": report.media_url.strip(),
                "description": report.description.strip(),
                "attributes": questions.known(
                    questions.attributes(theme.open311_attributes), report.answers
                ),
            }
        },
    )
    queue.accept(inbound, channel)
    pk = Ticket.objects.filter(code=code).values_list("pk", flat=True).first()
    if pk is not None:
        return Submitted(service_request_id=str(pk), token=None)
    return Submitted(service_request_id=None, token=external)
