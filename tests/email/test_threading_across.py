"""Replies that thread into a case which sent its mail from another channel, and replies fetched
in the same batch as the mail they answer (decision 0013), read from a real Dovecot.

A Scrivi case's acknowledgement and questions leave by email from the Scrivi channel; a phone
case's replies from the first mailbox. The citizen's answer reaches the mailbox read here: it
must join the case that sent the mail, not open a new one, and only when it comes from the
address that mail went to.
"""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ascolto.channels.adapters.email.adapter import new_message_id
from ascolto.channels.adapters.email.inbound import reply_token
from ascolto.channels.adapters.email.receive import Fetched, take_in
from ascolto.channels.models import Channel, Conversation, Message
from ascolto.citizens.models import Citizen
from ascolto.citizens.sender import Sender
from ascolto.contactcenter import actions as cc_actions
from ascolto.tickets import actions
from ascolto.tickets.models import Ticket
from tests import factories, personas
from tests.email.servers import Account, Recorder
from tests.email.test_mailbox import CITIZEN, mail, poll

pytestmark = pytest.mark.django_db


def _scrivi_case_waiting(cast: personas.Cast, commit: Any) -> tuple[Ticket, Message, Message]:
    """A Scrivi request by CITIZEN, acknowledged by email; the operator asks a question (by
    email too, from the Scrivi channel) and the case waits."""
    with commit(execute=True):
        received = factories.submit_scrivi("Come pago la TARI?", email=CITIZEN)
    ticket = Ticket.objects.get(pk=received.ticket_id)
    with commit(execute=True):
        actions.wait_for_citizen(ticket, actor=cast.operator, question="Ci manda l'avviso?")
    ack, question = Message.objects.filter(direction="outbound").order_by("pk")
    assert ack.channel == question.channel == cast.scrivi
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.WAITING
    return ticket, ack, question


def test_a_mail_answering_the_scrivi_question_joins_the_case_and_puts_it_back_to_work(
    mailbox: Channel,
    account: Account,
    cast: personas.Cast,
    smtp_server: tuple[Recorder, int],
    django_capture_on_commit_callbacks: Any,
    mailoutbox: list[Any],
) -> None:
    commit = django_capture_on_commit_callbacks
    ticket, ack, question = _scrivi_case_waiting(cast, commit)
    assert mailoutbox[-1].extra_headers["Message-ID"] == question.external_id
    web = question.conversation
    # The citizen's client answers the question: In-Reply-To it, References the whole thread.
    account.append(
        mail(
            "Ecco l'avviso TARI.",
            subject=f"Re: {mailoutbox[-1].subject}",
            message_id="<answer@mail.example.org>",
            headers={
                "In-Reply-To": question.external_id,
                "References": f"{ack.external_id} {question.external_id}",
            },
        )
    )

    assert poll(mailbox).cases == 1

    assert Ticket.objects.count() == 1
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert ticket.events.filter(kind="status", data__cause="citizen_replied").exists()
    answer = Message.objects.get(external_id="<answer@mail.example.org>")
    mailbox_thread = answer.conversation
    # A conversation of the mailbox, the citizen's, joined to the case; the web one untouched.
    assert (mailbox_thread.channel, mailbox_thread.identity.value) == (mailbox, CITIZEN)
    assert set(ticket.conversations.all()) == {web, mailbox_thread}
    assert answer in ticket.thread()
    assert web.messages.filter(direction="inbound").count() == 1

    # The operator's answer now leaves from the mailbox, threaded on the citizen's mail...
    with commit(execute=True):
        actions.reply_to_ticket(ticket, "Grazie, verifichiamo.", actor=cast.operator)
    sent = smtp_server[0].received[-1]
    assert (sent["To"], sent["In-Reply-To"]) == (CITIZEN, "<answer@mail.example.org>")
    # ...and the citizen's answer to it, and a late second answer to the acknowledgement, stay
    # in that conversation of the mailbox.
    account.append(mail("Perfetto.", headers={"In-Reply-To": sent["Message-ID"]}))
    account.append(mail("Dimenticavo una cosa.", headers={"In-Reply-To": ack.external_id}))
    assert poll(mailbox).cases == 2
    assert Ticket.objects.count() == 1
    assert ticket.conversations.count() == 2
    assert mailbox_thread.messages.filter(direction="inbound").count() == 3


