"""The admin's lists and pages of personal data are recorded in the access log like the
console's (purpose `admin`): a list is one record per page with the ids of the rows it showed,
an object's page one record with its id; whose data it was comes along. A refused visit records
nothing."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db.models import Model
from django.urls import reverse

from ascolto.audit.admin_reads import RecordsReads
from ascolto.audit.models import AccessRecord
from ascolto.channels.models import Conversation, Message
from ascolto.citizens.models import Citizen, Identity, MergeSuggestion
from ascolto.contactcenter.models import CallRecord
from ascolto.social.models import SocialThread
from ascolto.tickets.models import Ticket, TicketEvent
from tests import factories, personas
from tests.audit.helpers import maria_case, records, signed_in

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

P = AccessRecord.Purpose

# The models whose rows name or quote a citizen: their admin pages must be recorded.
PERSONAL = [
    Citizen,
    Identity,
    MergeSuggestion,
    Conversation,
    Message,
    Ticket,
    TicketEvent,
    SocialThread,
    CallRecord,
]


def _url(model: type[Model], view: str, *args: object) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _luca_case() -> int | None:
    return factories.submit_scrivi(
        "Avviso TARI",
        email="luca@example.it",
        first_name="Luca",
        last_name="Bianchi",
        fiscal_code=personas.LUCA_FISCAL_CODE,
    ).ticket_id


@pytest.mark.parametrize("model", PERSONAL, ids=lambda m: m._meta.label)
def test_every_admin_of_personal_data_records_its_reads(model: type[Model]) -> None:
    assert isinstance(admin.site._registry[model], RecordsReads)


def test_the_citizens_list_records_one_read_with_the_citizens_shown(
    cast: personas.Cast,
) -> None:
    maria = maria_case().citizen
    luca_case = _luca_case()
    assert luca_case is not None
    luca = Ticket.objects.get(pk=luca_case).citizen
    assert maria is not None and luca is not None
    client = signed_in(cast.administrator)

    page = client.get(_url(Citizen, "changelist"))

    assert page.status_code == 200
    [record] = records()
    assert (record.purpose, record.kind) == (P.ADMIN, "citizen")
    assert (record.user_id, record.ip) == (cast.administrator.pk, "10.1.2.3")
    assert sorted(record.object_ids) == sorted([maria.pk, luca.pk])
    assert sorted(record.citizen_ids) == sorted([maria.pk, luca.pk])
    assert "Rossi" not in record.shown and personas.MARIA_FISCAL_CODE not in record.shown


def test_a_search_in_the_admin_records_what_it_found_not_what_was_typed(
    cast: personas.Cast,
) -> None:
    maria = maria_case().citizen
    assert maria is not None
    _luca_case()

    page = signed_in(cast.administrator).get(
        _url(Citizen, "changelist"), {"q": personas.MARIA_FISCAL_CODE}
    )

    assert page.status_code == 200
    [record] = records()
    assert record.object_ids == [maria.pk]
    assert "ricerca" in record.shown
    assert personas.MARIA_FISCAL_CODE not in record.shown


def test_a_case_page_in_the_admin_records_its_code_and_citizen(cast: personas.Cast) -> None:
    ticket = maria_case()

    page = signed_in(cast.administrator).get(_url(Ticket, "change", ticket.pk))

    assert page.status_code == 200
    [record] = records()
    assert (record.purpose, record.kind) == (P.ADMIN, "ticket")
    assert record.object_ids == [ticket.code]
    assert record.citizen_ids == [ticket.citizen_id]


def test_a_message_page_records_the_citizen_behind_the_conversation(
    cast: personas.Cast,
) -> None:
    ticket = maria_case()
    message = Message.objects.filter(conversation__tickets=ticket).first()
    assert message is not None

    page = signed_in(cast.administrator).get(_url(Message, "change", message.pk))

    assert page.status_code == 200
    [record] = records()
    assert (record.kind, record.object_ids) == ("message", [message.pk])
    assert record.citizen_ids == [ticket.citizen_id]


def test_the_history_of_a_citizen_in_the_admin_is_recorded(cast: personas.Cast) -> None:
    citizen = maria_case().citizen
    assert citizen is not None

    page = signed_in(cast.administrator).get(_url(Citizen, "history", citizen.pk))

    assert page.status_code == 200
    [record] = records()
    assert (record.kind, record.object_ids, record.citizen_ids) == (
        "citizen",
        [citizen.pk],
        [citizen.pk],
    )
    assert "cronologia" in record.shown


def test_an_empty_list_and_a_list_without_personal_data_record_nothing(
    cast: personas.Cast,
) -> None:
    client = signed_in(cast.administrator)

    assert client.get(_url(Citizen, "changelist")).status_code == 200
    assert client.get(reverse("admin:organisation_office_changelist")).status_code == 200

    assert records() == []


def test_a_refused_visit_to_the_admin_records_nothing(cast: personas.Cast) -> None:
    ticket = maria_case()

    page = signed_in(cast.supervisor).get(_url(Ticket, "change", ticket.pk))

    assert page.status_code in (302, 403)
    assert records() == []
