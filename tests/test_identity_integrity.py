"""A handle typed into a public form never takes over another citizen's record (decision 0009).

Maria Rossi is known by her email and her mobile number. Someone else, "Luca Bianchi", fills the
Scrivi form with his own details and one of hers: her handle stays hers, her calls stay hers, he
gets his own record, and operators get one merge suggestion with the evidence. Handles the
channel proves (a WhatsApp id, the From of a mail to our mailbox, the line of a call) still link.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ascolto.channels.actions import receive
from ascolto.channels.inbound import CaseHints, InboundMessage
from ascolto.channels.intake import receive_many
from ascolto.channels.verification import sender_verified
from ascolto.citizens.actions import (
    accept_merge_suggestion,
    dismiss_merge_suggestion,
    find_or_create_citizen,
    link_identity,
    merge_citizens,
    resolve_identity,
)
from ascolto.citizens.models import Citizen, Identity, MergeSuggestion
from ascolto.citizens.sender import Sender
from ascolto.contactcenter.actions import log_call
from ascolto.core.errors import DomainError
from ascolto.tickets.models import Ticket
from ascolto.web.views.console.calls import find_callers
from tests import factories, personas
from tests.personas import MARIA_EMAIL

pytestmark = pytest.mark.django_db

MARIA_PHONE = "+393331234567"
LUCA_EMAIL = "luca.bianchi@example.it"
LUCA_PHONE = "+393478881234"
DAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _pinned_clock() -> object:
    with time_machine.travel(DAY, tick=False) as traveller:
        yield traveller


def _maria(cast: personas.Cast) -> tuple[Citizen, Ticket]:
    """Maria writes once with her email and mobile, then calls from the mobile."""
    factories.submit_scrivi("Come pago la TARI?", email=MARIA_EMAIL, phone="333 123 4567")
    call = receive(factories.phone_message("Chiede della TARI.", number=MARIA_PHONE))
    maria = Citizen.objects.get(email=MARIA_EMAIL)
    call_case = Ticket.objects.get(pk=call.ticket_id)
    assert call_case.citizen_id == maria.pk
    return maria, call_case


def _luca_writes(email: str, phone: str = "") -> Ticket:
    received = factories.submit_scrivi(
        "Vorrei informazioni sul passo carrabile.",
        email=email,
        phone=phone,
        first_name="Luca",
        last_name="Bianchi",
    )
    return Ticket.objects.get(pk=received.ticket_id)


def _owner(kind: str, value: str) -> int | None:
    return Identity.objects.get(kind=kind, value=value).citizen_id


def test_own_email_and_a_victims_phone_leave_her_phone_and_calls_alone(
    cast: personas.Cast,
) -> None:
    maria, call_case = _maria(cast)

    case = _luca_writes(LUCA_EMAIL, phone="333 123 4567")

    luca = case.citizen
    assert luca is not None and luca.pk != maria.pk
    assert (luca.first_name, luca.email, luca.phone) == ("Luca", LUCA_EMAIL, "")
    assert _owner(Identity.Kind.PHONE, MARIA_PHONE) == maria.pk
    assert _owner(Identity.Kind.EMAIL, LUCA_EMAIL) == luca.pk
    assert Ticket.objects.get(pk=call_case.pk).citizen_id == maria.pk
    maria.refresh_from_db()
    assert (maria.first_name, maria.email, maria.phone) == ("Maria", MARIA_EMAIL, MARIA_PHONE)
    suggestion = MergeSuggestion.objects.get()
    assert (suggestion.first_id, suggestion.second_id) == (maria.pk, luca.pk)
    assert suggestion.status == MergeSuggestion.Status.OPEN
    assert suggestion.evidence == {
        "source": "scrivi",
        "holder": maria.pk,
        "matched": [{"kind": "phone", "value": MARIA_PHONE}],
        "disagreed": ["email", "name"],
    }
    # Her next call is filed under her, and the operator sees her details, not his.
    again = receive(factories.phone_message("Richiama per la TARI.", number="333 123 4567"))
    assert Ticket.objects.get(pk=again.ticket_id).citizen_id == maria.pk
    callers, _problem = find_callers(cast.operator, phone=MARIA_PHONE)
    assert [c.citizen.email for c in callers if c.citizen] == [MARIA_EMAIL]


def test_own_phone_and_a_victims_email_do_not_file_the_request_under_her(
    cast: personas.Cast,
) -> None:
    maria, _call_case = _maria(cast)

    case = _luca_writes(MARIA_EMAIL, phone="347 888 1234")

    luca = case.citizen
    assert luca is not None and luca.pk != maria.pk
    # His record does not take her address; her address and number stay hers.
    assert (luca.first_name, luca.email, luca.phone) == ("Luca", "", LUCA_PHONE)
    assert _owner(Identity.Kind.EMAIL, MARIA_EMAIL) == maria.pk
    assert _owner(Identity.Kind.PHONE, LUCA_PHONE) == luca.pk
    assert set(maria.identities.values_list("value", flat=True)) == {MARIA_EMAIL, MARIA_PHONE}
    suggestion = MergeSuggestion.objects.get()
    assert suggestion.evidence["matched"] == [{"kind": "email", "value": MARIA_EMAIL}]
    assert suggestion.evidence["disagreed"] == ["name"]


def test_a_request_goes_to_the_senders_own_record_when_he_has_one(cast: personas.Cast) -> None:
    maria, _call_case = _maria(cast)
    luca = find_or_create_citizen(first_name="Luca", last_name="Bianchi", phone=LUCA_PHONE)

    case = _luca_writes(MARIA_EMAIL, phone=LUCA_PHONE)

    assert case.citizen_id == luca.pk
    assert _owner(Identity.Kind.EMAIL, MARIA_EMAIL) == maria.pk
    suggestion = MergeSuggestion.objects.get()
    assert {suggestion.first_id, suggestion.second_id} == {maria.pk, luca.pk}
    assert Citizen.objects.count() == 2


def test_the_same_person_with_a_new_email_is_still_recognised(cast: personas.Cast) -> None:
    """Nothing disagrees: Maria, known only by her number from a call, writes with her email."""
    call = log_call(
        operator=cast.operator,
        question="Orari dell'anagrafe?",
        outcome="resolve",
        answer="Dal lunedì al venerdì, 9-12.",
        sender=Sender(phone="333 123 4567", first_name="Maria", last_name="Rossi"),
    )
    maria = call.ticket.citizen
    assert maria is not None

    received = factories.submit_scrivi("Ecco la mia email.", email=MARIA_EMAIL, phone=MARIA_PHONE)

    assert Ticket.objects.get(pk=received.ticket_id).citizen_id == maria.pk
    assert _owner(Identity.Kind.EMAIL, MARIA_EMAIL) == maria.pk
    assert not MergeSuggestion.objects.exists()


@pytest.mark.parametrize(
    ("channel", "kind", "handle", "verified"),
    [
        ("whatsapp", Identity.Kind.WHATSAPP, "393331234567", True),
        ("whatsapp", Identity.Kind.WHATSAPP_BSUID, "IT.1349120865", True),
        ("email", Identity.Kind.EMAIL, MARIA_EMAIL, True),
        ("phone", Identity.Kind.PHONE, MARIA_PHONE, True),
        ("phone", Identity.Kind.EMAIL, MARIA_EMAIL, True),  # the operator's choice for the caller
        ("messenger", Identity.Kind.FACEBOOK_PSID, "24681357", True),
        ("instagram", Identity.Kind.INSTAGRAM_ID, "1784140000", True),
        ("web", Identity.Kind.EMAIL, MARIA_EMAIL, False),
        ("web", Identity.Kind.LOGIN, "TINIT-RSSMRA80C52F205L", True),
        ("api", Identity.Kind.PHONE, MARIA_PHONE, False),
    ],
)
def test_which_handles_a_channel_proves(
    channel: str, kind: str, handle: str, verified: bool
) -> None:
    assert sender_verified(channel, kind) is verified


def test_a_mail_from_her_address_still_reaches_her_record(cast: personas.Cast) -> None:
    maria, _call_case = _maria(cast)

    received = receive(
        InboundMessage(
            channel=cast.mailbox.code,
            external_id="<risposta-1@mail.example.it>",
            handle_kind=Identity.Kind.EMAIL,
            handle=MARIA_EMAIL,
            text="Rispondo alla vostra mail: ecco il nuovo numero.",
            sender=Sender(first_name="M.", phone="340 111 2233"),
        )
    )

    assert Ticket.objects.get(pk=received.ticket_id).citizen_id == maria.pk
    assert _owner(Identity.Kind.PHONE, "+393401112233") == maria.pk
    assert not MergeSuggestion.objects.exists()


def test_a_whatsapp_id_linked_to_her_still_reaches_her_record(cast: personas.Cast) -> None:
    maria, _call_case = _maria(cast)
    link_identity(resolve_identity(Identity.Kind.WHATSAPP, "393331234567"), maria)

    received = receive(
        InboundMessage(
            channel=cast.whatsapp.code,
            external_id="wamid.1",
            handle_kind=Identity.Kind.WHATSAPP,
            handle="393331234567",
            text="Buongiorno, sono la figlia.",
            sender=Sender(first_name="Giulia", email="giulia@example.it"),
            hints=CaseHints(open_case=True),
        )
    )

    assert Ticket.objects.get(pk=received.ticket_id).citizen_id == maria.pk
    assert _owner(Identity.Kind.EMAIL, "giulia@example.it") == maria.pk


def test_accepting_the_suggestion_merges_the_two_records(cast: personas.Cast) -> None:
    maria, _call_case = _maria(cast)
    case = _luca_writes(LUCA_EMAIL, phone=MARIA_PHONE)
    suggestion = MergeSuggestion.objects.get()

    kept = accept_merge_suggestion(suggestion, actor=cast.operator)

    assert kept.pk == maria.pk  # the older record is kept
    suggestion.refresh_from_db()
    assert suggestion.status == MergeSuggestion.Status.ACCEPTED
    assert (suggestion.decided_by, suggestion.decided_at) == (cast.operator, DAY)
    assert Ticket.objects.get(pk=case.pk).citizen_id == maria.pk
    assert Citizen.objects.get(pk=case.citizen_id).merged_into_id == maria.pk
    assert _owner(Identity.Kind.EMAIL, LUCA_EMAIL) == maria.pk
    with pytest.raises(DomainError, match="già stata decisa"):
        dismiss_merge_suggestion(suggestion, actor=cast.operator)


def test_dismissing_keeps_them_apart_and_the_pair_is_not_suggested_again(
    cast: personas.Cast,
) -> None:
    maria, _call_case = _maria(cast)
    first = _luca_writes(LUCA_EMAIL, phone=MARIA_PHONE)
    _luca_writes(LUCA_EMAIL, phone=MARIA_PHONE)  # while open, no second suggestion
    assert MergeSuggestion.objects.count() == 1

    dismiss_merge_suggestion(MergeSuggestion.objects.get(), actor=cast.supervisor)
    again = _luca_writes(LUCA_EMAIL, phone=MARIA_PHONE)

    suggestion = MergeSuggestion.objects.get()
    assert suggestion.status == MergeSuggestion.Status.DISMISSED
    assert suggestion.decided_by == cast.supervisor
    assert again.citizen_id == first.citizen_id != maria.pk
    assert Citizen.objects.filter(merged_into=None).count() == 2
    assert _owner(Identity.Kind.PHONE, MARIA_PHONE) == maria.pk


def test_a_merge_by_other_means_carries_the_suggestions_along(cast: personas.Cast) -> None:
    maria, _call_case = _maria(cast)
    case = _luca_writes(LUCA_EMAIL, phone=MARIA_PHONE)
    luca = case.citizen
    assert luca is not None
    old_luca = find_or_create_citizen(email="luca@casa.it")

    merge_citizens(luca, old_luca, actor=cast.supervisor)

    suggestion = MergeSuggestion.objects.get()
    assert suggestion.status == MergeSuggestion.Status.OPEN
    assert {suggestion.first_id, suggestion.second_id} == {maria.pk, old_luca.pk}
    merge_citizens(old_luca, maria, actor=cast.supervisor)
    suggestion.refresh_from_db()
    assert suggestion.status == MergeSuggestion.Status.ACCEPTED


def test_one_batch_with_the_attack_twice_opens_one_suggestion_in_constant_queries(
    cast: personas.Cast,
) -> None:
    maria, _call_case = _maria(cast)

    def attack(count: int, tag: str) -> int:
        messages = [
            factories.scrivi_message(
                "Passo carrabile",
                email=f"luca.{tag}.{n}@example.it",
                phone=MARIA_PHONE,
                first_name="Luca",
                last_name=f"Bianchi {tag}{n}",
            )
            for n in range(count)
        ]
        with CaptureQueriesContext(connection) as queries:
            outcomes = receive_many(messages)
        assert all(not isinstance(o, DomainError) for o in outcomes)
        return len(queries)

    few = attack(2, "a")
    many = attack(20, "b")

    assert many == few
    assert _owner(Identity.Kind.PHONE, MARIA_PHONE) == maria.pk
    assert MergeSuggestion.objects.count() == 22
    assert Citizen.objects.count() == 23
