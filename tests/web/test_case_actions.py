"""Every action of the case page, through the console: accepted, and refused with an Italian
message that says what is wrong, with nothing written."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ascolto.channels.actions import receive
from ascolto.channels.models import Message
from ascolto.tickets import actions
from ascolto.tickets.models import Campaign, Tag, Theme, Ticket, TicketEvent
from tests import factories, personas
from tests.factories import counts, refresh

pytestmark = pytest.mark.django_db


def _id(ticket_id: int | None) -> int:
    assert ticket_id is not None, "the message opened no case"
    return ticket_id


S = Ticket.Status


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _act(
    client: Client, ticket: Ticket, action: str, data: dict[str, Any], *, confirmed: bool = True
) -> Any:
    payload = {**data, **({"confirmed": "True"} if confirmed else {})}
    return client.post(reverse("console:case-action", args=[ticket.code, action]), payload)


def _page(response: Any) -> str:
    return str(response.content.decode())


def _accepted(response: Any, ticket: Ticket) -> None:
    assert response.status_code == 302, _page(response)[:2000]
    assert response["Location"] == reverse("console:case", args=[ticket.code])


def _refused(response: Any, reason: str) -> str:
    assert response.status_code == 400
    page = _page(response)
    assert 'role="alert"' in page
    assert reason in page, page[page.find('id="case-error"') :][:500]
    return page


# --- Confirmation -------------------------------------------------------------------------


def test_an_unconfirmed_action_asks_first_and_writes_nothing(cast: personas.Cast) -> None:
    ticket = factories.open_case()
    client = _client(cast.operator)
    before = counts()

    response = _act(client, ticket, "cancel", {"reason": "Doppio invio."}, confirmed=False)

    assert response.status_code == 200
    page = _page(response)
    assert "Annullare il caso?" in page
    assert 'name="reason" value="Doppio invio."' in page
    assert 'name="confirmed" value="True"' in page
    assert counts() == before
    assert refresh(ticket).status == S.NEW

    _accepted(_act(client, ticket, "cancel", {"reason": "Doppio invio."}), ticket)
    assert refresh(ticket).status == S.CANCELLED


def test_the_page_offers_only_allowed_actions_and_says_why_not(cast: personas.Cast) -> None:
    ticket = factories.ticket_in(S.CLOSED, actor=cast.operator, office=cast.tari)
    page = _page(_client(cast.operator).get(reverse("console:case", args=[ticket.code])))

    assert 'id="action-reopen"' in page
    assert 'id="action-note"' in page
    assert 'id="action-reply"' not in page
    assert 'id="action-resolve"' not in page
    refused = page[page.index('id="refused-actions"') :]
    assert "Rispondi al cittadino</span>: riapri il caso per scrivere al cittadino" in refused
    assert "Assegna</span>: il caso è chiuso: riaprilo prima" in refused
    assert "Restituisci al primo livello</span>: solo un caso assegnato a un ufficio" in refused
    assert "Risolvi</span>: riapri prima il caso" in refused


# --- Reply and note -----------------------------------------------------------------------


def test_reply_goes_out_by_email_through_the_outbox(
    cast: personas.Cast, django_capture_on_commit_callbacks: Any, mailoutbox: list[Any]
) -> None:
    ticket = factories.open_case()
    with django_capture_on_commit_callbacks(execute=True):
        response = _act(_client(cast.operator), ticket, "reply", {"text": "Ecco la risposta."})
    _accepted(response, ticket)

    message = Message.objects.get(direction=Message.Direction.OUTBOUND, text="Ecco la risposta.")
    assert message.author == cast.operator
    assert message.status == Message.Status.SENT  # the outbox ran inline, through the adapter
    assert refresh(ticket).status == S.OPEN
    assert [m.to for m in mailoutbox if "Ecco la risposta." in m.body] == [
        ["maria.rossi@example.it"]
    ]


def test_reply_refused_on_a_closed_case_keeps_the_text(cast: personas.Cast) -> None:
    ticket = factories.ticket_in(S.CLOSED, actor=cast.operator, office=cast.tari)
    before = counts()

    response = _act(_client(cast.operator), ticket, "reply", {"text": "Testo scritto con cura."})

    page = _refused(response, "riapri il caso per scrivere al cittadino")
    assert "Il caso non può passare da «Chiuso» a «Risposta inviata»" in page
    assert "Testo scritto con cura." in page
    assert counts() == before


def test_an_empty_reply_is_an_error_next_to_the_field(cast: personas.Cast) -> None:
    ticket = factories.open_case()
    before = counts()
    page = _refused(
        _act(_client(cast.operator), ticket, "reply", {"text": "   "}),
        "Questo campo è obbligatorio: scrivi il testo.",
    )
    assert 'aria-describedby="id_replyform_text-error"' in page
    assert (
        '<details class="case-action composer-panel mb-1" id="action-reply" name="composer" open>'
        in page
    )
    assert counts() == before


def test_a_call_without_an_address_to_answer_is_explained(cast: personas.Cast) -> None:
    call = receive(factories.phone_message("Info TARI", number="+393331234567"))
    ticket = Ticket.objects.get(pk=_id(call.ticket_id))
    client = _client(cast.operator)
    page = _page(client.get(reverse("console:case", args=[ticket.code])))
    assert 'id="action-reply"' not in page
    assert "il cittadino non ha lasciato un indirizzo email a cui rispondere" in page
    # The resolution cannot be sent there either: the form does not offer it.
    assert 'name="notify"' not in page


def test_note_is_added_and_an_empty_one_refused(cast: personas.Cast) -> None:
    ticket = factories.open_case()
    client = _client(cast.operator)
    _accepted(_act(client, ticket, "note", {"text": "Chiamare il CAF."}), ticket)
    assert Message.objects.filter(
        direction=Message.Direction.NOTE, text="Chiamare il CAF."
    ).exists()

    before = counts()
    _refused(_act(client, ticket, "note", {"text": ""}), "Questo campo è obbligatorio")
    assert counts() == before


# --- Assign, escalate, send back ----------------------------------------------------------


def test_assign_to_a_team_and_an_operator(cast: personas.Cast) -> None:
    ticket = factories.open_case()
    response = _act(
        _client(cast.supervisor),
        ticket,
        "assign",
        {"team": cast.cc_team.pk, "assignee": cast.operator.pk},
    )
    _accepted(response, ticket)
    ticket = refresh(ticket)
    assert (ticket.team, ticket.assignee, ticket.status) == (cast.cc_team, cast.operator, S.OPEN)


def test_assign_refused_says_who_is_not_in_the_team(cast: personas.Cast) -> None:
    ticket = factories.open_case()
    before = counts()
    response = _act(
        _client(cast.supervisor),
        ticket,
        "assign",
        {"team": cast.tari_team.pk, "assignee": cast.operator.pk},
    )
    _refused(response, "L&#x27;operatore Giulia Verdi non fa parte del team Back office TARI.")
    assert counts() == before
    _refused(
        _act(_client(cast.supervisor), ticket, "assign", {}),
        "Scegli un operatore o un team a cui assegnare il caso.",
    )


def test_escalate_to_an_office_with_a_note(cast: personas.Cast) -> None:
    ticket = factories.open_case()
    response = _act(
        _client(cast.operator),
        ticket,
        "escalate",
        {"office": cast.tari.pk, "note": "Serve verifica dei versamenti."},
    )
    _accepted(response, ticket)
    ticket = refresh(ticket)
    assert (ticket.status, ticket.office, ticket.level) == (S.OFFICE, cast.tari, 2)
    assert ticket.events.filter(kind=TicketEvent.Kind.ESCALATED, to_value="Ufficio TARI").exists()


def test_escalate_refused_when_the_case_is_already_there(cast: personas.Cast) -> None:
    ticket = factories.ticket_in(S.OFFICE, actor=cast.operator, office=cast.tari, level=2)
    before = counts()
    response = _act(_client(cast.operator), ticket, "escalate", {"office": cast.tari.pk})
    _refused(response, "il caso è già a Ufficio TARI")
    assert counts() == before
    _refused(_act(_client(cast.operator), ticket, "escalate", {}), "Scegli l&#x27;ufficio")


def test_the_office_sends_a_case_back_and_loses_sight_of_it(cast: personas.Cast) -> None:
    ticket = factories.ticket_in(S.OFFICE, actor=cast.operator, office=cast.tari, level=2)
    response = _act(
        _client(cast.office_operator), ticket, "send_back", {"reason": "Non è di competenza TARI."}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("console:inbox")
    ticket = refresh(ticket)
    assert (ticket.status, ticket.level) == (S.OPEN, 1)


def test_send_back_refused_for_a_case_not_with_an_office(cast: personas.Cast) -> None:
    ticket = factories.ticket_in(S.OPEN, actor=cast.operator, office=cast.tari)
    before = counts()
    response = _act(_client(cast.operator), ticket, "send_back", {"reason": "Prova."})
    _refused(response, "solo un caso assegnato a un ufficio può essere restituito")
    assert counts() == before


# --- Wait, resolve, close, reopen, cancel -------------------------------------------------


def test_wait_for_the_citizen_asks_the_question(cast: personas.Cast) -> None:
    ticket = factories.open_case()
    response = _act(
        _client(cast.operator), ticket, "wait", {"question": "Ci manda il numero dell'avviso?"}
    )
    _accepted(response, ticket)
    assert refresh(ticket).status == S.WAITING
    assert Message.objects.filter(
        direction=Message.Direction.OUTBOUND, text="Ci manda il numero dell'avviso?"
    ).exists()


def test_wait_refused_on_a_cancelled_case(cast: personas.Cast) -> None:
    ticket = factories.ticket_in(S.CANCELLED, actor=cast.operator, office=cast.tari)
    before = counts()
    response = _act(_client(cast.operator), ticket, "wait", {"question": ""})
    _refused(response, "un caso annullato non può più cambiare")
    assert counts() == before


def test_resolve_with_a_resolution_sent_to_the_citizen(cast: personas.Cast) -> None:
    ticket = factories.open_case()
    response = _act(
        _client(cast.operator),
        ticket,
        "resolve",
        {"resolution": "L'avviso è stato rispedito.", "notify": "send"},
    )
    _accepted(response, ticket)
    ticket = refresh(ticket)
    assert (ticket.status, ticket.resolution) == (S.RESOLVED, "L'avviso è stato rispedito.")
    assert Message.objects.filter(
        direction=Message.Direction.OUTBOUND, text="L'avviso è stato rispedito."
    ).exists()


def test_resolve_refused_without_a_resolution_or_on_a_closed_case(cast: personas.Cast) -> None:
    ticket = factories.open_case()
    client = _client(cast.operator)
    _refused(_act(client, ticket, "resolve", {"resolution": ""}), "Questo campo è obbligatorio")
    closed = factories.ticket_in(S.CLOSED, actor=cast.operator, office=cast.tari)
    before = counts()
    _refused(
        _act(client, closed, "resolve", {"resolution": "Di nuovo.", "notify": "silent"}),
        "riapri prima il caso",
    )
    assert counts() == before


def test_close_then_reopen(cast: personas.Cast) -> None:
    ticket = factories.ticket_in(S.RESOLVED, actor=cast.operator, office=cast.tari)
    client = _client(cast.operator)
    _accepted(_act(client, ticket, "close", {}), ticket)
    assert refresh(ticket).status == S.CLOSED
    _accepted(_act(client, ticket, "reopen", {"reason": "Il cittadino ha riscritto."}), ticket)
    assert refresh(ticket).status == S.OPEN


def test_close_and_reopen_refused_on_an_open_case(cast: personas.Cast) -> None:
    ticket = factories.open_case()
    client = _client(cast.operator)
    before = counts()
    _refused(_act(client, ticket, "close", {}), "risolvi il caso prima di chiuderlo")
    _refused(
        _act(client, ticket, "reopen", {"reason": ""}),
        "solo un caso risolto o chiuso può essere riaperto",
    )
    assert counts() == before


def test_cancel_needs_a_reason_and_a_cancelled_case_stays(cast: personas.Cast) -> None:
    ticket = factories.open_case()
    client = _client(cast.operator)
    _refused(_act(client, ticket, "cancel", {"reason": ""}), "Questo campo è obbligatorio")
    _accepted(_act(client, ticket, "cancel", {"reason": "Aperto per errore."}), ticket)
    assert refresh(ticket).status == S.CANCELLED
    _refused(
        _act(client, ticket, "cancel", {"reason": "Ancora."}),
        "Il caso non può passare da «Annullato» a «Annullato»",
    )


# --- Merge --------------------------------------------------------------------------------


def test_merge_a_duplicate_by_its_code(cast: personas.Cast) -> None:
    kept = factories.open_case("Avviso TARI mai arrivato.")
    duplicate = factories.open_case("Avviso TARI mai arrivato (di nuovo).")
    response = _act(
        _client(cast.operator), kept, "merge", {"code": duplicate.code.lower(), "keep": "this"}
    )
    _accepted(response, kept)
    duplicate = refresh(duplicate)
    assert (duplicate.status, duplicate.parent_id) == (S.CLOSED, kept.pk)


def test_merge_into_the_other_case_shows_the_kept_one(cast: personas.Cast) -> None:
    kept = factories.open_case("Primo.")
    duplicate = factories.open_case("Secondo.")
    response = _act(
        _client(cast.operator), duplicate, "merge", {"code": kept.code, "keep": "other"}
    )
    _accepted(response, kept)
    assert refresh(duplicate).parent_id == kept.pk


def test_merge_refused_for_other_citizens_or_cases_out_of_sight(cast: personas.Cast) -> None:
    maria_id = _id(factories.submit_scrivi("Avviso TARI", email="maria@example.it").ticket_id)
    luca_id = _id(
        factories.submit_scrivi("Avviso TARI", email="luca@example.it", first_name="Luca").ticket_id
    )
    maria, luca = Ticket.objects.get(pk=maria_id), Ticket.objects.get(pk=luca_id)
    assert maria.citizen_id and luca.citizen_id and maria.citizen_id != luca.citizen_id
    before = counts()
    _refused(
        _act(_client(cast.operator), maria, "merge", {"code": luca.code, "keep": "this"}),
        "Questi casi appartengono a cittadini diversi: unisci prima i cittadini.",
    )
    assert counts() == before

    mine = factories.ticket_in(S.OFFICE, actor=cast.operator, office=cast.tari, level=2)
    theirs = factories.ticket_in(S.OFFICE, actor=cast.operator, office=cast.anagrafe, level=2)
    _refused(
        _act(_client(cast.office_operator), mine, "merge", {"code": theirs.code, "keep": "this"}),
        f"Nessun caso con il codice {theirs.code} tra quelli che puoi vedere.",
    )
    assert refresh(theirs).parent_id is None


# --- Tags, campaign, theme and kind -------------------------------------------------------


def test_tags_are_added_by_name_and_removed(cast: personas.Cast) -> None:
    ticket = factories.open_case()
    client = _client(cast.operator)
    _accepted(_act(client, ticket, "tag", {"add": "Pagina poco chiara, TARI 2026"}), ticket)
    assert sorted(refresh(ticket).tags.values_list("slug", flat=True)) == [
        "pagina-poco-chiara",
        "tari-2026",
    ]
    tag = Tag.objects.get(slug="tari-2026")
    _accepted(_act(client, ticket, "tag", {"remove": [tag.pk]}), ticket)
    assert list(refresh(ticket).tags.values_list("slug", flat=True)) == ["pagina-poco-chiara"]
    _refused(_act(client, ticket, "tag", {"add": " , "}), "Scrivi un&#x27;etichetta da aggiungere")


def test_link_and_unlink_a_campaign(cast: personas.Cast) -> None:
    campaign = Campaign.objects.create(
        code="tari-2026", name="TARI 2026", starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31)
    )
    ticket = factories.open_case()
    client = _client(cast.operator)
    _accepted(_act(client, ticket, "campaign", {"campaign": campaign.pk}), ticket)
    assert refresh(ticket).campaign == campaign
    _accepted(_act(client, ticket, "campaign", {"campaign": ""}), ticket)
    assert refresh(ticket).campaign is None
    _refused(_act(client, ticket, "campaign", {"campaign": 9999}), "Scegli un&#x27;opzione valida")


def test_set_theme_and_kind(cast: personas.Cast) -> None:
    theme = Theme.objects.get(code="tari-dichiarazione")
    ticket = factories.open_case()
    client = _client(cast.operator)
    _accepted(
        _act(client, ticket, "classify", {"theme": theme.pk, "kind": Ticket.Kind.COMPLAINT}),
        ticket,
    )
    ticket = refresh(ticket)
    assert (ticket.theme, ticket.kind) == (theme, Ticket.Kind.COMPLAINT)
    page = _page(client.get(reverse("console:case", args=[ticket.code])))
    assert "Tipo: da «Richiesta di informazioni» a «Reclamo»." in page
    _refused(_act(client, ticket, "classify", {"kind": "fax"}), "Scegli un&#x27;opzione valida")


def test_unknown_action_is_404(cast: personas.Cast) -> None:
    ticket = factories.open_case()
    assert _act(_client(cast.operator), ticket, "explode", {}).status_code == 404
    assert actions.action_refusal(ticket, "reply") == ""
