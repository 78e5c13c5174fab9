"""Whatever a channel hands to intake, `receive` either stores it whole or refuses it whole.

Arbitrary text (unicode, control characters, NUL, very long) and arbitrary handles of every kind:
the result is a `Received` whose message text is the input stripped and without NUL (which
PostgreSQL cannot store, so intake drops it everywhere), whose identity is the normalised handle,
and which a second delivery recognises as a duplicate; or an
`InvalidInput`/`NotFound` that wrote nothing. Never another exception, never a partial write.
"""

from __future__ import annotations

import dataclasses
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ascolto.channels.actions import receive
from ascolto.channels.inbound import CaseHints, InboundMessage
from ascolto.channels.models import Conversation, Message
from ascolto.citizens.handles import normalise_handle
from ascolto.citizens.models import Identity
from ascolto.citizens.sender import Sender
from ascolto.core.errors import InvalidInput, NotFound
from ascolto.tickets.models import Ticket
from tests import personas
from tests.factories import counts

pytestmark = pytest.mark.django_db

_ids = itertools.count(1)


def _examples(n: int) -> settings:
    return settings(
        max_examples=n,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


# Any text: unicode of every category (surrogates aside, which no channel can deliver in
# UTF-8), control characters and NUL included; sometimes around the length limit.
any_text = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.sampled_from(" \x00\t\n\r\x0b\x0c\u00a0\u2028\u200b"), max_size=20),
    st.builds(
        lambda chunk, times: chunk * times,
        st.text(min_size=1, max_size=3),
        st.integers(min_value=6_000, max_value=7_000),
    ),
)

_phone_like = st.one_of(
    st.from_regex(r"\A(\+39|0039)? ?3[0-9]{2} ?[0-9]{3} ?[0-9]{4}\Z"),
    st.from_regex(r"\A\+?[0-9 ()./-]{0,20}\Z"),
)
HANDLES: dict[str, st.SearchStrategy[str]] = {
    Identity.Kind.PHONE: st.one_of(_phone_like, st.text(max_size=45)),
    Identity.Kind.WHATSAPP: st.one_of(st.from_regex(r"\A39 ?3[0-9]{9}\Z"), _phone_like, st.text()),
    Identity.Kind.EMAIL: st.one_of(st.emails(), st.text(max_size=60)),
    Identity.Kind.WHATSAPP_BSUID: st.one_of(
        st.from_regex(r"\A[A-Z]{2}\.(ENT\.)?[0-9A-Za-z]{1,20}\Z"), st.text(max_size=30)
    ),
    Identity.Kind.FACEBOOK_PSID: st.one_of(st.from_regex(r"\A[0-9]{1,70}\Z"), st.text()),
    Identity.Kind.INSTAGRAM_ID: st.one_of(st.from_regex(r"\A[0-9]{5,20}\Z"), st.text()),
    Identity.Kind.LOGIN: st.one_of(
        st.text(min_size=1, max_size=300), st.from_regex(r"\A\S{1,40}\Z")
    ),
}
kind_and_handle = st.sampled_from(sorted(HANDLES)).flatmap(
    lambda kind: st.tuples(st.just(kind), HANDLES[kind])
)


def _check_received_or_refused(inbound: InboundMessage) -> Message | None:
    before = counts()
    try:
        received = receive(inbound)
    except (InvalidInput, NotFound):
        assert counts() == before, "a refused message left rows behind"
        return None

    assert received.duplicate is False
    stored = Message.objects.get(pk=received.message.pk)
    assert stored.text == inbound.text.replace("\x00", "").strip()
    assert stored.direction == Message.Direction.INBOUND
    identity = Identity.objects.get(pk=received.identity.pk)
    assert (identity.kind, identity.value) == (
        inbound.handle_kind,
        normalise_handle(inbound.handle_kind, inbound.handle.replace("\x00", "")),
    )
    after = counts()
    assert after.messages == before.messages + 1
    assert after.tickets == before.tickets + 1  # Scrivi opens a case for every new request
    # The sender's handle, and the email and phone they typed in a form, each at most once.
    assert (
        0
        <= after.identities - before.identities
        <= 1 + bool(inbound.sender.email) + bool(inbound.sender.phone)
    )

    again = receive(inbound)
    assert again.duplicate is True
    assert again.message.pk == received.message.pk
    assert again.ticket_id == received.ticket_id
    assert counts() == after
    return stored