def test_a_stranger_naming_our_message_id_does_not_join_another_channels_case(
    mailbox: Channel,
    account: Account,
    cast: personas.Cast,
    smtp_server: tuple[Recorder, int],
    django_capture_on_commit_callbacks: Any,
) -> None:
    ticket, ack, question = _scrivi_case_waiting(cast, django_capture_on_commit_callbacks)
    # Someone else holds the Message-ID (the citizen forwarded the mail): the case's answers
    # would go to them if their mail joined it.
    account.append(
        mail(
            "Rispondete a me.",
            sender="Altro <altro@example.org>",
            headers={"In-Reply-To": question.external_id},
        )
    )

    poll(mailbox)

    assert Ticket.objects.count() == 2  # a case of its own
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.WAITING
    assert list(ticket.conversations.all()) == [question.conversation]


def test_our_message_ids_are_unguessable() -> None:
    ids = {new_message_id("comune.example.it") for _ in range(1000)}
    assert len(ids) == 1000
    for value in ids:
        local = value[1:].split("@")[0]
        # 24 random bytes (192 bits), nothing else: no clock, no process id to narrow a guess.
        assert len(local) == 32 and value.endswith("@comune.example.it>")


def _phone_case_waiting(cast: personas.Cast, commit: Any) -> Ticket:
    luca = Citizen.objects.create(first_name="Luca", last_name="Bianchi", email=CITIZEN)
    logged = cc_actions.log_call(
        operator=cast.operator,
        question="Quando scade la seconda rata TARI?",
        outcome=cc_actions.ESCALATE,
        sender=Sender(phone=personas.LUCA_PHONE),
        citizen=luca,
        office=cast.tari,
        note="Verificare la scadenza e rispondere.",
    )
    with commit(execute=True):
        actions.wait_for_citizen(
            logged.ticket, actor=cast.office_operator, question="Quale avviso ha ricevuto?"
        )
    return logged.ticket


@pytest.mark.parametrize("sent_from", ["this-mailbox", "another-mailbox"])
@pytest.mark.parametrize("threaded_by", ["headers", "token"])
def test_the_answer_to_a_phone_cases_mail_joins_the_case(
    mailbox: Channel,
    account: Account,
    cast: personas.Cast,
    smtp_server: tuple[Recorder, int],
    django_capture_on_commit_callbacks: Any,
    sent_from: str,
    threaded_by: str,
) -> None:
    if sent_from == "this-mailbox":
        # The first active mailbox answers phone cases (`reply_route`): make it this one.
        Channel.objects.filter(pk=cast.mailbox.pk).update(is_active=False)
    ticket = _phone_case_waiting(cast, django_capture_on_commit_callbacks)
    question = Message.objects.get(direction="outbound")
    assert question.channel == (mailbox if sent_from == "this-mailbox" else cast.mailbox)
    headers, subject = {}, "Re: TARI"
    if threaded_by == "headers":
        headers = {"In-Reply-To": question.external_id, "References": question.external_id}
    else:  # a client that drops the headers; the subject keeps the token
        subject = f"Re: TARI [#{reply_token(question.conversation_id)}]"
    account.append(mail("L'avviso del 2026.", subject=subject, headers=headers))

    poll(mailbox)

    assert Ticket.objects.count() == 1
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OFFICE  # back to the office that asked
    answer = Message.objects.get(channel=mailbox, direction="inbound")
    assert answer in ticket.thread()
    assert answer.conversation.identity.value == CITIZEN
    if sent_from == "this-mailbox":
        assert answer.conversation == question.conversation
    else:
        assert ticket.conversations.filter(channel=mailbox).get() == answer.conversation


def test_a_token_of_another_channel_from_another_address_threads_nothing(
    mailbox: Channel,
    account: Account,
    cast: personas.Cast,
    django_capture_on_commit_callbacks: Any,
) -> None:
    ticket = _phone_case_waiting(cast, django_capture_on_commit_callbacks)
    question = Message.objects.get(direction="outbound")
    token = reply_token(question.conversation_id)
    account.append(mail("Io.", sender="altro@example.org", subject=f"Re: [#{token}]"))

    poll(mailbox)

    assert Ticket.objects.count() == 2
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.WAITING


