"""Log a phone call from the console: look the caller up, resolve at first contact or escalate;
bad input keeps what was typed; an office operator sees only their office's history."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ascolto.channels import actions as channel_actions
from ascolto.channels.models import Conversation, Message
from ascolto.citizens.models import Citizen, Identity
from ascolto.citizens.sender import Sender
from ascolto.contactcenter import actions as cc_actions
from ascolto.contactcenter.models import CallRecord
from ascolto.core.errors import InvalidInput
from ascolto.tickets import actions
from ascolto.tickets.models import Theme, Ticket, TicketEvent
from tests import factories, personas

URL = "/console/calls/new/"
LOOKUP = "/console/calls/lookup/"


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_data(**changes: str) -> dict[str, str]:
    data = {
        "phone": "333 123 4567",
        "fiscal_code": "",
        "first_name": "Luca",
        "last_name": "Bianchi",
        "email": "",
        "citizen": "",
        "started_at": "",
        "call_id": "",
        "kind": "information",
        "theme": "tari-pagamento",
        "question": "Come pago la seconda rata della TARI?",
        "answer": "Con il modello F24 allegato all'avviso, entro il 2 dicembre.",
        "outcome": "resolve",
        "office": "",
        "note": "",
        "action": "save",
    }
    data.update(changes)
    return data


def test_the_form_is_for_case_handlers_only(cast: personas.Cast) -> None:
    assert Client().get(URL).status_code == 302  # to the sign-in page
    assert signed_in(cast.analyst).get(URL).status_code == 403
    page = signed_in(cast.operator).get(URL)
    assert page.status_code == 200
    assert "Registra una chiamata" in page.content.decode()
    assert 'aria-current="page"' in page.content.decode()


def test_lookup_by_phone_shows_the_citizen_and_their_history(cast: personas.Cast) -> None:
    earlier = factories.open_case("Ho perso l'avviso TARI.", email="luca.bianchi@example.it")
    luca = Citizen.objects.create(first_name="Luca", last_name="Bianchi")
    Identity.objects.filter(value="luca.bianchi@example.it").update(citizen=luca)
    Identity.objects.create(kind=Identity.Kind.PHONE, value=personas.LUCA_PHONE, citizen=luca)
    Ticket.objects.filter(pk=earlier.pk).update(citizen=luca)

    fragment = signed_in(cast.operator).post(LOOKUP, {"phone": "333 1234567"})
    html = fragment.content.decode()
    assert fragment.status_code == 200
    assert "Luca Bianchi" in html
    assert earlier.code in html
    assert f'value="{luca.pk}"' in html  # "Usa Luca Bianchi"

    nothing = signed_in(cast.operator).post(LOOKUP, {"phone": "333 765 4321"}).content.decode()
    assert "Nessun cittadino trovato" in nothing


def test_lookup_by_fiscal_code(cast: personas.Cast) -> None:
    factories.submit_scrivi(fiscal_code=personas.MARIA_FISCAL_CODE)
    html = (
        signed_in(cast.operator)
        .post(LOOKUP, {"fiscal_code": personas.MARIA_FISCAL_CODE.lower()})
        .content.decode()
    )
    assert "Maria Rossi" in html
    assert personas.MARIA_FISCAL_CODE in html
    assert "un caso precedente" in html.lower()
    partial = signed_in(cast.operator).post(LOOKUP, {"fiscal_code": "RSSMRA80"}).content.decode()
    assert "non è ancora completo" in partial


def test_an_invalid_fiscal_code_is_refused_and_nothing_typed_is_lost(cast: personas.Cast) -> None:
    before = factories.counts()
    response = signed_in(cast.operator).post(
        URL, form_data(fiscal_code="RSSMRA80C52F205X", phone="12", email="non-una-email")
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Codice fiscale non valido" in html
    assert "Numero di telefono non valido" in html
    assert "Indirizzo email non valido" in html
    assert 'aria-invalid="true"' in html
    for typed in ("RSSMRA80C52F205X", 'value="12"', "non-una-email", "Come pago la seconda rata"):
        assert typed in html.replace("&#x27;", "'")
    assert "Con il modello F24" in html.replace("&#x27;", "'")
    assert factories.counts() == before
    assert CallRecord.objects.count() == 0


def test_resolve_at_first_contact(cast: personas.Cast) -> None:
    client = signed_in(cast.operator)
    response = client.post(
        URL, form_data(fiscal_code=personas.LUCA_FISCAL_CODE, email="luca@example.it")
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("console:case", args=[ticket.code])
    assert ticket.channel == cast.phone
    assert ticket.status == Ticket.Status.RESOLVED
    assert ticket.resolution.startswith("Con il modello F24")
    assert ticket.theme == Theme.objects.get(code="tari-pagamento")
    assert ticket.assignee == cast.operator
    luca = Citizen.objects.get(fiscal_code=personas.LUCA_FISCAL_CODE)
    assert ticket.citizen == luca
    assert ticket.identity is not None and ticket.identity.value == personas.LUCA_PHONE
    assert set(luca.identities.values_list("value", flat=True)) == {
        personas.LUCA_PHONE,
        "luca@example.it",
    }
    call = CallRecord.objects.get()
    assert call.operator == cast.operator
    assert call.caller == ticket.identity
    assert call.conversation is not None
    assert call.conversation.tickets.get() == ticket
    question = Message.objects.get(direction=Message.Direction.INBOUND)
    assert question.text == "Come pago la seconda rata della TARI?"
    assert question.conversation == call.conversation
    # Opened by the operator, then resolved at first contact: one status event, no assignment.
    events = list(ticket.events.order_by("pk").values_list("kind", "actor", "to_value"))
    assert events == [
        (TicketEvent.Kind.OPENED, cast.operator.pk, Ticket.Status.NEW),
        (TicketEvent.Kind.STATUS, cast.operator.pk, Ticket.Status.RESOLVED),
    ]
    follow = client.get(URL)
    assert ticket.code in follow.content.decode()  # the success message
    assert "(al primo contatto)" in client.get(response["Location"]).content.decode()


def test_escalate_to_an_office_with_a_note(cast: personas.Cast) -> None:
    response = signed_in(cast.operator).post(
        URL,
        form_data(
            outcome="escalate",
            office=str(cast.tari.pk),
            note="Verificare il pagamento della prima rata.",
            kind="verification",
        ),
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert ticket.status == Ticket.Status.OFFICE
    assert ticket.office == cast.tari
    assert ticket.level == Ticket.Level.SECOND
    assert ticket.kind == Ticket.Kind.VERIFICATION
    notes = list(
        Message.objects.filter(direction=Message.Direction.NOTE).values_list("text", flat=True)
    )
    assert "Verificare il pagamento della prima rata." in notes
    assert any(n.startswith("Risposta data durante la chiamata") for n in notes)
    escalated = TicketEvent.objects.get(ticket=ticket, kind=TicketEvent.Kind.ESCALATED)
    assert escalated.actor == cast.operator
    call = CallRecord.objects.get()
    assert call.conversation is not None
    assert call.conversation in ticket.conversations.all()
    # The TARI office operator is taken to the case, which is now in their office's scope.
    lucia = signed_in(cast.office_operator).post(LOOKUP, {"phone": personas.LUCA_PHONE})
    assert ticket.code in lucia.content.decode()


def test_escalation_needs_an_office_and_a_note(cast: personas.Cast) -> None:
    before = factories.counts()
    html = (
        signed_in(cast.operator)
        .post(URL, form_data(outcome="escalate", answer=""))
        .content.decode()
    )
    assert "Scegli l&#x27;ufficio a cui inoltrare il caso." in html
    assert "Scrivi una nota per l&#x27;ufficio" in html
    assert factories.counts() == before


def test_a_caller_with_no_phone_and_no_citizen_is_refused(cast: personas.Cast) -> None:
    html = signed_in(cast.operator).post(URL, form_data(phone="")).content.decode()
    assert "Indica il numero del chiamante" in html
    assert Ticket.objects.count() == 0


def test_choosing_a_citizen_fills_the_blanks_and_saves_for_them(cast: personas.Cast) -> None:
    factories.submit_scrivi(fiscal_code=personas.MARIA_FISCAL_CODE)
    maria = Citizen.objects.get(fiscal_code=personas.MARIA_FISCAL_CODE)
    client = signed_in(cast.operator)
    chosen = client.post(
        URL,
        form_data(phone="", first_name="", last_name="", select_citizen=str(maria.pk)),
    ).content.decode()
    assert f'name="citizen" value="{maria.pk}"' in chosen
    assert 'value="Maria"' in chosen and personas.MARIA_FISCAL_CODE in chosen
    assert "errore" not in chosen.lower() and "invalid-feedback" not in chosen

    response = client.post(URL, form_data(phone="", citizen=str(maria.pk)))
    assert response.status_code == 302
    ticket = Ticket.objects.filter(channel=cast.phone).get()
    assert ticket.citizen == maria
    assert ticket.identity is not None and ticket.identity.value == personas.MARIA_EMAIL


def test_office_operator_sees_only_their_office_history(cast: personas.Cast) -> None:
    luca = Citizen.objects.create(
        first_name="Luca", last_name="Bianchi", fiscal_code=personas.LUCA_FISCAL_CODE
    )
    tari_case = factories.open_case("Rimborso TARI?", email="luca.b@example.it")
    anagrafe_case = factories.open_case("Cambio di residenza", email="luca.b@example.it")
    Identity.objects.filter(value="luca.b@example.it").update(citizen=luca)
    actions.escalate_ticket(tari_case, cast.tari, actor=cast.operator)
    actions.escalate_ticket(anagrafe_case, cast.anagrafe, actor=cast.operator)
    cc_actions.log_call(
        operator=cast.operator,
        question="Devo cambiare residenza.",
        outcome=cc_actions.ESCALATE,
        sender=Sender(phone=personas.LUCA_PHONE),
        citizen=luca,
        office=cast.anagrafe,
        note="Appuntamento per il cambio di residenza.",
    )
    phone_case = Ticket.objects.get(channel=cast.phone)

    query = {"fiscal_code": personas.LUCA_FISCAL_CODE}
    lucia = signed_in(cast.office_operator).post(LOOKUP, query).content.decode()
    assert tari_case.code in lucia
    assert anagrafe_case.code not in lucia
    assert phone_case.code not in lucia
    assert "Nessuna chiamata precedente" in lucia  # the call belongs to an Anagrafe case

    giulia = signed_in(cast.operator).post(LOOKUP, query).content.decode()
    for code in (tari_case.code, anagrafe_case.code, phone_case.code):
        assert code in giulia
    sara = signed_in(cast.anagrafe_operator).post(LOOKUP, query).content.decode()
    assert phone_case.code in sara and tari_case.code not in sara


def test_log_call_writes_nothing_when_the_escalation_fails(cast: personas.Cast) -> None:
    cast.anagrafe.is_active = False
    cast.anagrafe.save(update_fields=["is_active"])
    before = factories.counts()
    with pytest.raises(InvalidInput):
        cc_actions.log_call(
            operator=cast.operator,
            question="Devo cambiare residenza.",
            outcome=cc_actions.ESCALATE,
            sender=Sender(phone=personas.LUCA_PHONE, first_name="Luca"),
            office=cast.anagrafe,
            note="Appuntamento.",
        )
    assert factories.counts() == before
    assert CallRecord.objects.count() == 0
    assert Conversation.objects.count() == 0


def test_the_question_of_a_call_is_stored_once(cast: personas.Cast) -> None:
    """Two operators logging the same telephony call at once: the second copy of its question
    is refused by the message's unique id, not stored twice."""
    identity = Identity.objects.create(kind=Identity.Kind.PHONE, value=personas.LUCA_PHONE)
    conversation = channel_actions.start_conversation(cast.phone, identity)
    now = timezone.now()
    channel_actions.record_inbound(conversation, "Domanda.", at=now, external_id="call-pbx-9")
    with pytest.raises(InvalidInput) as refused:
        channel_actions.record_inbound(conversation, "Domanda.", at=now, external_id="call-pbx-9")
    assert refused.value.field == "external_id"
    assert Message.objects.filter(conversation=conversation).count() == 1


