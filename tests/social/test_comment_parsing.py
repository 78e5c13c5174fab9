"""Facebook Page `feed` and Instagram `comments` changes, as Meta delivers them (recorded in
tests/fixtures/meta/), parsed into inbound messages and taken in by the real intake: threads,
authors, edits, removals, and what is not a visitor's comment."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ascolto.channels.adapters.meta.comments import parse_change
from ascolto.channels.models import Conversation, Message
from ascolto.citizens.models import Identity
from ascolto.tickets.models import Ticket
from tests import personas
from tests.social.helpers import PAGE_ID, instagram_channel, page_channel, parse, replay

pytestmark = pytest.mark.django_db


def test_a_comment_under_a_post_opens_a_thread_and_no_case(cast: personas.Cast) -> None:
    page = page_channel()
    [inbound] = parse(page, "feed_comment_add")
    assert inbound.external_id == "555000111_700000001"
    assert inbound.thread_id == "555000111_700000001"
    assert (inbound.handle_kind, inbound.handle) == (Identity.Kind.FACEBOOK_PSID, "24680135790")
    assert inbound.display_name == "Carla Russo"
    assert inbound.sent_at == datetime.fromtimestamp(1764999000, tz=UTC)
    social = inbound.raw["social"] if inbound.raw else {}
    assert social["post_id"] == "1234567890_555000111"
    assert social["permalink"] == "https://www.facebook.com/comune/posts/pfbid0abc"

    [received] = replay(page, "feed_comment_add")
    assert received.ticket_id is None
    assert received.conversation.external_thread_id == "555000111_700000001"
    assert Ticket.objects.count() == 0


def test_a_reply_joins_the_thread_of_the_comment_it_answers(cast: personas.Cast) -> None:
    page = page_channel()
    [first] = replay(page, "feed_comment_add")
    [reply] = replay(page, "feed_comment_reply")
    assert reply.conversation.pk == first.conversation.pk
    assert reply.message.raw and reply.message.raw["social"]["author_name"] == "Paolo Marchi"
    assert Conversation.objects.count() == 1
    assert replay(page, "feed_comment_reply")[0].duplicate  # a re-delivery stores nothing


def test_an_edited_comment_updates_the_stored_text_and_keeps_the_original(
    cast: personas.Cast,
) -> None:
    page = page_channel()
    [first] = replay(page, "feed_comment_add")
    assert parse(page, "feed_comment_edited") == []  # not a new message
    message = Message.objects.get(pk=first.message.pk)
    assert message.text.endswith("civico 42 (lato parco).")
    assert message.raw and message.raw["edits"][0]["text"].endswith("civico 42.")
    assert Message.objects.count() == 1


def test_an_edit_of_a_comment_never_stored_is_taken_in_as_the_comment(
    cast: personas.Cast,
) -> None:
    [inbound] = parse(page_channel(), "feed_comment_edited")
    assert inbound.text.endswith("(lato parco).")


def test_a_removed_comment_is_marked_not_dropped_nor_duplicated(cast: personas.Cast) -> None:
    page = page_channel()
    replay(page, "feed_comment_add")
    [reply] = replay(page, "feed_comment_reply")
    assert parse(page, "feed_comment_remove") == []
    message = Message.objects.get(pk=reply.message.pk)
    assert message.raw and message.raw["withdrawn"]["verb"] == "remove"
    assert message.text == "Confermo, anche al 44 è buio."
    assert Message.objects.count() == 2


def test_the_pages_own_comments_and_reactions_are_skipped(cast: personas.Cast) -> None:
    assert parse(page_channel(), "feed_page_own_comment") == []


def test_a_visitor_post_is_a_thread_of_its_own(cast: personas.Cast) -> None:
    page = page_channel()
    [inbound] = parse(page, "feed_visitor_post")
    assert inbound.external_id == inbound.thread_id == "1234567890_555000999"
    assert inbound.sent_at == datetime(2025, 12, 6, 6, 53, 20, tzinfo=UTC)
    assert inbound.raw and inbound.raw["social"]["kind"] == "post"
    assert replay(page, "feed_visitor_post")[0].ticket_id is None


def test_instagram_comments_thread_by_parent_and_skip_the_accounts_own(
    cast: personas.Cast,
) -> None:
    account = instagram_channel()
    [comment] = replay(account, "instagram_comment")
    assert comment.identity.kind == Identity.Kind.INSTAGRAM_ID
    assert comment.identity.display_name == "marta.b"
    assert comment.message.raw and comment.message.raw["social"]["post_id"] == "18000000000000001"
    [reply] = replay(account, "instagram_comment_reply")  # the account's own reply is skipped
    assert reply.conversation.pk == comment.conversation.pk


@pytest.mark.parametrize(
    "value",
    [
        {},
        {"item": "comment"},
        {"item": "comment", "verb": "add", "comment_id": "1_2"},
        {"item": "comment", "verb": "add", "comment_id": "1_2", "from": {"id": "99999"}},
        {"item": "like", "verb": "add", "from": {"id": "99999"}},
        {"item": "comment", "verb": "add", "comment_id": "1_2", "from": "nobody", "message": "x"},
    ],
)
def test_changes_missing_optional_keys_give_nothing_rather_than_an_error(
    cast: personas.Cast, value: dict[str, object]
) -> None:
    page = page_channel()
    assert parse_change(page, PAGE_ID, {"field": "feed", "value": value}) == []
    assert parse_change(page, PAGE_ID, {"field": "feed"}) == []
