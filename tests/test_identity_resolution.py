"""A citizen is recognised by their handles however they write them, across channels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ascolto.channels.actions import receive
from ascolto.channels.inbound import InboundMessage
from ascolto.citizens.actions import find_or_create_citizen, resolve_identity
from ascolto.citizens.handles import normalise_fiscal_code, normalise_handle
from ascolto.citizens.models import Citizen, Identity
from ascolto.citizens.sender import Sender
from ascolto.core.errors import InvalidInput
from ascolto.tickets.models import Ticket
from tests import factories, personas
from tests.personas import LUCA_FISCAL_CODE, MARIA_EMAIL, MARIA_FISCAL_CODE

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)


@pytest.mark.parametrize(
    "written",
    [
        "333 123 4567",
        "3331234567",
        "+39 333 1234567",
        "+393331234567",
        "0039 3331234567",
        "0039-333-123-4567",
        "(+39) 333.123.4567",
        "  +39 333 123 45 67  ",
    ],
)
def test_phone_numbers_in_any_written_form_are_one_e164_identity(written: str) -> None:
    canonical = resolve_identity(Identity.Kind.PHONE, "+393331234567")

    identity = resolve_identity(Identity.Kind.PHONE, written)

    assert identity.pk == canonical.pk
    assert identity.value == "+393331234567"
    assert Identity.objects.count() == 1


def test_a_milan_landline_without_prefix_is_read_in_italy() -> None:
    assert normalise_handle("phone", "02 8845 1234") == "+390288451234"
    assert normalise_handle("phone", "+41 44 668 18 00") == "+41446681800"


@pytest.mark.parametrize("bad", ["", "   ", "12", "333", "ciao", "+39 333", "9" * 41])
def test_malformed_phone_numbers_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        resolve_identity(Identity.Kind.PHONE, bad)

    assert caught.value.field == "handle"
    assert "numero di telefono" in caught.value.message
    assert Identity.objects.count() == 0


def test_email_addresses_are_lower_cased_and_trimmed() -> None:
    first = resolve_identity(Identity.Kind.EMAIL, "  Maria.Rossi@Example.IT ")
    second = resolve_identity(Identity.Kind.EMAIL, "maria.rossi@example.it")

    assert first.value == "maria.rossi@example.it"
    assert second.pk == first.pk


@pytest.mark.parametrize("bad", ["maria", "maria@", "@example.it", "maria rossi@example.it"])
def test_malformed_email_addresses_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput, match="non è un indirizzo email valido"):
        resolve_identity(Identity.Kind.EMAIL, bad)


@pytest.mark.parametrize("wa_id", ["393331234567", "+393331234567", "39 333 123 4567"])
def test_whatsapp_ids_are_international_numbers_without_plus(wa_id: str) -> None:
    identity = resolve_identity(Identity.Kind.WHATSAPP, wa_id)

    assert identity.value == "+393331234567"
    assert identity.kind == Identity.Kind.WHATSAPP


def test_whatsapp_and_phone_handles_of_one_number_are_distinct_identities() -> None:
    whatsapp = resolve_identity(Identity.Kind.WHATSAPP, "393331234567")
    phone = resolve_identity(Identity.Kind.PHONE, "333 123 4567")

    assert whatsapp.value == phone.value == "+393331234567"
    assert whatsapp.pk != phone.pk


@pytest.mark.parametrize("bsuid", ["IT.1349120865", "US.ENT.abc123XYZ", " IT.42 "])
def test_whatsapp_business_scoped_user_ids_are_accepted(bsuid: str) -> None:
    assert normalise_handle("whatsapp_bsuid", bsuid) == bsuid.strip()


@pytest.mark.parametrize("bad", ["1349120865", "it.1349120865", "IT-1349120865", "IT.", "IT.ab c"])
def test_malformed_business_scoped_user_ids_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput, match="non è un identificativo utente WhatsApp"):
        normalise_handle("whatsapp_bsuid", bad)


def test_facebook_and_instagram_ids_must_be_digits() -> None:
    assert normalise_handle("facebook_psid", " 24681357 ") == "24681357"
    assert normalise_handle("instagram_id", "17841400000000000") == "17841400000000000"
    with pytest.raises(
        InvalidInput, match="«abc123» non è un facebook_psid: deve essere fatto di sole cifre"
    ):
        normalise_handle("facebook_psid", "abc123")


def test_login_subjects_cannot_contain_spaces() -> None:
    assert normalise_handle("login", "TINIT-RSSMRA80C52F205L") == "TINIT-RSSMRA80C52F205L"
    with pytest.raises(InvalidInput, match="L'identificativo di accesso non può contenere spazi"):
        normalise_handle("login", "TINIT RSSMRA80C52F205L")


def test_unknown_handle_kind_is_refused() -> None:
    with pytest.raises(InvalidInput, match="Tipo di recapito sconosciuto: «fax»"):
        normalise_handle("fax", "0212345678")


@pytest.mark.parametrize(
    "written",
    [MARIA_FISCAL_CODE, MARIA_FISCAL_CODE.lower(), "rssmra 80c52 f205l", " RSSMRA80C52F205L\n"],
)
def test_a_valid_fiscal_code_is_accepted_in_any_case_and_spacing(written: str) -> None:
    assert normalise_fiscal_code(written) == MARIA_FISCAL_CODE


@pytest.mark.parametrize(
    "bad",
    [
        "RSSMRA80C52F205X",  # wrong check character
        "RSSMRA80C52F205",  # 15 characters
        "RSSMRA80C52F205LL",  # 17 characters
        "1234567890123456",
        "",
    ],
)
def test_an_invalid_fiscal_code_is_refused(bad: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        normalise_fiscal_code(bad)

    assert caught.value.field == "fiscal_code"
    assert ("non è un codice fiscale valido" in caught.value.message) or (
        "è vuoto" in caught.value.message
    )


def test_a_web_form_sender_with_email_and_name_is_linked_to_a_citizen(cast: personas.Cast) -> None:
    received = factories.submit_scrivi(
        "Come rinnovo la carta d'identità?",
        email="Maria.Rossi@Example.it",
        first_name="Maria",
        last_name="Rossi",
    )

    identity = Identity.objects.get(pk=received.identity.pk)
    assert identity.kind == Identity.Kind.EMAIL
    assert identity.value == MARIA_EMAIL
    assert identity.citizen is not None
    citizen = identity.citizen
    assert (citizen.first_name, citizen.last_name, citizen.email) == ("Maria", "Rossi", MARIA_EMAIL)
    assert Ticket.objects.get(pk=received.ticket_id).citizen_id == citizen.pk


def test_a_second_contact_with_the_same_email_finds_the_same_citizen(cast: personas.Cast) -> None:
    first = factories.submit_scrivi("Prima richiesta", email=MARIA_EMAIL)
    second = factories.submit_scrivi("Seconda richiesta", email="MARIA.ROSSI@example.it ")

    assert Citizen.objects.count() == 1
    assert second.identity.pk == first.identity.pk
    citizen = Citizen.objects.get()
    tickets = Ticket.objects.filter(citizen=citizen)
    assert sorted(tickets.values_list("pk", flat=True)) == sorted(
        [first.ticket_id, second.ticket_id]
    )


def test_a_caller_who_gives_the_email_they_wrote_from_is_the_same_citizen(
    cast: personas.Cast,
) -> None:
    factories.submit_scrivi("Richiesta via web", email=MARIA_EMAIL, fiscal_code=MARIA_FISCAL_CODE)
    citizen = Citizen.objects.get()

    call = receive(
        InboundMessage(
            channel="020202",
            external_id=factories.new_id("call"),
            handle_kind=Identity.Kind.PHONE,
            handle="02 8845 1234",
            text="Chiamata: la signora chiede lo stato della richiesta.",
            sender=Sender(fiscal_code=MARIA_FISCAL_CODE.lower()),
        )
    )

    assert call.identity.value == "+390288451234"
    assert Identity.objects.get(pk=call.identity.pk).citizen_id == citizen.pk
    assert Citizen.objects.count() == 1
    assert set(citizen.identities.values_list("kind", flat=True)) == {"email", "phone"}


def test_known_details_fill_blanks_but_never_overwrite() -> None:
    citizen = find_or_create_citizen(first_name="Luca", email="luca@example.it")

    again = find_or_create_citizen(
        first_name="Lucas",
        last_name="Bianchi",
        email="LUCA@example.it",
        fiscal_code=LUCA_FISCAL_CODE,
    )

    assert again.pk == citizen.pk
    again.refresh_from_db()
    assert (again.first_name, again.last_name, again.fiscal_code) == (
        "Luca",
        "Bianchi",
        LUCA_FISCAL_CODE,
    )


def test_an_invalid_detail_writes_nothing() -> None:
    with pytest.raises(InvalidInput, match="non è un codice fiscale valido"):
        find_or_create_citizen(first_name="Luca", email="luca@example.it", fiscal_code="XYZ")

    assert Citizen.objects.count() == 0
    assert Identity.objects.count() == 0


def test_display_name_is_kept_from_the_first_contact_that_gives_one() -> None:
    day = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
    wa = Identity.Kind.WHATSAPP
    anonymous = resolve_identity(wa, "393331234567", seen_at=day)
    named = resolve_identity(wa, "393331234567", display_name="Luca B.", seen_at=day + HOUR)
    renamed = resolve_identity(wa, "393331234567", display_name="Lucone", seen_at=day + 2 * HOUR)
    late = resolve_identity(wa, "393331234567", seen_at=day + HOUR / 2)  # delivered out of order

    assert anonymous.pk == named.pk == renamed.pk == late.pk
    stored = Identity.objects.get(pk=anonymous.pk)
    assert stored.display_name == "Luca B."
    assert stored.last_seen_at == day + 2 * HOUR
