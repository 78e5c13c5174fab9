"""The case page: thread, timeline, SLA clock and citizen panel, and who may open it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ascolto.channels.actions import receive
from ascolto.channels.models import Message
from ascolto.tickets import actions, citizen_history
from ascolto.tickets.models import Theme, Ticket
from tests import factories, personas
from tests.personas import MARIA_EMAIL, MARIA_FISCAL_CODE

pytestmark = pytest.mark.django_db


def _id(ticket_id: int | None) -> int:
    assert ticket_id is not None, "the message opened no case"
    return ticket_id


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _url(ticket: Ticket) -> str:
    return reverse("console:case", args=[ticket.code])


def _maria_writes(text: str, theme: str = "", **kwargs: object) -> Ticket:
    received = factories.submit_scrivi(
        text, email=MARIA_EMAIL, fiscal_code=MARIA_FISCAL_CODE, theme=theme, **kwargs
    )
    return Ticket.objects.get(pk=_id(received.ticket_id))


def test_the_page_shows_thread_timeline_and_sla(cast: personas.Cast) -> None:
    ticket = factories.open_case("Non ho ricevuto l'avviso TARI del 2026.")
    actions.add_ticket_note(ticket, "Verificare con l'ufficio.", actor=cast.operator)
    actions.reply_to_ticket(ticket, "Stiamo verificando.", actor=cast.operator)

    response = _client(cast.operator).get(_url(ticket))

    assert response.status_code == 200
    page = response.content.decode()
    assert ticket.code in page
    thread = page[page.index('id="thread"') : page.index('id="h-timeline"')]
    assert thread.index("avviso TARI del 2026") < thread.index("Verificare con l&#x27;ufficio.")
    assert thread.index("Verificare") < thread.index("Stiamo verificando.")
    assert "Nota interna" in thread and "Giulia Verdi" in thread
    timeline = page[page.index('id="timeline"') :]
    assert "Caso aperto (Nuovo)." in timeline
    assert "Nota interna aggiunta." in timeline
    assert "Stato: da «Nuovo» a «In lavorazione»." in timeline
    assert "Risposta inviata al cittadino." in timeline


def test_the_sla_clock_says_on_time_due_soon_or_breached(cast: personas.Cast) -> None:
    scrivi = _maria_writes("Quando passa la raccolta differenziata?")
    client = _client(cast.operator)
    # The test city has no routing rule with an SLA: give the case a due time directly.
    Ticket.objects.filter(pk=scrivi.pk).update(due_at=timezone.now() + timedelta(days=10))
    page = client.get(_url(scrivi)).content.decode()
    assert "SLA: nei tempi" in page
    assert "Nei tempi: mancano" in page

    Ticket.objects.filter(pk=scrivi.pk).update(due_at=timezone.now() + timedelta(hours=5))
    page = client.get(_url(scrivi)).content.decode()
    assert "SLA: in scadenza entro 48 ore" in page
    assert "In scadenza: mancano 4" in page

    Ticket.objects.filter(pk=scrivi.pk).update(due_at=timezone.now() - timedelta(days=3))
    page = client.get(_url(scrivi)).content.decode()
    assert "SLA: scaduto" in page
    assert "Scaduto da 3" in page


def test_an_office_operator_gets_404_for_a_case_of_another_office(cast: personas.Cast) -> None:
    ticket = factories.open_case("Cambio di residenza.")
    actions.escalate_ticket(ticket, cast.anagrafe, actor=cast.operator)
    client = _client(cast.office_operator)

    assert client.get(_url(ticket)).status_code == 404
    before = Message.objects.count()
    response = client.post(
        reverse("console:case-action", args=[ticket.code, "note"]),
        {"text": "Non dovrei poterlo scrivere.", "confirmed": "True"},
    )
    assert response.status_code == 404
    assert Message.objects.count() == before
    # Sara, of the Anagrafe, sees it; Lucia sees the cases of the TARI office.
    assert _client(cast.anagrafe_operator).get(_url(ticket)).status_code == 200
    tari_case = factories.ticket_in(
        Ticket.Status.OFFICE, actor=cast.operator, office=cast.tari, level=2
    )
    assert client.get(_url(tari_case)).status_code == 200


def test_an_analyst_sees_no_case_and_a_visitor_must_sign_in(cast: personas.Cast) -> None:
    ticket = factories.open_case()
    assert _client(cast.analyst).get(_url(ticket)).status_code == 403
    response = Client().get(_url(ticket))
    assert response.status_code == 302
    assert reverse("console:login") in response["Location"]
    assert _client(cast.operator).get("/console/cases/XXXX-XXXX-XXXX/").status_code == 404


def test_the_citizen_panel_shows_identities_and_every_other_case(cast: personas.Cast) -> None:
    first = _maria_writes("Avviso TARI mai arrivato.", theme="tari")
    factories.submit_scrivi(
        "Ho cambiato numero.",
        email=MARIA_EMAIL,
        fiscal_code=MARIA_FISCAL_CODE,
        phone="+393401112233",
    )
    call = receive(factories.phone_message("Chiamata per TARI", number="+393401112233"))
    assert call.ticket_id is not None
    current = _maria_writes("Sollecito sulla TARI.", theme="tari")

    page = _client(cast.operator).get(_url(current)).content.decode()
    panel = page[page.index('id="citizen-panel"') : page.index('id="case-actions"')]

    assert "Maria Rossi" in panel
    assert MARIA_FISCAL_CODE in panel
    assert f"Email: {MARIA_EMAIL}" in panel
    assert "Telefono: +393401112233" in panel
    assert first.code in panel
    assert Ticket.objects.get(pk=_id(call.ticket_id)).code in panel
    assert "020202" in panel  # the call's conversation, on the phone line


def test_cases_of_other_offices_are_counted_not_shown(cast: personas.Cast) -> None:
    tari_case = _maria_writes("Avviso TARI mai arrivato.", theme="tari")
    actions.escalate_ticket(tari_case, cast.tari, actor=cast.operator)
    anagrafe_case = _maria_writes("Certificato di residenza.")
    actions.escalate_ticket(anagrafe_case, cast.anagrafe, actor=cast.operator)
    current = _maria_writes("Sollecito TARI.", theme="tari")
    actions.escalate_ticket(current, cast.tari, actor=cast.operator)

    page = _client(cast.office_operator).get(_url(current)).content.decode()
    panel = page[page.index('id="citizen-panel"') : page.index('id="case-actions"')]

    assert tari_case.code in panel
    assert anagrafe_case.code not in panel
    assert "Certificato di residenza" not in panel
    assert "1 caso fuori dai tuoi uffici, non visibile." in panel
    # The first-level operator sees both.
    page = _client(cast.operator).get(_url(current)).content.decode()
    assert anagrafe_case.code in page and "non visibile" not in page


def test_a_third_contact_in_the_year_raises_the_repeat_flag(cast: personas.Cast) -> None:
    _maria_writes("Prima richiesta TARI.", theme="tari")
    second = _maria_writes("Seconda richiesta, sulla carta d'identità.")
    client = _client(cast.operator)
    page = client.get(_url(second)).content.decode()
    assert 'id="repeat-flag"' not in page
    assert "Contatti nel" in page

    third = _maria_writes("Terza richiesta, di nuovo TARI.", theme="tari")
    page = client.get(_url(third)).content.decode()
    flag = page[page.index('id="repeat-flag"') :][:600]
    assert "3 contatti nel" in flag
    assert "stesso tema" not in flag  # two of the three are on Tributi: not more than twice


def test_more_than_twice_on_the_same_theme_is_flagged(cast: personas.Cast) -> None:
    for text in ("TARI: avviso.", "TARI: rimborso.", "TARI: dichiarazione."):
        last = _maria_writes(text, theme="tari")
    repeat = citizen_history.citizen_repeat_contacts(last)
    assert (repeat.total, repeat.same_area, repeat.same_theme) == (3, 3, 3)
    assert repeat.area is not None and repeat.area.level == Theme.Level.AREA
    assert repeat.flagged and repeat.repeat_on_theme

    page = _client(cast.operator).get(_url(last)).content.decode()
    flag = page[page.index('id="repeat-flag"') :][:600]
    assert f"3 contatti sullo stesso tema ({repeat.area.name})" in flag


def test_contacts_of_last_year_do_not_count(cast: personas.Cast) -> None:
    last_year = timezone.now().replace(year=timezone.now().year - 1)
    for text in ("TARI: avviso.", "TARI: rimborso."):
        _maria_writes(text, theme="tari", sent_at=last_year)
    current = _maria_writes("TARI: dichiarazione.", theme="tari")
    repeat = citizen_history.citizen_repeat_contacts(current)
    assert (repeat.total, repeat.same_area) == (1, 1)
    assert not repeat.flagged