@_examples(120)
@given(text=any_text, kind_handle=kind_and_handle)
def test_any_text_from_any_handle(
    cast: personas.Cast, text: str, kind_handle: tuple[str, str]
) -> None:
    kind, handle = kind_handle
    inbound = InboundMessage(
        channel="scrivi",
        external_id=f"prop-{next(_ids)}",
        handle_kind=kind,
        handle=handle,
        text=text,
    )
    _check_received_or_refused(inbound)


@_examples(80)
@given(
    text=st.text(max_size=100),
    subject=st.text(max_size=300),
    display_name=st.text(max_size=250),
    first_name=st.text(max_size=120),
    place=st.text(max_size=300),
    payload=st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=3),
)
def test_any_details_around_the_text(
    cast: personas.Cast,
    text: str,
    subject: str,
    display_name: str,
    first_name: str,
    place: str,
    payload: dict[str, str],
) -> None:
    """What adapters pass besides the text: subject, the sender's names, the raw payload."""
    inbound = InboundMessage(
        channel="scrivi",
        external_id=f"prop-{next(_ids)}",
        handle_kind=Identity.Kind.EMAIL,
        handle=f"cittadino{next(_ids)}@example.it",
        text=text,
        subject=subject,
        display_name=display_name,
        sender=Sender(first_name=first_name, email="proprieta@example.it"),
        hints=CaseHints(place=place),
        raw={"text": text, **payload},
    )
    stored = _check_received_or_refused(inbound)
    if stored is not None:
        assert stored.raw is not None


@_examples(40)
@given(texts=st.lists(st.text(min_size=1, max_size=50), min_size=1, max_size=4))
def test_a_thread_of_messages_stays_one_conversation(cast: personas.Cast, texts: list[str]) -> None:
    thread = f"<thread-{next(_ids)}@mail.example.it>"
    stored = []
    for text in texts:
        inbound = InboundMessage(
            channel="buoni-spesa",
            external_id=f"<prop-{next(_ids)}@mail.example.it>",
            handle_kind=Identity.Kind.EMAIL,
            handle="filo@example.it",
            text=text,
            thread_id=thread,
        )
        try:
            stored.append(receive(inbound))
        except InvalidInput as exc:
            assert not text.replace("\x00", "").strip()
            assert exc.field == "text"

    conversations = {r.conversation.pk for r in stored}
    assert len(conversations) <= 1
    if stored:
        conversation = Conversation.objects.get(pk=conversations.pop())
        assert conversation.messages.count() == len(stored)
        assert len({r.ticket_id for r in stored}) == 1


def test_the_strategies_reach_both_outcomes(cast: personas.Cast) -> None:
    """Guard against strategies that only ever produce refusals (or only valid input)."""
    good = _check_received_or_refused(
        dataclasses.replace(
            InboundMessage("scrivi", "g-1", "phone", "+39 333 1234567", " ciao\x00 "),
            text=" ciao\x00 ",
        )
    )
    bad = _check_received_or_refused(InboundMessage("scrivi", "b-1", "phone", "ciao", "ciao"))

    assert good is not None and good.text == "ciao"
    assert bad is None


def test_nul_characters_are_dropped_from_everything_a_channel_hands_over(
    cast: personas.Cast,
) -> None:
    received = receive(
        InboundMessage(
            channel="scrivi",
            external_id="nul-1\x00",
            handle_kind=Identity.Kind.EMAIL,
            handle="maria.rossi@example.it\x00",
            text="Buon\x00giorno",
            subject="Ogg\x00etto",
            display_name="Maria\x00 Rossi",
            sender=Sender(first_name="Ma\x00ria", email="maria.rossi@example.it"),
            hints=CaseHints(place="Via Dante\x00 1"),
            raw={"entry\x00": ["te\x00sto", {"k": "v\x00"}], "n": 1},
        )
    )

    message = Message.objects.get(pk=received.message.pk)
    assert (message.external_id, message.text, message.subject) == (
        "nul-1",
        "Buongiorno",
        "Oggetto",
    )
    assert message.raw == {"entry": ["testo", {"k": "v"}], "n": 1}
    identity = Identity.objects.get(pk=received.identity.pk)
    assert (identity.value, identity.display_name) == ("maria.rossi@example.it", "Maria Rossi")
    assert identity.citizen.first_name == "Maria"
    assert Ticket.objects.get(pk=received.ticket_id).place == "Via Dante 1"
