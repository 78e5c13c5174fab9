"""Two records of the same person are merged: everything follows the kept one."""

from __future__ import annotations

import pytest

from ascolto.citizens.actions import find_or_create_citizen, merge_citizens, record_consent
from ascolto.citizens.models import Citizen, Consent, Identity
from ascolto.core.errors import DomainError, InvalidInput
from ascolto.tickets.models import Ticket, TicketEvent
from tests import factories, personas
from tests.factories import counts
from tests.personas import LUCA_FISCAL_CODE, MARIA_FISCAL_CODE


def _maria_twice(cast: personas.Cast) -> tuple[Citizen, Citizen, Ticket, Ticket]:
    """Maria wrote once from her personal address and once from her work address, giving her
    fiscal code only the second time: two citizen records, one case each."""
    home = factories.submit_scrivi("Richiesta dalla mail personale", email="maria@casa.it")
    work = factories.submit_scrivi(
        "Richiesta dalla mail di lavoro",
        email="m.rossi@ufficio.it",
        first_name="",
        last_name="",
        fiscal_code=MARIA_FISCAL_CODE,
        phone="333 123 4567",
    )
    source = Citizen.objects.get(identities__value="maria@casa.it")
    target = Citizen.objects.get(identities__value="m.rossi@ufficio.it")
    assert source.pk != target.pk
    return (
        source,
        target,
        Ticket.objects.get(pk=home.ticket_id),
        Ticket.objects.get(pk=work.ticket_id),
    )


def test_identities_consents_and_cases_follow_the_kept_citizen(cast: personas.Cast) -> None:
    source, target, home_case, work_case = _maria_twice(cast)
    record_consent(source, Consent.Purpose.SURVEYS, True, source="scrivi")
    record_consent(target, Consent.Purpose.PRIVACY, True, source="scrivi")

    kept = merge_citizens(source, target, actor=cast.supervisor)

    assert kept.pk == target.pk
    source.refresh_from_db()
    target.refresh_from_db()
    assert source.merged_into_id == target.pk
    assert set(Identity.objects.filter(citizen=target).values_list("value", flat=True)) == {
        "maria@casa.it",
        "m.rossi@ufficio.it",
        "+393331234567",
    }
    assert not Identity.objects.filter(citizen=source).exists()
    # Each Scrivi request recorded its privacy consent; with the two recorded here, all follow.
    assert sorted(Consent.objects.filter(citizen=target).values_list("purpose", flat=True)) == [
        "privacy",
        "privacy",
        "privacy",
        "surveys",
    ]
    assert not Consent.objects.filter(citizen=source).exists()
    assert Ticket.objects.get(pk=home_case.pk).citizen_id == target.pk
    assert Ticket.objects.get(pk=work_case.pk).citizen_id == target.pk
    # The blank details of the kept record are filled from the absorbed one.
    assert (target.first_name, target.last_name) == ("Maria", "Rossi")
    assert target.fiscal_code == MARIA_FISCAL_CODE
    assert source.fiscal_code == ""


def test_the_moved_cases_record_the_change_of_citizen(cast: personas.Cast) -> None:
    source, target, home_case, work_case = _maria_twice(cast)

    merge_citizens(source, target, actor=cast.supervisor)

    event = TicketEvent.objects.get(ticket=home_case, kind=TicketEvent.Kind.CITIZEN)
    assert event.actor == cast.supervisor
    assert (event.from_value, event.to_value) == (str(source.pk), str(target.pk))
    assert event.at is not None
    # The case that already belonged to the kept citizen did not change.
    assert not TicketEvent.objects.filter(ticket=work_case, kind=TicketEvent.Kind.CITIZEN).exists()


def test_the_next_contact_of_the_absorbed_record_finds_the_kept_one(cast: personas.Cast) -> None:
    source, target, _home, _work = _maria_twice(cast)
    merge_citizens(source, target, actor=cast.supervisor)

    again = factories.submit_scrivi("Ancora io", email="maria@casa.it")

    assert Ticket.objects.get(pk=again.ticket_id).citizen_id == target.pk
    assert find_or_create_citizen(email="maria@casa.it").pk == target.pk
    assert find_or_create_citizen(fiscal_code=MARIA_FISCAL_CODE).pk == target.pk


def test_a_citizen_cannot_be_merged_with_itself(cast: personas.Cast) -> None:
    citizen = find_or_create_citizen(email="luca@example.it")
    before = counts()

    with pytest.raises(DomainError, match="Un cittadino non può essere unito a sé stesso"):
        merge_citizens(citizen, citizen, actor=cast.supervisor)

    citizen.refresh_from_db()
    assert citizen.merged_into_id is None
    assert counts() == before


def test_an_absorbed_citizen_cannot_be_merged_again(cast: personas.Cast) -> None:
    source, target, _home, _work = _maria_twice(cast)
    third = find_or_create_citizen(email="terza@example.it")
    merge_citizens(source, target, actor=cast.supervisor)

    with pytest.raises(
        DomainError, match=f"Il cittadino n. {source.pk} è già stato unito al n. {target.pk}"
    ):
        merge_citizens(source, third, actor=cast.supervisor)
    with pytest.raises(
        DomainError,
        match=f"Il cittadino n. {source.pk} è stato unito al n. {target.pk}: unisci a quello",
    ):
        merge_citizens(third, source, actor=cast.supervisor)

    third.refresh_from_db()
    assert third.merged_into_id is None
    assert Identity.objects.get(value="terza@example.it").citizen_id == third.pk


def test_citizens_with_different_fiscal_codes_are_not_merged(cast: personas.Cast) -> None:
    maria = find_or_create_citizen(email="maria@example.it", fiscal_code=MARIA_FISCAL_CODE)
    luca = find_or_create_citizen(email="luca@example.it", fiscal_code=LUCA_FISCAL_CODE)
    factories.submit_scrivi("Richiesta di Luca", email="luca@example.it")
    before = counts()

    with pytest.raises(DomainError, match="codici fiscali diversi: non sono la stessa persona"):
        merge_citizens(luca, maria, actor=cast.supervisor)

    luca.refresh_from_db()
    assert luca.merged_into_id is None
    assert luca.fiscal_code == LUCA_FISCAL_CODE
    assert Identity.objects.get(value="luca@example.it").citizen_id == luca.pk
    assert counts() == before


@pytest.mark.django_db
def test_consent_purposes_are_checked() -> None:
    citizen = find_or_create_citizen(email="luca@example.it")

    with pytest.raises(InvalidInput, match="Finalità del consenso sconosciuta: «marketing»"):
        record_consent(citizen, "marketing", True)

    assert Consent.objects.count() == 0