# --- one batch ------------------------------------------------------------------------------


def test_a_reply_fetched_with_the_mail_it_answers_threads_too(
    mailbox: Channel, account: Account
) -> None:
    # Fetched in one batch, the replies first: the mailbox's order need not be the thread's.
    account.append(
        mail(
            "E un'ultima cosa.",
            message_id="<three@mail.example.org>",
            headers={"In-Reply-To": "<two@mail.example.org>"},  # no References: only its parent
        )
    )
    account.append(
        mail(
            "Aggiungo l'ISEE.",
            message_id="<two@mail.example.org>",
            headers={"In-Reply-To": "<one@mail.example.org>"},
        )
    )
    account.append(mail("Vorrei i buoni spesa.", message_id="<one@mail.example.org>"))
    account.append(mail("Un'altra richiesta.", message_id="<other@mail.example.org>"))

    polled = poll(mailbox)

    assert (polled.fetched, polled.cases) == (4, 4)
    assert Ticket.objects.count() == 2
    thread = Message.objects.get(external_id="<one@mail.example.org>").conversation
    assert [m.external_id for m in thread.messages.order_by("pk")] == [
        "<one@mail.example.org>",
        "<two@mail.example.org>",
        "<three@mail.example.org>",
    ]


def test_mails_naming_each_other_in_a_circle_are_still_taken_in(
    mailbox: Channel, account: Account
) -> None:
    account.append(mail("A.", message_id="<a@x.org>", headers={"In-Reply-To": "<b@x.org>"}))
    account.append(mail("B.", message_id="<b@x.org>", headers={"In-Reply-To": "<a@x.org>"}))

    assert poll(mailbox).cases == 2


def test_threading_a_batch_costs_the_same_queries_for_any_number_of_replies(
    mailbox: Channel, cast: personas.Cast, django_capture_on_commit_callbacks: Any
) -> None:
    """The Message-IDs of a batch are looked up together: no query per mail."""
    acks = []
    for n in range(8):
        with django_capture_on_commit_callbacks(execute=True):
            factories.submit_scrivi(f"Richiesta {n}", email=f"c{n}@example.org")
        acks.append(Message.objects.filter(direction="outbound").latest("pk"))
    channel = Channel.objects.get(pk=mailbox.pk)

    def batch(start: int, size: int) -> int:
        fetched = [
            Fetched(
                str(n),
                mail(
                    f"Risposta {n}",
                    sender=f"c{n}@example.org",
                    headers={"In-Reply-To": acks[n].external_id},
                ),
                100,
            )
            for n in range(start, start + size)
        ]
        with CaptureQueriesContext(connection) as queries:
            outcome = take_in(channel, fetched)
        assert outcome.cases == size
        return len(queries)

    assert batch(0, 2) == batch(2, 6)
    assert Ticket.objects.count() == 8
    assert Conversation.objects.filter(channel=mailbox).count() == 8


# --- files of refused mail ------------------------------------------------------------------


def test_the_files_of_a_refused_mail_are_swept_those_of_a_case_kept(
    mailbox: Channel, account: Account, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    account.append(mail("Una richiesta."))
    account.append(mail("Rifiutata.", sender="Nessuno <not-an-address>"))

    polled = poll(mailbox)

    assert (polled.cases, polled.refused) == (1, 1)
    kept = Message.objects.get(direction="inbound").attachments[0]["url"].removeprefix("storage:")
    stored = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*.eml"))
    assert len(stored) == 2 and kept in stored
    [refused] = [name for name in stored if name != kept]
    assert refused.startswith(f"email/{mailbox.code}/")
    # The sweep reads the files' times, which the filesystem sets: count from them, not from the
    # process's clock (the suite also runs under faketime).
    now = default_storage.get_modified_time(refused)

    with time_machine.travel(now + timedelta(hours=2)):
        call_command("sweep_uploads", stdout=StringIO())
    assert default_storage.exists(refused)  # too recent: a poll may be taking it in

    with time_machine.travel(now + timedelta(days=2)):
        call_command("sweep_uploads", stdout=StringIO())

    assert not default_storage.exists(refused)
    folder = (tmp_path / refused).parent
    assert not folder.exists() or folder == (tmp_path / kept).parent  # emptied: removed too
    assert default_storage.exists(kept)
