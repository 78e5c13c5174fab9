"""The case page's workspace without a browser: the composer's article search with the
placeholders filled, the salutation from the citizen's data, the collision warning's poll, and
the no-JavaScript path (the form posts, the server asks for confirmation on its own page and
refuses an empty reply)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from ascolto.channels.models import Message
from ascolto.citizens.models import Citizen
from ascolto.knowledge import placeholders
from ascolto.knowledge.models import Article
from ascolto.tickets import actions
from ascolto.tickets.models import CasePresence, Ticket
from tests import factories, personas

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _scrivi_case() -> Ticket:
    received = factories.submit_scrivi(
        "Non ho ricevuto l'avviso TARI.",
        email=personas.MARIA_EMAIL,
        fiscal_code=personas.MARIA_FISCAL_CODE,
    )
    assert received.ticket_id is not None
    return Ticket.objects.get(pk=received.ticket_id)


@pytest.mark.parametrize(
    ("code", "sex"),
    [
        (personas.MARIA_FISCAL_CODE, "F"),  # born on the 12th: 52 = 12 + 40
        (personas.LUCA_FISCAL_CODE, "M"),
        ("RSSMRA80C5NF205L", "F"),  # omocodia: N stands for 2
        ("not a code", ""),
        ("", ""),
    ],
)
def test_the_fiscal_code_tells_the_salutation(code: str, sex: str) -> None:
    assert placeholders.sex_from_fiscal_code(code) == sex


def test_the_salutation_follows_the_citizen_or_is_neutral() -> None:
    maria = Citizen(first_name="Maria", last_name="Rossi", fiscal_code=personas.MARIA_FISCAL_CODE)
    luca = Citizen(first_name="Luca", last_name="Bianchi", fiscal_code=personas.LUCA_FISCAL_CODE)
    nameless = Citizen(first_name="Anna", last_name="Esposito")
    assert placeholders.salutation(maria) == "Gentile Sig.ra Rossi"
    assert placeholders.salutation(luca) == "Gentile Sig. Bianchi"
    assert placeholders.salutation(nameless) == "Gentile Anna Esposito"
    assert placeholders.salutation(Citizen()) == "Gentile cittadina/cittadino"
    assert placeholders.salutation(None) == "Gentile cittadina/cittadino"


def test_the_search_fills_the_placeholders_with_the_case(cast: personas.Cast) -> None:
    with time_machine.travel(NOON, tick=False):
        ticket = factories.ticket_in(
            Ticket.Status.OFFICE, actor=cast.operator, office=cast.tari, level=2
        )
    ticket.due_at = NOON + timedelta(days=3)
    ticket.save(update_fields=["due_at"])
    Article.objects.create(
        slug="risposta-tari",
        title="Risposta TARI",
        summary="Modello",
        body="{saluto}, la pratica {codice} sarà chiusa entro il {scadenza} da {ufficio}. {altro}",
        audience=Article.Audience.INTERNAL,
    )
    Article.objects.create(
        slug="bozza", title="Bozza TARI", summary="x", body="x", is_published=False
    )
    url = reverse("console:case-snippets", args=[ticket.code])

    response = _client(cast.office_operator).get(url, {"q": "tari"})

    assert response.status_code == 200
    [result] = response.json()["results"]
    assert result["title"] == "Risposta TARI" and result["internal"] is True
    assert result["text"] == (
        f"{placeholders.salutation(ticket.citizen)}, la pratica {ticket.code} sarà chiusa "
        "entro il 05/03/2026 da Ufficio TARI. {altro}"
    )
    # Out of the operator's scope: 404, like the case page.
    assert _client(cast.anagrafe_operator).get(url, {"q": "tari"}).status_code == 404


def test_the_poll_lists_the_others_on_the_case_and_forgets_them(cast: personas.Cast) -> None:
    ticket = _scrivi_case()
    url = reverse("console:case-presence", args=[ticket.code])
    giulia, marco = _client(cast.operator), _client(cast.supervisor)
    with time_machine.travel(NOON, tick=False):
        assert 'id="collision"' not in giulia.post(url).content.decode()
        marco.post(url, {"typing": "1"})
        page = giulia.post(url).content.decode()
        assert "Marco N. sta scrivendo una risposta" in page
        marco.post(url, {"typing": "0"})
        assert "Marco N. sta guardando questo caso" in giulia.post(url).content.decode()
    assert CasePresence.objects.filter(ticket=ticket).count() == 2  # one row each, updated
    later = NOON + timedelta(seconds=actions.PRESENCE_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        assert 'id="collision"' not in giulia.post(url).content.decode()
    # The case page itself records the visit and shows the warning without JavaScript.
    with time_machine.travel(later, tick=False):
        marco.post(url)
        page = giulia.get(reverse("console:case", args=[ticket.code])).content.decode()
    assert "Marco N. sta guardando questo caso" in page


def test_opening_a_case_forgets_the_cases_left(cast: personas.Cast) -> None:
    left, opened = _scrivi_case(), factories.open_case()
    client = _client(cast.operator)
    with time_machine.travel(NOON, tick=False):
        client.post(reverse("console:case-presence", args=[left.code]))
        client.get(reverse("console:case", args=[opened.code]))
        assert CasePresence.objects.filter(user=cast.operator).count() == 2  # both seen now
    with time_machine.travel(NOON + timedelta(minutes=5), tick=False):
        client.get(reverse("console:case", args=[opened.code]))
    assert list(
        CasePresence.objects.filter(user=cast.operator).values_list("ticket", flat=True)
    ) == [opened.pk]


def test_stale_presence_rows_are_deleted_when_read_and_by_the_prune(cast: personas.Cast) -> None:
    ticket, other = _scrivi_case(), factories.open_case()
    url = reverse("console:case-presence", args=[ticket.code])
    giulia, marco = _client(cast.operator), _client(cast.supervisor)
    with time_machine.travel(NOON, tick=False):
        marco.post(url)
        marco.post(reverse("console:case-presence", args=[other.code]))
    later = NOON + timedelta(seconds=actions.PRESENCE_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        # Marco left both cases without a goodbye: reading this case's presence deletes his row.
        assert 'id="collision"' not in giulia.post(url).content.decode()
    assert sorted(CasePresence.objects.values_list("ticket", "user")) == sorted(
        [(other.pk, cast.supervisor.pk), (ticket.pk, cast.operator.pk)]
    )
    # Nobody reads the other case again: the scheduler's prune deletes what is stale, only that.
    with time_machine.travel(later + timedelta(seconds=1), tick=False):
        out = StringIO()
        call_command("prune_presence", stdout=out)
    assert out.getvalue().strip() == "1 presence row(s) of people who left deleted"
    assert list(CasePresence.objects.values_list("ticket", "user")) == [
        (ticket.pk, cast.operator.pk)
    ]
    with time_machine.travel(later + timedelta(seconds=actions.PRESENCE_SECONDS + 1), tick=False):
        assert actions.prune_presence() == 1
    assert not CasePresence.objects.exists()


def test_the_page_goodbye_drops_the_user_at_once(cast: personas.Cast) -> None:
    ticket = _scrivi_case()
    url = reverse("console:case-presence", args=[ticket.code])
    giulia, marco = _client(cast.operator), _client(cast.supervisor)
    with time_machine.travel(NOON, tick=False):
        marco.post(url)
        assert "Marco N. sta guardando questo caso" in giulia.post(url).content.decode()
        assert marco.post(url, {"left": "1"}).status_code == 204
        assert 'id="collision"' not in giulia.post(url).content.decode()
    assert list(CasePresence.objects.values_list("user", flat=True)) == [cast.operator.pk]
    # The goodbye is for the case's own staff only, like the poll.
    assert _client(cast.anagrafe_operator).post(url, {"left": "1"}).status_code == 404


def test_without_javascript_the_reply_asks_for_confirmation_and_an_empty_one_is_refused(
    cast: personas.Cast,
) -> None:
    ticket = _scrivi_case()
    client = _client(cast.operator)
    url = reverse("console:case-action", args=[ticket.code, "reply"])

    empty = client.post(url, {"text": "  \n "})
    assert empty.status_code == 400
    assert "Questo campo è obbligatorio: scrivi il testo." in empty.content.decode()

    asked = client.post(url, {"text": "Gentile Sig.ra Rossi, l'avviso è partito."})
    page = asked.content.decode()
    assert asked.status_code == 200 and "Inviare la risposta al cittadino?" in page
    assert 'name="confirmed" value="True"' in page
    assert not Message.objects.filter(author=cast.operator).exists()

    done = client.post(
        url, {"text": "Gentile Sig.ra Rossi, l'avviso è partito.", "confirmed": "True"}
    )
    assert done.status_code == 302
    assert Message.objects.get(author=cast.operator).text.startswith("Gentile Sig.ra Rossi")


def test_the_page_has_the_composer_the_menu_and_no_native_confirm(cast: personas.Cast) -> None:
    ticket = _scrivi_case()
    page = _client(cast.operator).get(reverse("console:case", args=[ticket.code])).content.decode()
    composer = page[page.index('id="composer"') : page.index('id="h-timeline"')]
    for name in ("reply", "note", "resolve"):
        assert f'id="action-{name}"' in composer
    menu = page[page.index('id="case-actions"') :]
    assert 'id="action-assign"' in menu and 'id="refused-actions"' in menu
    assert "data-confirm=" not in page  # ascolto.js's native confirm() is not used here
    assert 'id="confirm-dialog"' in page and 'class="modal fade"' in page
    # The citizen's first message comes before the composer and the case's data.
    assert page.index("Non ho ricevuto l&#x27;avviso TARI.") < page.index('id="composer"')
    assert page.index('id="composer"') < page.index('id="citizen-panel"')
