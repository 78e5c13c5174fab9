"""The social triage queue in the browser: an operator claims a comment thread and acts on it;
each action is checked on what the local Graph server received, or on the case it opened."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from ascolto.channels.adapters.meta.sandbox import GraphSandbox
from ascolto.channels.models import Message
from ascolto.social import actions, queue
from ascolto.social.models import SocialThread
from ascolto.tickets import actions as ticket_actions
from ascolto.tickets.models import Ticket
from tests import personas
from tests.browser.conftest import serious_violations
from tests.meta.conftest import _graph_server, graph_sandbox
from tests.social.helpers import page_channel, replay

__all__ = ["_graph_server", "graph_sandbox"]

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def thread(cast: personas.Cast) -> SocialThread:
    page = page_channel()
    replay(page, "feed_comment_add")
    replay(page, "feed_comment_reply")
    queue.sync()
    return SocialThread.objects.get()


def _claim(page: Page, thread: SocialThread) -> None:
    page.goto("/console/social/")
    row = page.locator(f"#thread-{thread.pk}")
    expect(row).to_contain_text("Carla Russo")
    expect(row).to_contain_text("lampione")
    expect(page.locator("#social-overview")).to_contain_text("Facebook")
    assert serious_violations(page) == []
    row.get_by_role("button", name="Prendi in carico").click()
    expect(page.locator("#thread-claim")).to_contain_text("a te")


def test_an_operator_answers_a_comment_publicly(
    page: Page, sign_in: Any, cast: personas.Cast, thread: SocialThread, graph_sandbox: GraphSandbox
) -> None:
    sign_in(cast.operator)
    _claim(page, thread)
    assert serious_violations(page) == []
    page.get_by_label("Risposta", exact=True).fill("Grazie, l'abbiamo segnalato.")
    page.get_by_role("button", name="Invia la risposta").click()
    expect(page.locator("#thread-state")).to_have_text("Risposto")
    [sent] = graph_sandbox.sent("/comments")
    assert sent.path.endswith("/555000111_700000002/comments")
    assert sent.body == {"message": "Grazie, l'abbiamo segnalato."}
    expect(page.locator("#interactions")).to_contain_text("Risposta pubblica")


def test_an_operator_answers_a_comment_privately(
    page: Page, sign_in: Any, cast: personas.Cast, thread: SocialThread, graph_sandbox: GraphSandbox
) -> None:
    # The recorded comments are a year old; Meta takes private replies within 7 days.
    Message.objects.update(sent_at=timezone.now())
    sign_in(cast.operator)
    _claim(page, thread)
    page.get_by_label("Commento a cui rispondere").select_option(index=0)
    page.get_by_label("Privata, all'autore").check(force=True)
    page.get_by_label("Risposta", exact=True).fill("Ci scriva il civico esatto, grazie.")
    page.get_by_role("button", name="Invia la risposta").click()
    expect(page.locator("#thread-state")).to_have_text("Risposto")
    [sent] = graph_sandbox.sent("/messages")
    assert sent.body["recipient"] == {"comment_id": "555000111_700000001"}
    assert sent.body["message"] == {"text": "Ci scriva il civico esatto, grazie."}


def test_an_operator_opens_a_case_from_a_thread(
    page: Page, sign_in: Any, cast: personas.Cast, thread: SocialThread
) -> None:
    sign_in(cast.operator)
    _claim(page, thread)
    page.get_by_label("Tipo di richiesta").select_option("information")
    page.get_by_role("button", name="Apri il caso").click()
    expect(page.locator("#thread-state")).to_have_text("Caso aperto")
    ticket = Ticket.objects.get()
    assert list(ticket.conversations.all()) == [thread.conversation]
    expect(page.locator("#thread-facts")).to_contain_text(ticket.code)


def test_an_operator_marks_a_thread_not_relevant(
    page: Page, sign_in: Any, cast: personas.Cast, thread: SocialThread
) -> None:
    sign_in(cast.operator)
    _claim(page, thread)
    page.get_by_role("button", name="Non pertinente").click()
    expect(page.locator("#thread-state")).to_have_text("Non pertinente")
    page.goto("/console/social/")
    expect(page.locator(f"#thread-{thread.pk}")).to_have_count(0)  # out of the queue


def test_an_operator_hides_a_thread(
    page: Page, sign_in: Any, cast: personas.Cast, thread: SocialThread, graph_sandbox: GraphSandbox
) -> None:
    sign_in(cast.operator)
    _claim(page, thread)
    page.get_by_role("button", name="Nascondi i commenti").click()
    expect(page.locator("#thread-state")).to_have_text("Nascosto")
    hidden = sorted(
        r.path.rsplit("/", 1)[-1] for r in graph_sandbox.requests if r.body == {"is_hidden": True}
    )
    assert hidden == ["555000111_700000001", "555000111_700000002"]
    expect(page.locator("#interactions")).to_contain_text("nascosto")


def test_a_forwarded_disservice_returns_with_the_offices_outcome_as_the_reply(
    page: Page, sign_in: Any, cast: personas.Cast, thread: SocialThread, graph_sandbox: GraphSandbox
) -> None:
    sign_in(cast.operator)
    _claim(page, thread)
    page.get_by_label("Ufficio competente").select_option(label="Ufficio TARI")
    page.get_by_label("Nota per l'ufficio").fill("Lampione spento in via Padova 42.")
    page.get_by_role("button", name="Inoltra").click()
    expect(page.locator("#thread-state")).to_have_text("Inoltrato all'ufficio")
    ticket = Ticket.objects.get()
    assert (ticket.level, ticket.office) == (2, cast.tari)

    ticket_actions.resolve_ticket(ticket, "Riparato il 5 dicembre.", actor=cast.office_operator)

    page.goto("/console/social/")
    row = page.locator(f"#thread-{thread.pk}")
    expect(row).to_contain_text("Esito dall'ufficio")
    row.get_by_role("button", name="Prendi in carico").click()
    expect(page.locator("#outcome-note")).to_be_visible()
    expect(page.get_by_label("Risposta", exact=True)).to_have_value("Riparato il 5 dicembre.")
    page.get_by_role("button", name="Invia la risposta").click()
    expect(page.locator("#thread-state")).to_have_text("Risposto")
    assert graph_sandbox.sent("/comments")[-1].body == {"message": "Riparato il 5 dicembre."}


def test_a_thread_claimed_by_another_operator_offers_no_action(
    page: Page, sign_in: Any, cast: personas.Cast, thread: SocialThread
) -> None:
    actions.claim(thread, cast.supervisor)
    sign_in(cast.operator)
    page.goto(f"/console/social/{thread.pk}/")
    expect(page.locator("#thread-claim")).to_contain_text("Marco Neri")
    expect(page.get_by_role("button", name="Prendi in carico")).to_have_count(0)
    expect(page.get_by_role("button", name="Invia la risposta")).to_have_count(0)
