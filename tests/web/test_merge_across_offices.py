"""A case merged into another office's case stops there: its page shows what it held when it was
merged, not what the other office says later in the shared conversation; and nothing can be
written on it, so no note lands in a case its writer may not see."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from ascolto.channels.models import Message
from ascolto.core.errors import DomainError
from ascolto.tickets import actions
from ascolto.tickets.models import Tag, Ticket
from tests import factories, personas
from tests.factories import refresh

pytestmark = pytest.mark.django_db
S = Ticket.Status
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _merged_into_the_anagrafe(cast: personas.Cast) -> tuple[Ticket, Ticket]:
    """Maria wrote twice; the TARI copy is merged into the Anagrafe's case, which goes on."""
    with time_machine.travel(MONDAY, tick=False):
        duplicate = factories.ticket_in(
            S.OFFICE, actor=cast.operator, office=cast.tari, level=2, text="Cambio residenza, TARI?"
        )
        kept = factories.ticket_in(
            S.OFFICE, actor=cast.operator, office=cast.anagrafe, level=2, text="Cambio residenza"
        )
    with time_machine.travel(MONDAY + timedelta(hours=1), tick=False):
        actions.merge_tickets(duplicate, kept, actor=cast.supervisor)
    with time_machine.travel(MONDAY + timedelta(hours=2), tick=False):
        # The citizen answers on the duplicate's thread: it continues the kept case, and the
        # Anagrafe's note and reply go to that (most recent) conversation, shared by both cases.
        factories.citizen_answers(duplicate, "Allego il contratto di affitto.")
        actions.add_ticket_note(kept, "Residenza: pratica 2026/118, nota interna.", actor=None)
        actions.reply_to_ticket(kept, "Appuntamento fissato per giovedì.", actor=None)
    shared = duplicate.conversations.get()
    assert Message.objects.filter(conversation=shared, text__contains="pratica 2026/118").exists()
    return refresh(duplicate), refresh(kept)


def test_the_duplicate_shows_only_what_it_held_when_merged(cast: personas.Cast) -> None:
    duplicate, kept = _merged_into_the_anagrafe(cast)

    lucia = _client(cast.office_operator).get(reverse("console:case", args=[duplicate.code]))

    page = lucia.content.decode()
    assert lucia.status_code == 200
    assert "Cambio residenza, TARI?" in page  # what the duplicate held
    for later in ("Allego il contratto", "pratica 2026/118", "Appuntamento fissato"):
        assert later not in page, later
    assert f'href="/console/cases/{kept.code}/"' not in page  # not a link she could not follow
    sara = _client(cast.anagrafe_operator).get(reverse("console:case", args=[kept.code]))
    for said in ("Cambio residenza, TARI?", "Allego il contratto", "pratica 2026/118"):
        assert said in sara.content.decode(), said  # the kept case holds everything


def test_a_note_on_the_duplicate_is_refused_and_lands_nowhere(cast: personas.Cast) -> None:
    duplicate, kept = _merged_into_the_anagrafe(cast)
    before = Message.objects.count()

    response = _client(cast.office_operator).post(
        reverse("console:case-action", args=[duplicate.code, "note"]),
        {"text": "Nota dell'ufficio TARI.", "confirmed": "True"},
    )

    assert response.status_code == 400
    assert f"unito al caso {kept.code}: lavora su quello" in response.content.decode()
    assert Message.objects.count() == before
    page = _client(cast.anagrafe_operator).get(reverse("console:case", args=[kept.code]))
    assert "Nota dell" not in page.content.decode()


def test_no_write_on_a_merged_duplicate_goes_through(cast: personas.Cast) -> None:
    duplicate, _kept = _merged_into_the_anagrafe(cast)
    tag = Tag.objects.create(name="Residenza", slug="residenza")
    writes = [
        lambda: actions.add_ticket_note(duplicate, "Nota.", actor=cast.supervisor),
        lambda: actions.tag_ticket(duplicate, actor=cast.supervisor, add=[tag]),
        lambda: actions.set_kind(duplicate, Ticket.Kind.COMPLAINT, actor=cast.supervisor),
        lambda: actions.link_campaign(duplicate, None, actor=cast.supervisor),
    ]
    for write in writes:
        with pytest.raises(DomainError, match="non si può più modificare"):
            write()
    for name in actions.ACTIONS:
        assert actions.action_refusal(duplicate, name), name  # the page offers none of them


def test_the_kept_case_is_linked_for_those_who_may_open_it(cast: personas.Cast) -> None:
    duplicate, kept = _merged_into_the_anagrafe(cast)
    page = _client(cast.supervisor).get(reverse("console:case", args=[duplicate.code]))
    assert f'href="/console/cases/{kept.code}/"' in page.content.decode()


def test_a_closed_case_does_not_show_the_later_case_its_thread_opened(
    cast: personas.Cast,
) -> None:
    """The citizen writes again on the thread of a closed TARI case: a new case opens on the
    same conversation and goes to the Anagrafe. The TARI case's page keeps to what was its own."""
    with time_machine.travel(MONDAY, tick=False):
        old = factories.ticket_in(
            S.CLOSED, actor=cast.operator, office=cast.tari, level=2, text="Rimborso TARI 2025"
        )
    with time_machine.travel(MONDAY + timedelta(days=10), tick=False):
        received = factories.citizen_answers(old, "Ora devo cambiare la residenza.")
        new = Ticket.objects.get(pk=received.ticket_id)
        assert new.pk != old.pk
        assert set(new.conversations.all()) == set(old.conversations.all())  # one thread
        new = actions.escalate_ticket(new, cast.anagrafe, actor=cast.operator)
        actions.add_ticket_note(new, "Residenza: nota interna dell'Anagrafe.", actor=None)

    lucia = _client(cast.office_operator).get(reverse("console:case", args=[old.code]))
    page = lucia.content.decode()
    assert lucia.status_code == 200 and "Rimborso TARI 2025" in page
    assert "Ora devo cambiare la residenza" not in page
    assert (
        "nota interna dell&#x27;Anagrafe" not in page and "nota interna dell'Anagrafe" not in page
    )
    sara = _client(cast.anagrafe_operator).get(reverse("console:case", args=[new.code]))
    assert "Ora devo cambiare la residenza" in sara.content.decode()
