"""A citizen who asks the same thing twice gets one case: the duplicate joins the kept one."""

from __future__ import annotations

import pytest

from ascolto.core.errors import DomainError, InvalidTransition
from ascolto.tickets import actions
from ascolto.tickets.models import Tag, Ticket, TicketEvent
from tests import factories, personas
from tests.factories import counts, refresh

S = Ticket.Status
pytestmark = pytest.mark.django_db


def _twice(cast: personas.Cast) -> tuple[Ticket, Ticket]:
    kept = factories.open_case("Non ho ricevuto l'avviso TARI.")
    duplicate = factories.open_case("Sollecito: avviso TARI mai arrivato.")
    return kept, duplicate


def test_the_duplicate_joins_the_kept_case(cast: personas.Cast) -> None:
    kept, duplicate = _twice(cast)
    urgent = Tag.objects.create(name="Sollecito", slug="sollecito")
    tari = Tag.objects.create(name="TARI", slug="tari")
    actions.tag_ticket(duplicate, actor=cast.operator, add=[urgent, tari])
    actions.tag_ticket(kept, actor=cast.operator, add=[tari])
    kept_conversation = kept.conversations.get()
    duplicate_conversation = duplicate.conversations.get()

    result = actions.merge_tickets(duplicate, kept, actor=cast.supervisor)

    assert result.pk == kept.pk
    kept, duplicate = refresh(kept), refresh(duplicate)
    assert set(kept.conversations.all()) == {kept_conversation, duplicate_conversation}
    assert set(kept.tags.values_list("slug", flat=True)) == {"sollecito", "tari"}
    assert duplicate.status == S.CLOSED
    assert duplicate.parent_id == kept.pk
    assert duplicate.closed_at is not None
    assert kept.status == S.NEW
    assert kept.parent_id is None

    on_duplicate = duplicate.events.get(kind=TicketEvent.Kind.MERGED)
    assert (on_duplicate.actor, on_duplicate.to_value) == (cast.supervisor, kept.code)
    assert on_duplicate.data == {"into": kept.pk}
    closed = duplicate.events.filter(kind=TicketEvent.Kind.STATUS).get()
    assert (closed.from_value, closed.to_value, closed.data) == (
        "new",
        "closed",
        {"cause": "merged"},
    )
    on_kept = kept.events.get(kind=TicketEvent.Kind.MERGED)
    assert (on_kept.actor, on_kept.from_value) == (cast.supervisor, duplicate.code)
    assert on_kept.data == {"duplicate": duplicate.pk}


def test_a_resolved_duplicate_can_be_merged(cast: personas.Cast) -> None:
    kept, duplicate = _twice(cast)
    actions.resolve_ticket(duplicate, "Risposto al telefono.", actor=cast.operator)

    actions.merge_tickets(duplicate, kept, actor=cast.supervisor)

    assert (refresh(duplicate).status, refresh(duplicate).parent_id) == (S.CLOSED, kept.pk)


def test_the_citizen_writing_on_the_duplicates_thread_continues_the_kept_case(
    cast: personas.Cast,
) -> None:
    kept, duplicate = _twice(cast)
    actions.merge_tickets(duplicate, kept, actor=cast.supervisor)

    again = factories.citizen_answers(duplicate, "Ci sono novità?")

    assert again.ticket_id == kept.pk
    assert Ticket.objects.count() == 2
    assert refresh(kept).events.filter(kind=TicketEvent.Kind.MESSAGE).count() == 1


def test_a_case_cannot_be_merged_into_itself(cast: personas.Cast) -> None:
    kept, _duplicate = _twice(cast)
    before = counts()

    with pytest.raises(DomainError, match="Un caso non può essere unito a sé stesso"):
        actions.merge_tickets(kept, kept, actor=cast.supervisor)

    assert counts() == before
    assert refresh(kept).status == S.NEW


def test_nothing_is_merged_into_a_case_that_was_itself_merged(cast: personas.Cast) -> None:
    kept, duplicate = _twice(cast)
    third = factories.open_case("Terzo sollecito.")
    actions.merge_tickets(duplicate, kept, actor=cast.supervisor)
    before = counts()

    with pytest.raises(DomainError) as caught:
        actions.merge_tickets(third, duplicate, actor=cast.supervisor)

    assert caught.value.message == (
        f"Il caso {duplicate.code} è già stato unito a un altro caso: unisci a quello."
    )
    assert refresh(third).status == S.NEW
    assert refresh(third).parent_id is None
    assert counts() == before


def test_nothing_is_merged_into_a_cancelled_case(cast: personas.Cast) -> None:
    kept, duplicate = _twice(cast)
    actions.cancel_ticket(kept, actor=cast.operator, reason="Aperto per errore.")
    before = counts()

    with pytest.raises(InvalidTransition) as caught:
        actions.merge_tickets(duplicate, kept, actor=cast.supervisor)

    assert str(caught.value) == (
        "Il caso non può passare da «Annullato» a «Unito»: non si può unire a un caso annullato"
    )
    assert refresh(duplicate).status == S.NEW
    assert counts() == before


@pytest.mark.parametrize("status", [S.CLOSED, S.CANCELLED])
def test_a_closed_or_cancelled_case_is_not_merged_as_a_duplicate(
    status: str, cast: personas.Cast
) -> None:
    kept = factories.open_case()
    duplicate = factories.ticket_in(status, actor=cast.operator, office=cast.tari)

    with pytest.raises(InvalidTransition, match="si può unire solo un caso attivo o risolto"):
        actions.merge_tickets(duplicate, kept, actor=cast.supervisor)

    assert refresh(duplicate).parent_id is None


def test_cases_of_different_citizens_are_not_merged(cast: personas.Cast) -> None:
    maria = factories.submit_scrivi("Avviso TARI", email="maria@example.it")
    luca = factories.submit_scrivi("Avviso TARI", email="luca@example.it", first_name="Luca")
    maria_case = Ticket.objects.get(pk=maria.ticket_id)
    luca_case = Ticket.objects.get(pk=luca.ticket_id)
    assert maria_case.citizen_id != luca_case.citizen_id
    before = counts()

    with pytest.raises(DomainError, match="cittadini diversi: unisci prima i cittadini"):
        actions.merge_tickets(luca_case, maria_case, actor=cast.supervisor)

    assert counts() == before
    assert refresh(luca_case).status == S.NEW
    assert maria_case.conversations.count() == 1


def test_the_kept_case_learns_the_citizen_of_the_duplicate(cast: personas.Cast) -> None:
    anonymous = factories.open_case("Segnalazione anonima", email="anonimo@example.it")
    known = factories.submit_scrivi("Stessa segnalazione", email="maria@example.it")
    known_case = Ticket.objects.get(pk=known.ticket_id)
    assert anonymous.citizen_id is None and known_case.citizen_id is not None

    actions.merge_tickets(known_case, anonymous, actor=cast.supervisor)

    assert refresh(anonymous).citizen_id == known_case.citizen_id


def test_a_merged_duplicate_is_not_reopened_on_its_own(cast: personas.Cast) -> None:
    kept, duplicate = _twice(cast)
    actions.merge_tickets(duplicate, kept, actor=cast.supervisor)

    with pytest.raises(InvalidTransition) as caught:
        actions.reopen_ticket(duplicate, actor=cast.operator)

    assert str(caught.value) == (
        "Il caso non può passare da «Chiuso» a «In lavorazione»: "
        f"è stato unito al caso {kept.code}: riapri quello"
    )
    assert refresh(duplicate).status == S.CLOSED
