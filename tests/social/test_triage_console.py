"""The social queue's refusals and failures, and its page: who may open it, what Meta refuses
shows on the thread, a transient failure is retried, and the list's queries do not grow with
the threads."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from ascolto.channels.actions import deliver_message
from ascolto.channels.adapters.meta.comments import parse_change
from ascolto.channels.adapters.meta.sandbox import GraphSandbox
from ascolto.channels.intake import receive_many
from ascolto.channels.models import Message
from ascolto.core.errors import DomainError
from ascolto.social import actions, queue
from ascolto.social.models import SocialThread
from tests import personas
from tests.social.helpers import PAGE_ID, page_channel, replay

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def thread(cast: personas.Cast) -> SocialThread:
    replay(page_channel(), "feed_comment_add")
    queue.sync()
    return SocialThread.objects.get()


@pytest.mark.parametrize("who", ["analyst", "office_operator"])
def test_roles_that_do_not_triage_get_no_queue(
    cast: personas.Cast, thread: SocialThread, who: str
) -> None:
    client = _client(getattr(cast, who))
    assert client.get("/console/social/").status_code == 403
    assert client.get(f"/console/social/{thread.pk}/").status_code == 403
    assert client.post(f"/console/social/{thread.pk}/claim/").status_code == 403
    assert SocialThread.objects.get().claimed_by is None
    assert "Commenti social" not in client.get("/console/").content.decode()


def test_a_reply_meta_refuses_is_marked_not_sent_with_the_reason(
    cast: personas.Cast,
    thread: SocialThread,
    graph_sandbox: GraphSandbox,
    django_capture_on_commit_callbacks: Any,
) -> None:
    graph_sandbox.fail_next(code=100, message="(#100) The comment was deleted")
    actions.claim(thread, cast.operator)
    with django_capture_on_commit_callbacks(execute=True):
        reply = actions.answer(thread, "Grazie!", actor=cast.operator)
    reply.refresh_from_db()
    assert reply.status == Message.Status.FAILED
    assert "Meta ha rifiutato la risposta" in reply.last_error
    page = _client(cast.operator).get(f"/console/social/{thread.pk}/").content.decode()
    assert "Non inviato" in page and "The comment was deleted" in page


def test_a_reply_that_meets_a_meta_outage_is_retried(
    cast: personas.Cast,
    thread: SocialThread,
    graph_sandbox: GraphSandbox,
    django_capture_on_commit_callbacks: Any,
) -> None:
    graph_sandbox.fail_next(status=500)
    actions.claim(thread, cast.operator)
    with django_capture_on_commit_callbacks(execute=True):
        reply = actions.answer(thread, "Grazie!", actor=cast.operator)
    reply.refresh_from_db()
    assert reply.status == Message.Status.QUEUED  # the outbox tries again
    deliver_message(reply.pk, attempt=2)
    reply.refresh_from_db()
    assert reply.status == Message.Status.SENT
    assert len(graph_sandbox.sent("/comments")) == 2


def test_a_hide_meta_refuses_is_shown_on_the_thread(
    cast: personas.Cast,
    thread: SocialThread,
    graph_sandbox: GraphSandbox,
    django_capture_on_commit_callbacks: Any,
) -> None:
    graph_sandbox.fail_next(code=100)
    actions.claim(thread, cast.operator)
    with django_capture_on_commit_callbacks(execute=True):
        actions.hide(thread, actor=cast.operator)
    thread.refresh_from_db()
    assert "Meta ha rifiutato di nascondere" in thread.last_error


def test_a_visitor_post_gets_no_private_reply(cast: personas.Cast) -> None:
    replay(page_channel(), "feed_visitor_post")
    queue.sync()
    post = SocialThread.objects.get()
    Message.objects.update(sent_at=post.created_at)  # within Meta's 7 days
    actions.claim(post, cast.operator)
    with pytest.raises(DomainError, match="non ai post"):
        actions.answer(post, "Le scriviamo in privato.", actor=cast.operator, private=True)


def test_a_claim_race_lost_in_the_console_says_who_holds_the_thread(
    cast: personas.Cast, thread: SocialThread
) -> None:
    actions.claim(thread, cast.supervisor)
    response = _client(cast.operator).post(f"/console/social/{thread.pk}/claim/", follow=True)
    assert "in carico a Marco Neri" in response.content.decode()
    assert SocialThread.objects.get().claimed_by == cast.supervisor


def _comments(channel: Any, first: int, count: int) -> None:
    """`count` threads of two comments each (a comment and a reply), numbered from `first`."""
    inbounds = []
    for i in range(first, first + count):
        for reply in (False, True):
            comment_id = f"555000111_{9000000 + 2 * i + reply}"
            value = {
                "item": "comment",
                "verb": "add",
                "from": {"id": str(10000000 + i), "name": f"Persona {i}"},
                "message": f"Commento {i}" + (" (risposta)" if reply else ""),
                "post_id": "1234567890_555000111",
                "comment_id": comment_id,
                "parent_id": f"555000111_{9000000 + 2 * i}" if reply else "1234567890_555000111",
                "created_time": 1764999000 + i,
            }
            inbounds += parse_change(channel, PAGE_ID, {"field": "feed", "value": value})
    receive_many(inbounds)


def test_the_queue_page_queries_do_not_grow_with_the_threads(cast: personas.Cast) -> None:
    page = page_channel()
    client = _client(cast.operator)
    _comments(page, 0, 3)
    assert client.get("/console/social/").status_code == 200  # sync adds the threads

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/console/social/", {"state": ""})
        assert response.status_code == 200
        return len(queries)

    small = count()
    _comments(page, 3, 9)
    client.get("/console/social/")
    large = count()
    assert len(client.get("/console/social/").context["items"]) == 12
    assert large == small, f"queue queries grow: 3 threads {small}, 12 threads {large}"


def test_the_overview_counts_a_thread_once_and_each_interaction(cast: personas.Cast) -> None:
    page = page_channel()
    replay(page, "feed_comment_add")
    replay(page, "feed_comment_reply")
    replay(page, "feed_visitor_post")
    replay(page, "feed_page_own_comment")  # the page's own reply: no interaction
    with time_machine.travel(datetime(2025, 12, 6, 12, 0, tzinfo=UTC), tick=False):
        response = _client(cast.operator).get("/console/social/")
    facebook = next(row for row in response.context["overview"] if row["kind"] == "Facebook")
    assert (facebook["threads"], facebook["interactions"]) == (2, 3)
