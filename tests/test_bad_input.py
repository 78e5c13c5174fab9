"""Bad input is refused with a message a person can act on, and leaves nothing half-written."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime

import pytest

from ascolto.channels.actions import receive
from ascolto.channels.inbound import Attachment, CaseHints, InboundMessage
from ascolto.channels.models import Channel
from ascolto.citizens.sender import Sender
from ascolto.core.errors import DomainError, InvalidInput, NotFound
from ascolto.tickets.models import Theme
from tests import factories, personas
from tests.factories import counts

pytestmark = pytest.mark.django_db

LONG_EMAIL = "a" * 64 + "@" + ".".join(["b" * 63, "c" * 63, "d" * 63]) + ".it"  # 259 characters


def _scrivi(**changes: object) -> InboundMessage:
    return dataclasses.replace(factories.scrivi_message("Richiesta valida."), **changes)


def _sender(**details: object) -> InboundMessage:
    base = Sender(first_name="Maria", last_name="Rossi", email="maria@example.it")
    return _scrivi(sender=dataclasses.replace(base, **details))


def _hints(**hints: object) -> InboundMessage:
    return _scrivi(hints=CaseHints(**hints))  # type: ignore[arg-type]


CASES: list[tuple[str, Callable[[], InboundMessage], type[DomainError], str]] = [
    ("unknown channel", lambda: _scrivi(channel="fax"), NotFound, "Canale sconosciuto: «fax»."),
    (
        "no external id",
        lambda: _scrivi(external_id="  "),
        InvalidInput,
        "Il messaggio non ha un identificativo esterno: non se ne possono riconoscere i duplicati.",
    ),
    (
        "external id too long",
        lambda: _scrivi(external_id="x" * 256),
        InvalidInput,
        "L'identificativo esterno supera i 255 caratteri.",
    ),
    (
        "empty text",
        lambda: _scrivi(text=""),
        InvalidInput,
        "Il messaggio è vuoto: né testo né allegati.",
    ),
    (
        "only blanks and NULs",
        lambda: _scrivi(text=" \x00\n\t\x00 "),
        InvalidInput,
        "Il messaggio è vuoto: né testo né allegati.",
    ),
    (
        "text too long",
        lambda: _scrivi(text="x" * 20_001),
        InvalidInput,
        "Il messaggio è lungo 20001 caratteri; se ne accettano al massimo 20000.",
    ),
    (
        "too many attachments",
        lambda: _scrivi(
            attachments=tuple(Attachment(f"{i}.pdf", "application/pdf", 10) for i in range(21))
        ),
        InvalidInput,
        "Al massimo 20 allegati per messaggio.",
    ),
    (
        "subject too long",
        lambda: _scrivi(subject="s" * 256),
        InvalidInput,
        "L'oggetto supera i 255 caratteri.",
    ),
    (
        "naive time",
        lambda: _scrivi(sent_at=datetime(2025, 3, 10, 9, 0)),  # noqa: DTZ001
        InvalidInput,
        "L'ora del messaggio non ha il fuso orario.",
    ),
    (
        "unknown handle kind",
        lambda: _scrivi(handle_kind="fax"),
        InvalidInput,
        "Tipo di recapito sconosciuto: «fax».",
    ),
    (
        "malformed phone handle",
        lambda: factories.phone_message("Chiamata", number="333"),
        InvalidInput,
        "«333» non è un numero di telefono valido.",
    ),
    (
        "letters for a phone number",
        lambda: factories.phone_message("Chiamata", number="chiamami"),
        InvalidInput,
        "«chiamami» non è un numero di telefono.",
    ),
    (
        "malformed email handle",
        lambda: _scrivi(handle="maria.rossi"),
        InvalidInput,
        "«maria.rossi» non è un indirizzo email valido.",
    ),
    (
        "email handle too long to store",
        lambda: _scrivi(handle=LONG_EMAIL),
        InvalidInput,
        "L'indirizzo email è lungo 259 caratteri; al massimo 254.",
    ),
    (
        "invalid fiscal code in sender details",
        lambda: _sender(fiscal_code="RSSMRA80C52F205X"),
        InvalidInput,
        "«RSSMRA80C52F205X» non è un codice fiscale valido "
        "(16 caratteri, con il carattere di controllo corrispondente).",
    ),
    (
        "malformed email in sender details",
        lambda: _sender(email="maria@"),
        InvalidInput,
        "«maria@» non è un indirizzo email valido.",
    ),
    (
        "sender email too long to store",
        lambda: _sender(email=LONG_EMAIL),
        InvalidInput,
        "L'indirizzo email è lungo 259 caratteri; al massimo 254.",
    ),
    (
        "malformed phone in sender details",
        lambda: _sender(phone="12"),
        InvalidInput,
        "«12» non è un numero di telefono valido.",
    ),
    (
        "first name too long",
        lambda: _sender(first_name="M" * 101),
        InvalidInput,
        "Il nome o il cognome supera i 100 caratteri.",
    ),
    (
        "unknown theme hint",
        lambda: _hints(theme="ztl"),
        InvalidInput,
        "Categoria sconosciuta: «ztl».",
    ),
    (
        "inactive theme hint",
        lambda: _hints(theme="altro-generico-disattivato"),
        InvalidInput,
        "Categoria sconosciuta: «altro-generico-disattivato».",
    ),
    (
        "unknown campaign hint",
        lambda: _hints(campaign="bonus-2019"),
        InvalidInput,
        "Campagna sconosciuta: «bonus-2019».",
    ),
    (
        "unknown kind hint",
        lambda: _hints(kind="lamentela"),
        InvalidInput,
        "Tipo di richiesta sconosciuto: «lamentela».",
    ),
    (
        "place too long",
        lambda: _hints(place="via " * 64),
        InvalidInput,
        "Il luogo supera i 255 caratteri.",
    ),
]


@pytest.mark.parametrize(
    ("build", "error", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_is_refused_and_writes_nothing(
    build: Callable[[], InboundMessage],
    error: type[DomainError],
    message: str,
    cast: personas.Cast,
) -> None:
    Theme.objects.create(
        code="altro-generico-disattivato",
        name="Disattivato",
        parent=Theme.objects.get(code="altro"),
        is_active=False,
    )
    factories.submit_scrivi("Una richiesta che c'era già.", email="gia@example.it")
    before = counts()

    with pytest.raises(DomainError) as caught:
        receive(build())  # sender details are refused already as the message is built

    assert type(caught.value) is error
    assert message in caught.value.message
    assert counts() == before


def test_sender_details_are_normalised_once_where_the_message_is_built() -> None:
    sender = Sender(
        first_name=" Maria\r\n", email=" Maria@Example.IT ", phone="02 1234 5678", fiscal_code=""
    )
    assert (sender.first_name, sender.email, sender.phone) == (
        "Maria",
        "maria@example.it",
        "+390212345678",
    )
    assert Sender(**vars(sender)) == sender  # read back from the queue: unchanged
    with pytest.raises(InvalidInput, match="«maria@» non è un indirizzo email valido."):
        _sender(email="maria@")


def test_an_inactive_channel_takes_nothing_in(cast: personas.Cast) -> None:
    Channel.objects.filter(code="scrivi").update(is_active=False)
    before = counts()

    with pytest.raises(NotFound) as caught:
        factories.submit_scrivi("Il modulo è ancora online?")

    assert caught.value.message == "Il canale «scrivi» non è attivo."
    assert caught.value.field == "channel"
    assert counts() == before


def test_the_length_limit_is_a_setting(cast: personas.Cast, settings) -> None:
    settings.ASCOLTO_MAX_MESSAGE_CHARS = 10
    before = counts()

    with pytest.raises(
        InvalidInput, match="Il messaggio è lungo 11 caratteri; se ne accettano al massimo 10"
    ):
        factories.submit_scrivi("x" * 11)
    assert counts() == before

    received = factories.submit_scrivi("  " + "x" * 10 + "  ")  # blanks around do not count
    assert received.message.text == "x" * 10


def test_a_message_with_only_an_attachment_is_accepted(cast: personas.Cast) -> None:
    received = receive(
        _scrivi(text="", attachments=(Attachment("avviso.pdf", "application/pdf", 1024),))
    )

    assert received.message.text == ""
    assert received.message.attachments == [
        {"name": "avviso.pdf", "content_type": "application/pdf", "size": 1024, "url": ""}
    ]
