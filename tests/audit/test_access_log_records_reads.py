"""Every console read that shows personal data writes one record of the access log: who, from
where, on which screen, what, and whose data; a page that shows no one writes none."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from ascolto.audit.models import AccessRecord
from ascolto.channels.models import Message
from ascolto.citizens.models import Citizen, Identity
from ascolto.tickets.models import Ticket
from tests import factories, personas
from tests.audit.helpers import maria_case, records, signed_in

pytestmark = pytest.mark.django_db

P = AccessRecord.Purpose


def test_the_case_page_records_who_saw_the_case_and_whose_data(cast: personas.Cast) -> None:
    ticket = maria_case()
    assert records() == []

    page = signed_in(cast.operator).get(reverse("console:case", args=[ticket.code]))

    assert page.status_code == 200
    [record] = records()
    assert record.purpose == P.CASE
    assert (record.user_id, record.username) == (cast.operator.pk, cast.operator.username)
    assert (record.kind, record.object_ids) == ("ticket", [ticket.code])
    assert record.citizen_ids == [ticket.citizen_id]
    assert record.ip == "10.1.2.3"
    assert record.agent == "Mozilla/5.0 (Test) Chromium"
    assert "thread" in record.shown


def test_a_case_out_of_scope_answers_404_and_records_nothing(cast: personas.Cast) -> None:
    ticket = maria_case()
    Ticket.objects.filter(pk=ticket.pk).update(office=cast.anagrafe)

    page = signed_in(cast.office_operator).get(reverse("console:case", args=[ticket.code]))

    assert page.status_code == 404
    assert records() == []


def test_the_citizen_page_records_the_citizen_shown(cast: personas.Cast) -> None:
    ticket = maria_case()

    page = signed_in(cast.supervisor).get(reverse("console:citizen", args=[ticket.citizen_id]))

    assert page.status_code == 200
    [record] = records()
    assert (record.purpose, record.kind) == (P.CITIZEN, "citizen")
    assert record.object_ids == [ticket.citizen_id]
    assert record.citizen_ids == [ticket.citizen_id]
    assert record.username == cast.supervisor.username


def test_an_attachment_served_to_staff_is_recorded(
    cast: personas.Cast, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    ticket = maria_case()
    name = default_storage.save("allegati/buca.png", ContentFile(b"\x89PNG\r\n\x1a\n"))
    message = Message.objects.get(conversation__tickets=ticket, direction="inbound")
    Message.objects.filter(pk=message.pk).update(
        attachments=[{"url": f"storage:{name}", "name": "buca.png", "content_type": "image/png"}]
    )
    url = reverse("console:case-attachment", args=[ticket.code, message.pk, 0])

    download = signed_in(cast.operator).get(url)

    assert download.status_code == 200
    [record] = records()
    assert (record.purpose, record.kind) == (P.ATTACHMENT, "attachment")
    assert record.object_ids == [f"{ticket.code}/{message.pk}/0"]
    assert record.citizen_ids == [ticket.citizen_id]
    assert record.shown == "image/png"
    assert "buca" not in str(record.object_ids)  # the file's name may be personal: not kept


def test_the_inbox_records_one_row_per_page_with_every_citizen_listed(
    cast: personas.Cast,
) -> None:
    first = maria_case()
    factories.submit_scrivi("Passo carrabile in via Roma.", fiscal_code=personas.LUCA_FISCAL_CODE)
    second = Ticket.objects.exclude(pk=first.pk).get()

    page = signed_in(cast.operator).get(reverse("console:inbox"))

    assert page.status_code == 200
    [record] = records()  # one INSERT for the whole list, not one per row
    assert (record.purpose, record.kind) == (P.INBOX, "ticket")
    assert set(record.object_ids) == {first.code, second.code}
    assert set(record.citizen_ids) == {first.citizen_id, second.citizen_id}
    assert record.shown.startswith("case list: ")


def test_an_empty_inbox_records_nothing(cast: personas.Cast) -> None:
    assert signed_in(cast.operator).get(reverse("console:inbox")).status_code == 200
    assert records() == []


def test_the_inbox_text_search_is_recorded_as_a_search(cast: personas.Cast) -> None:
    ticket = maria_case("Non ho ricevuto l'avviso TARI.")

    page = signed_in(cast.operator).get(reverse("console:inbox"), {"q": "avviso"})

    assert page.status_code == 200
    [record] = records()
    assert record.purpose == P.SEARCH
    assert record.object_ids == [ticket.code]
    assert record.citizen_ids == [ticket.citizen_id]
    assert "avviso" not in record.shown  # what was typed may be personal data: not kept


def test_the_citizen_search_records_the_citizens_found_not_what_was_typed(
    cast: personas.Cast,
) -> None:
    ticket = maria_case()
    client = signed_in(cast.operator)

    found = client.post(reverse("console:citizen-search"), {"q": personas.MARIA_FISCAL_CODE})

    assert found.status_code == 200
    assert "Rossi" in found.content.decode()
    [record] = records()
    assert (record.purpose, record.kind) == (P.SEARCH, "citizen")
    assert record.citizen_ids == [ticket.citizen_id]
    assert personas.MARIA_FISCAL_CODE not in record.shown
    assert record.shown == "citizen search by fiscal_code"

    nobody = client.post(reverse("console:citizen-search"), {"q": personas.ANNA_FISCAL_CODE})
    assert nobody.status_code == 200
    assert len(records()) == 1  # no one shown, nothing recorded


def test_the_call_form_lookup_records_the_caller_shown(cast: personas.Cast) -> None:
    luca = Citizen.objects.create(first_name="Luca", last_name="Bianchi")
    Identity.objects.create(kind=Identity.Kind.PHONE, value=personas.LUCA_PHONE, citizen=luca)

    fragment = signed_in(cast.operator).post(
        reverse("console:call-lookup"), {"phone": "333 1234567"}
    )

    assert "Luca Bianchi" in fragment.content.decode()
    [record] = records()
    assert record.purpose == P.CALLER
    assert record.citizen_ids == [luca.pk]


def test_the_duplicates_page_records_both_records_of_each_pair(cast: personas.Cast) -> None:
    factories.submit_scrivi(
        "Passo carrabile", email="luca@example.it", phone=personas.LUCA_PHONE, first_name="Luca"
    )
    factories.submit_scrivi(
        "Buche in via Roma", email="l.bianchi@example.it", phone=personas.LUCA_PHONE
    )
    pair = set(Citizen.objects.values_list("pk", flat=True))
    assert len(pair) == 2

    page = signed_in(cast.operator).get(reverse("console:duplicates"))

    assert page.status_code == 200
    [record] = records()
    assert record.purpose == P.DUPLICATES
    assert set(record.citizen_ids) == pair


def test_a_record_is_one_insert_and_reads_nothing(
    cast: personas.Cast, django_assert_num_queries: Any
) -> None:
    from ascolto.audit.actions import record_access
    from ascolto.audit.readers import Reader

    reader = Reader(user_id=cast.operator.pk, username=cast.operator.username, ip="10.0.0.1")
    with django_assert_num_queries(1) as captured:
        record_access(reader, P.INBOX, "ticket", objects=range(50), citizens=range(50))
    assert captured.captured_queries[0]["sql"].lstrip().upper().startswith("INSERT")
    assert len(records()[0].citizen_ids) == 50


def test_the_screen_pop_records_the_caller_it_shows(cast: personas.Cast) -> None:
    from ascolto.contactcenter.actions import announce_call, parse_call_started

    luca = Citizen.objects.create(first_name="Luca", last_name="Bianchi")
    Identity.objects.create(kind=Identity.Kind.PHONE, value=personas.LUCA_PHONE, citizen=luca)
    cast.operator.extension = "201"
    cast.operator.save(update_fields=["extension"])
    announce_call(
        **parse_call_started(
            {
                "call_id": "pbx-1",
                "caller_number": "333 1234567",
                "agent_extension": "201",
                "started_at": "2026-12-06T10:15:00+01:00",
            }
        )
    )
    client = signed_in(cast.operator)

    pop = client.post(reverse("console:incoming-call"))
    assert "Luca Bianchi" in pop.content.decode()
    nothing = client.post(reverse("console:incoming-call"))  # taken once: 204, no one shown
    assert nothing.status_code == 204

    [record] = records()
    assert (record.purpose, record.citizen_ids) == (P.CALLER, [luca.pk])


def test_the_social_queue_and_a_thread_record_the_commenters_shown(cast: personas.Cast) -> None:
    from ascolto.social import queue
    from ascolto.social.models import SocialThread
    from tests.social.helpers import page_channel, replay

    replay(page_channel(), "feed_comment_add")
    queue.sync()
    thread = SocialThread.objects.select_related("conversation__identity").get()
    client = signed_in(cast.operator)

    assert client.get(reverse("console:social")).status_code == 200
    assert client.get(reverse("console:social-thread", args=[thread.pk])).status_code == 200

    listed, opened = records()
    assert (listed.purpose, listed.kind, listed.object_ids) == (
        P.SOCIAL,
        "social_thread",
        [thread.pk],
    )
    assert (opened.purpose, opened.object_ids) == (P.SOCIAL, [thread.pk])
    assert (
        opened.citizen_ids
        == listed.citizen_ids
        == [c for c in [thread.conversation.identity.citizen_id] if c is not None]
    )