def test_log_call_refuses_a_theme_switched_off(cast: personas.Cast) -> None:
    theme = Theme.objects.get(code="tari-pagamento")
    theme.is_active = False
    theme.save(update_fields=["is_active"])
    before = factories.counts()
    with pytest.raises(InvalidInput) as refused:
        cc_actions.log_call(
            operator=cast.operator,
            question="Come pago la TARI?",
            outcome=cc_actions.RESOLVE,
            answer="Con il modello F24.",
            sender=Sender(phone=personas.LUCA_PHONE),
            theme=theme,
        )
    assert refused.value.field == "theme"
    assert factories.counts() == before


def test_a_telephony_call_record_is_linked_not_duplicated(cast: personas.Cast) -> None:
    record = cc_actions.record_call(
        external_id="pbx-778",
        queue="tributi",
        arrived_at=timezone.now(),
        wait_seconds=30,
        talk_seconds=200,
        caller_phone=personas.LUCA_PHONE,
    )
    client = signed_in(cast.operator)
    assert client.post(URL, form_data(call_id="pbx-778")).status_code == 302
    record.refresh_from_db()
    assert CallRecord.objects.count() == 1
    assert record.conversation is not None and record.operator == cast.operator
    again = client.post(URL, form_data(call_id="pbx-778")).content.decode()
    assert "già stata registrata" in again
    assert Ticket.objects.count() == 1
