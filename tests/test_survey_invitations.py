"""Invitations after a resolved case (`surveys.invitations`, the `ticket.resolved` handler):
by the case's channel, with the survey's channels and themes, its sample, the fatigue rule
across surveys, none for a cancelled or merged case, and once however often the event is
handled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from ascolto.channels.models import Message
from ascolto.core import outbox
from ascolto.core.models import OutboxEvent
from ascolto.surveys import invitations, receivers
from ascolto.surveys.models import Invitation, Survey
from ascolto.surveys.tokens import invitation_of
from ascolto.tickets import actions
from ascolto.tickets.models import Theme, Ticket
from tests import factories, personas
from tests.invitation_cases import open_survey

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CASE = Survey.Trigger.CASE_RESOLVED


def _resolved(cast: personas.Cast, **kwargs: Any) -> Ticket:
    ticket = factories.open_case(**kwargs)
    return actions.resolve_ticket(ticket, "Ecco la risposta.", actor=cast.operator)


def _handle(ticket: Ticket) -> None:
    """The `ticket.resolved` event of the case, handled as the outbox does."""
    event = OutboxEvent.objects.filter(topic="ticket.resolved", payload__ticket_id=ticket.pk).get()
    assert outbox.process_event(event.pk)


def test_an_email_case_resolved_gets_an_invitation_by_mail_with_the_case_dimensions(
    cast: personas.Cast,
) -> None:
    survey = open_survey("dopo-pratica", CASE)
    with time_machine.travel(T0, tick=False):
        ticket = _resolved(cast)
        _handle(ticket)

    invitation = Invitation.objects.get()
    assert invitation.survey == survey and invitation.ticket == ticket
    assert invitation.via == Invitation.Via.EMAIL
    assert invitation.citizen_id == ticket.citizen_id  # none yet: a mail names no citizen
    assert (invitation.channel_kind, invitation.office_id, invitation.theme_id) == (
        "email",
        ticket.office_id,
        ticket.theme_id,
    )
    assert invitation.expires_at == T0 + timedelta(days=survey.valid_days)
    mail = Message.objects.filter(subject__contains="La sua opinione").get()
    assert mail.conversation.tickets.filter(pk=ticket.pk).exists()
    # The link reaches only the mailbox: a postscript, not the text the case's thread shows.
    assert "/scrivi/questionario/" not in mail.text
    link = mail.raw["postscript"].split("Risponda qui: ", 1)[1]
    assert link.startswith("http://127.0.0.1:8000/scrivi/questionario/")
    assert invitation_of(link.rstrip("/").rsplit("/", 1)[1]) == invitation


def test_the_event_handled_twice_invites_once(cast: personas.Cast) -> None:
    open_survey("dopo-pratica", CASE, fatigue_days=0)
    ticket = _resolved(cast)
    event = OutboxEvent.objects.get(topic="ticket.resolved", payload__ticket_id=ticket.pk)
    receivers.invite_after_case(event)
    receivers.invite_after_case(event)
    assert Invitation.objects.count() == 1
    assert Message.objects.filter(subject__contains="La sua opinione").count() == 1


def test_no_invitation_for_a_cancelled_case(cast: personas.Cast) -> None:
    open_survey("dopo-pratica", CASE)
    ticket = factories.ticket_in(
        Ticket.Status.CANCELLED, actor=cast.operator, office=cast.contact_center
    )
    assert invitations.invite_after_case(ticket.pk) == []


def test_no_invitation_for_a_case_merged_into_another(cast: personas.Cast) -> None:
    open_survey("dopo-pratica", CASE)
    kept = factories.open_case("Avviso TARI non arrivato.")
    duplicate = _resolved(cast, email="maria.rossi@example.it")
    actions.merge_tickets(duplicate, kept, actor=cast.operator)
    assert invitations.invite_after_case(duplicate.pk) == []
    assert not Invitation.objects.exists()


def test_a_second_case_within_the_fatigue_days_gets_none_and_one_after_them_gets_one(
    cast: personas.Cast,
) -> None:
    open_survey("dopo-pratica", CASE, fatigue_days=30)
    with time_machine.travel(T0, tick=False) as clock:
        first = _resolved(cast)
        assert len(invitations.invite_after_case(first.pk)) == 1
        clock.shift(timedelta(days=29))
        second = _resolved(cast)
        assert invitations.invite_after_case(second.pk) == []
        clock.shift(timedelta(days=2))
        third = _resolved(cast)
        assert len(invitations.invite_after_case(third.pk)) == 1
    assert second.citizen_id == first.citizen_id == third.citizen_id
    assert set(Invitation.objects.values_list("ticket_id", flat=True)) == {first.pk, third.pk}


def test_fatigue_counts_the_invitations_of_any_survey(cast: personas.Cast) -> None:
    tari = Theme.objects.get(code="tari")
    specific = open_survey("dopo-pratica-tari", CASE, fatigue_days=30)
    specific.themes.add(tari.parent)
    open_survey("dopo-pratica", CASE, fatigue_days=30)
    ticket = factories.open_case()
    actions.set_theme(ticket, tari, actor=cast.operator)
    ticket = actions.resolve_ticket(ticket, "Risposta.", actor=cast.operator)

    made = invitations.invite_after_case(ticket.pk)

    assert [i.survey.code for i in made] == ["dopo-pratica-tari"]  # the most specific first


def test_a_survey_takes_only_the_cases_of_its_channels_and_themes(cast: personas.Cast) -> None:
    by_phone = open_survey("solo-telefono", CASE, channels=["phone"], fatigue_days=0)
    anagrafe = open_survey("solo-anagrafe", CASE, fatigue_days=0)
    anagrafe.themes.add(Theme.objects.get(code="anagrafe"))
    ticket = _resolved(cast)  # an email case on TARI (or no theme)
    assert invitations.invite_after_case(ticket.pk) == []
    assert not invitations.matches(by_phone, ticket)


def test_the_sample_takes_its_share_of_cases_and_decides_each_case_the_same_way() -> None:
    survey = Survey(code="campione", sample_percent=30)
    taken = [key for key in range(2000) if invitations.in_sample(survey, key)]
    assert 0.27 < len(taken) / 2000 < 0.33
    assert taken == [key for key in range(2000) if invitations.in_sample(survey, key)]
    everyone, no_one = Survey(code="tutti", sample_percent=100), Survey(code="nessuno")
    no_one.sample_percent = 0
    assert all(invitations.in_sample(everyone, k) for k in range(50))
    assert not any(invitations.in_sample(no_one, k) for k in range(50))


def test_a_case_outside_the_sample_is_not_invited(cast: personas.Cast) -> None:
    open_survey("nessuno", CASE, sample_percent=0)
    ticket = _resolved(cast)
    assert invitations.invite_after_case(ticket.pk) == []


def test_a_phone_case_is_invited_by_email_when_the_citizen_left_an_address(
    cast: personas.Cast,
) -> None:
    open_survey("dopo-pratica", CASE, fatigue_days=0)
    known = Ticket.objects.get(pk=factories.submit_scrivi().ticket_id)  # Maria, with her email
    received = factories.receive(
        factories.phone_message("Chiamata sulla TARI.", number=personas.LUCA_PHONE)
    )
    call = Ticket.objects.get(pk=received.ticket_id)
    call = actions.resolve_at_first_contact(call, "Spiegato al telefono.", actor=cast.operator)
    assert invitations.invite_after_case(call.pk) == []  # no address: no invitation

    from ascolto.citizens.actions import link_identity  # noqa: PLC0415
    from ascolto.citizens.models import Identity  # noqa: PLC0415

    phone = Identity.objects.get(kind="phone")
    link_identity(phone, known.citizen)
    second = Ticket.objects.get(
        pk=factories.receive(
            factories.phone_message("Richiamo.", number=personas.LUCA_PHONE)
        ).ticket_id
    )
    second = actions.resolve_at_first_contact(second, "Risolto.", actor=cast.operator)
    [invitation] = invitations.invite_after_case(second.pk)
    assert (invitation.via, invitation.channel_kind) == ("email", "phone")
    mail = Message.objects.get(subject__contains="La sua opinione")
    assert mail.conversation.identity.value == personas.MARIA_EMAIL


def test_a_scrivi_case_is_invited_on_its_status_page_while_the_invitation_is_open(
    cast: personas.Cast, client: Any
) -> None:
    open_survey("dopo-pratica", CASE, valid_days=10)
    with time_machine.travel(T0, tick=False) as clock:
        ticket = Ticket.objects.get(pk=factories.submit_scrivi().ticket_id)
        ticket = actions.resolve_ticket(ticket, "Risposta.", actor=cast.operator)
        [invitation] = invitations.invite_after_case(ticket.pk)
        assert invitation.via == Invitation.Via.STATUS_PAGE
        assert not Message.objects.filter(subject__contains="La sua opinione").exists()

        page = client.get(f"/scrivi/pratica/{ticket.code}/")
        assert 'id="survey-invitation"' in page.content.decode()
        assert invitations.invitation_path(invitation) in page.content.decode()

        clock.shift(timedelta(days=11))
        expired = client.get(f"/scrivi/pratica/{ticket.code}/")
        assert 'id="survey-invitation"' not in expired.content.decode()
