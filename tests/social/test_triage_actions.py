"""The social triage queue's actions on threads taken in from Meta's recorded deliveries, with
replies and hiding sent to the local Graph server: claim before act, the answers, a case
opened, and a disservice forwarded to an office whose outcome comes back as a proposed reply."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from ascolto.channels.adapters.meta.sandbox import GraphSandbox
from ascolto.channels.models import Message
from ascolto.core.errors import DomainError
from ascolto.social import actions, queue
from ascolto.social.models import SocialThread
from ascolto.tickets import actions as ticket_actions
from ascolto.tickets.models import Ticket
from tests import personas
from tests.social.helpers import page_channel, replay

pytestmark = pytest.mark.django_db

State = SocialThread.State
NOW = datetime(2025, 12, 6, 11, 0, tzinfo=UTC)  # the day of the recorded comments


@pytest.fixture
def thread(cast: personas.Cast) -> SocialThread:
    page = page_channel()
    replay(page, "feed_comment_add")
    replay(page, "feed_comment_reply")
    assert queue.sync() == 1
    return SocialThread.objects.get()


def test_sync_adds_every_thread_once_and_only_threads_of_comments(
    cast: personas.Cast, thread: SocialThread
) -> None:
    assert queue.sync() == 0
    assert thread.post_id == "1234567890_555000111"
    assert thread.state == State.NEW


def test_of_two_operators_claiming_the_same_thread_one_wins(
    cast: personas.Cast, thread: SocialThread
) -> None:
    with time_machine.travel(NOW, tick=False):
        actions.claim(thread, cast.operator)
        with pytest.raises(actions.ClaimedByOther, match="Giulia Verdi"):
            actions.claim(thread, cast.supervisor)
        with pytest.raises(actions.ClaimedByOther):
            actions.mark_not_relevant(thread, actor=cast.supervisor)
    # The claim lapses: the thread goes back to the others.
    with time_machine.travel(NOW + timedelta(minutes=actions.CLAIM_MINUTES + 1), tick=False):
        assert actions.claim(thread, cast.supervisor).claimed_by == cast.supervisor


def test_acting_without_a_claim_is_refused(cast: personas.Cast, thread: SocialThread) -> None:
    with pytest.raises(DomainError, match="Prendi in carico"):
        actions.answer(thread, "Grazie", actor=cast.operator)
    with pytest.raises(DomainError, match="ruolo"):
        actions.claim(thread, cast.analyst)


def test_a_public_answer_leaves_under_the_comment_and_the_thread_is_answered(
    cast: personas.Cast,
    thread: SocialThread,
    graph_sandbox: GraphSandbox,
    django_capture_on_commit_callbacks: Any,
) -> None:
    actions.claim(thread, cast.operator)
    with django_capture_on_commit_callbacks(execute=True):
        reply = actions.answer(thread, "Segnalato all'illuminazione pubblica.", actor=cast.operator)
    [sent] = graph_sandbox.sent("/comments")
    assert sent.path.endswith("/555000111_700000002/comments")  # the latest comment
    assert sent.body == {"message": "Segnalato all'illuminazione pubblica."}
    assert Message.objects.get(pk=reply.pk).status == Message.Status.SENT
    thread.refresh_from_db()
    assert (thread.state, thread.claimed_by) == (State.ANSWERED, None)


def test_a_private_answer_goes_once_per_comment(
    cast: personas.Cast,
    thread: SocialThread,
    graph_sandbox: GraphSandbox,
    django_capture_on_commit_callbacks: Any,
) -> None:
    first = Message.objects.filter(external_id="555000111_700000001").get()
    with time_machine.travel(NOW, tick=False):
        actions.claim(thread, cast.operator)
        with django_capture_on_commit_callbacks(execute=True):
            actions.answer(
                thread, "Ci scriva l'indirizzo.", actor=cast.operator, private=True, target=first.pk
            )
        [sent] = graph_sandbox.sent("/messages")
        assert sent.body["recipient"] == {"comment_id": "555000111_700000001"}
        # A new comment brings the thread back; a second private reply to the same comment is
        # refused, as Meta refuses it.
        thread.refresh_from_db()
        SocialThread.objects.filter(pk=thread.pk).update(state=State.NEW)
        actions.claim(thread, cast.operator)
        with pytest.raises(DomainError, match="già avuto"):
            actions.answer(thread, "Di nuovo", actor=cast.operator, private=True, target=first.pk)


def test_a_new_comment_brings_an_answered_thread_back_to_the_queue(
    cast: personas.Cast, graph_sandbox: GraphSandbox
) -> None:
    page = page_channel()
    replay(page, "feed_comment_add")
    queue.sync()
    thread = SocialThread.objects.get()
    actions.claim(thread, cast.operator)
    actions.mark_not_relevant(thread, actor=cast.operator)
    queue.sync()
    assert SocialThread.objects.get().state == State.NOT_RELEVANT
    replay(page, "feed_comment_reply")
    queue.sync()
    assert SocialThread.objects.get().state == State.NEW


def test_opening_a_case_makes_the_thread_its_conversation(
    cast: personas.Cast, thread: SocialThread
) -> None:
    actions.claim(thread, cast.operator)
    ticket = actions.open_case(thread, actor=cast.operator, kind=Ticket.Kind.INFORMATION)
    assert list(ticket.conversations.all()) == [thread.conversation]
    assert ticket.channel.kind == "facebook"
    assert "lampione" in ticket.subject
    thread.refresh_from_db()
    assert (thread.state, thread.ticket) == (State.CASE, ticket)


def test_a_forwarded_disservice_comes_back_with_the_offices_outcome(
    cast: personas.Cast,
    thread: SocialThread,
    graph_sandbox: GraphSandbox,
    django_capture_on_commit_callbacks: Any,
) -> None:
    actions.claim(thread, cast.operator)
    ticket = actions.forward_to_office(
        thread, cast.tari, actor=cast.operator, note="Lampione spento, via Padova 42"
    )
    assert (ticket.level, ticket.office, ticket.status) == (2, cast.tari, Ticket.Status.OFFICE)
    assert ticket.kind == Ticket.Kind.DISSERVICE
    thread.refresh_from_db()
    assert thread.state == State.FORWARDED

    with django_capture_on_commit_callbacks(execute=True):
        ticket_actions.resolve_ticket(
            ticket, "Il lampione è stato riparato il 5 dicembre.", actor=cast.office_operator
        )
    thread.refresh_from_db()
    assert thread.state == State.OUTCOME
    assert thread.proposed_reply == "Il lampione è stato riparato il 5 dicembre."
    assert actions.offer_outcome(ticket.pk) is False  # handled twice: nothing more

    actions.claim(thread, cast.operator)
    with django_capture_on_commit_callbacks(execute=True):
        actions.answer(thread, thread.proposed_reply, actor=cast.operator)
    assert graph_sandbox.sent("/comments")[-1].body == {
        "message": "Il lampione è stato riparato il 5 dicembre."
    }
    thread.refresh_from_db()
    assert (thread.state, thread.proposed_reply) == (State.ANSWERED, "")


def test_hiding_hides_every_comment_of_the_thread(
    cast: personas.Cast,
    thread: SocialThread,
    graph_sandbox: GraphSandbox,
    django_capture_on_commit_callbacks: Any,
) -> None:
    actions.claim(thread, cast.operator)
    with django_capture_on_commit_callbacks(execute=True):
        actions.hide(thread, actor=cast.operator)
    hidden = [r for r in graph_sandbox.requests if r.body == {"is_hidden": True}]
    assert sorted(r.path.rsplit("/", 1)[-1] for r in hidden) == [
        "555000111_700000001",
        "555000111_700000002",
    ]
    assert all(m.raw and m.raw["withdrawn"]["verb"] == "hide" for m in actions.comments(thread))
    thread.refresh_from_db()
    assert (thread.state, thread.last_error) == (State.HIDDEN, "")


def test_a_reply_from_the_case_page_goes_under_the_threads_first_comment(
    cast: personas.Cast,
    thread: SocialThread,
    graph_sandbox: GraphSandbox,
    django_capture_on_commit_callbacks: Any,
) -> None:
    actions.claim(thread, cast.operator)
    ticket = actions.open_case(thread, actor=cast.operator)
    with django_capture_on_commit_callbacks(execute=True):
        reply = ticket_actions.reply_to_ticket(ticket, "Le rispondiamo qui.", actor=cast.operator)
    assert Message.objects.get(pk=reply.pk).status == Message.Status.SENT
    [sent] = graph_sandbox.sent("/comments")
    assert sent.path.endswith("/555000111_700000001/comments")


def test_a_thread_whose_channel_opened_a_case_is_not_in_the_queue(cast: personas.Cast) -> None:
    page = page_channel()
    page.config["opens_cases"] = True
    page.save()
    [received] = replay(page, "feed_comment_add")
    assert received.ticket_id is not None
    queue.sync()
    thread = SocialThread.objects.get()
    assert (thread.state, thread.ticket_id) == (State.CASE, received.ticket_id)


def test_the_office_of_a_forwarded_thread_cannot_answer_in_it(
    cast: personas.Cast,
    thread: SocialThread,
    graph_sandbox: GraphSandbox,
    django_capture_on_commit_callbacks: Any,
    client: Any,
) -> None:
    """The office works the disservice; only the social operator answers in the public thread
    (when the outcome is offered back): the case refuses a reply, says why, keeps notes."""
    from django.urls import reverse

    from ascolto.core.errors import InvalidInput

    actions.claim(thread, cast.operator)
    ticket = actions.forward_to_office(thread, cast.tari, actor=cast.operator, note="Via Padova")
    route = ticket_actions.reply_route(ticket)
    assert route.held and "operatore social" in route.refusal
    with pytest.raises(InvalidInput, match="operatore social"):
        ticket_actions.reply_to_ticket(ticket, "Lo ripariamo domani.", actor=cast.office_operator)
    with pytest.raises(InvalidInput, match="operatore social"):
        ticket_actions.wait_for_citizen(
            ticket, actor=cast.office_operator, question="In che punto della via?"
        )
    ticket_actions.add_ticket_note(ticket, "Squadra inviata.", actor=cast.office_operator)
    assert not Message.objects.filter(direction=Message.Direction.OUTBOUND).exists()

    client.force_login(cast.office_operator)
    html = client.get(reverse("console:case", args=[ticket.code])).content.decode()
    assert 'id="reply-closed"' in html and "nel thread risponde l&#x27;operatore social" in html
    assert 'id="action-reply"' not in html  # the reply box is not offered
    assert 'id="action-note"' in html
    response = client.post(
        reverse("console:case-action", args=[ticket.code, "reply"]), {"text": "Risolto."}
    )
    assert response.status_code in (200, 400)
    assert not Message.objects.filter(direction=Message.Direction.OUTBOUND).exists()

    # A case opened from a thread and kept at the first level is answered from its page.
    ticket.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_actions.resolve_ticket(ticket, "Riparato.", actor=cast.office_operator)
    thread.refresh_from_db()
    assert thread.state == State.OUTCOME  # the social operator answers, from the queue
    assert graph_sandbox.sent("/comments") == []
