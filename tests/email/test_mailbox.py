"""Mailboxes read over IMAP from a real Dovecot, replies sent to a real SMTP server.

Each test appends mail to a fresh Dovecot user with imap-tools, polls the mailbox as
`poll_mailboxes` does, and looks at the cases, the conversation and the mailbox's flags.
"""

from __future__ import annotations

import email.policy
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from io import StringIO
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from ascolto.channels.adapters.email import mailbox as imap
from ascolto.channels.adapters.email.inbound import reply_token
from ascolto.channels.adapters.email.receive import take_in
from ascolto.channels.models import Channel, Conversation, Message
from ascolto.tickets import actions
from ascolto.tickets.models import Ticket
from tests import personas
from tests.email.conftest import ADDRESS, fixture
from tests.email.servers import Account, Recorder

pytestmark = pytest.mark.django_db

CITIZEN = "giulia.bianchi.1987@gmail.com"


def mail(
    text: str = "Vorrei sapere quando escono i buoni spesa.",
    *,
    subject: str = "Buoni spesa",
    sender: str = f"Giulia Bianchi <{CITIZEN}>",
    to: str = ADDRESS,
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = message_id or make_msgid(domain="mail.example.org")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    return message.as_bytes()


def poll(channel: Channel) -> imap.Polled:
    return imap.poll(Channel.objects.get(pk=channel.pk))


@pytest.fixture
def replies(django_capture_on_commit_callbacks: Any) -> Iterator[Any]:
    """Runs the outbox work (acknowledgements, replies) of what is done in its block, as a
    commit would: `with replies(): ...`."""
    yield lambda: django_capture_on_commit_callbacks(execute=True)


def only_case() -> Ticket:
    return Ticket.objects.get()


# --- taking mail in -------------------------------------------------------------------------


def test_a_new_mail_opens_a_case_and_is_marked_seen_only_after(
    mailbox: Channel, account: Account
) -> None:
    account.append(fixture("outlook-new.eml"))

    polled = poll(mailbox)

    assert (polled.fetched, polled.cases) == (1, 1)
    ticket = only_case()
    assert ticket.channel == mailbox
    assert ticket.subject == "Domanda buoni spesa - richiesta informazioni"
    assert ticket.identity is not None and ticket.identity.value == "marco.esposito@outlook.it"
    message = Message.objects.get(direction=Message.Direction.INBOUND)
    assert message.text.startswith("Buongiorno,\n\nvorrei sapere se posso presentare")
    assert message.external_id == (
        "<AM0PR04MB6737C1E8B0A3F2D4E5F6A7B8C9D0E1F2@AM0PR04MB6737.eurprd04.prod.outlook.com>"
    )
    assert account.flags() == [("\\Seen",)]
    assert poll(mailbox).fetched == 0  # nothing new


def test_the_raw_message_is_kept_and_attachments_pass_the_scrivi_checks(
    mailbox: Channel, account: Account
) -> None:
    raw = fixture("outlook-new.eml")
    account.append(raw)

    poll(mailbox)

    message = Message.objects.get(direction=Message.Direction.INBOUND)
    names = [(a["name"], a["content_type"]) for a in message.attachments]
    assert names == [
        ("messaggio.eml", "message/rfc822"),
        ("ricevuta-domanda.pdf", "application/pdf"),
    ]
    stored = message.attachments[0]["url"].removeprefix("storage:")
    with default_storage.open(stored, "rb") as eml:
        assert eml.read().replace(b"\r\n", b"\n") == raw.replace(b"\r\n", b"\n")
    # The executable is not kept; the case says so.
    assert "Allegato «modulo.exe» non importato: non è un'immagine o un PDF." in message.text


def test_the_html_part_is_sanitised_and_its_quoted_history_folded(
    mailbox: Channel, account: Account, cast: personas.Cast
) -> None:
    account.append(fixture("outlook-new.eml"))
    account.append(fixture("gmail-reply.eml", **{"OUR-MESSAGE-ID": "nothing@nowhere"}))

    poll(mailbox)

    outlook, gmail = Message.objects.filter(direction="inbound").order_by("pk")
    html = outlook.raw["email"]["html"]
    assert "vorrei sapere se posso presentare la domanda" in html
    assert "<script" not in html and "alert(1)" not in html
    assert "<img" not in html and "tracker.example.net" not in html
    assert "style=" not in html
    folded = gmail.raw["email"]["html"]
    assert folded.index("Cordiali saluti") < folded.index("<details><summary>Testo citato")
    assert folded.index("<details>") < folded.index("<blockquote>Gentile cittadina")
    # The text keeps what the citizen wrote; the quoted history is kept apart.
    assert gmail.text.endswith("Cordiali saluti\nGiulia Bianchi")
    assert gmail.raw["email"]["quoted"].startswith("Il giorno lun 16 nov 2026")
    # The console shows it so (cleaned again as it is shown).
    ticket = Ticket.objects.get(conversations=gmail.conversation)
    client = Client()
    client.force_login(cast.supervisor)
    page = client.get(f"/console/cases/{ticket.code}/").content.decode()
    assert "<details><summary>Testo citato</summary>" in page
    outlook_case = Ticket.objects.get(conversations=outlook.conversation)
    assert "alert(1)" not in client.get(f"/console/cases/{outlook_case.code}/").content.decode()


def test_a_plain_text_reply_shows_its_quoted_history_folded(
    mailbox: Channel, account: Account
) -> None:
    account.append(fixture("apple-mail-reply.eml"))

    poll(mailbox)

    message = Message.objects.get(direction=Message.Direction.INBOUND)
    assert message.text == (
        "Grazie, aspetto la vostra risposta. Posso passare anche allo sportello di via Larga?"
        "\n\nLuca"
    )
    assert message.raw["email"]["quoted"].startswith("> Il giorno 18 nov 2026")


def test_a_message_over_the_size_limit_becomes_a_case_that_says_so(
    mailbox: Channel, account: Account
) -> None:
    mailbox.config["max_message_bytes"] = 4096
    mailbox.save()
    account.append(mail("x" * 20_000, subject="Foto della buca"))

    polled = poll(mailbox)

    assert polled.cases == 1
    ticket = only_case()
    assert ticket.subject == "Foto della buca"
    assert "Messaggio troppo grande" in ticket.description
    assert "il limite è 4,0\xa0KB" in ticket.description
    message = Message.objects.get(direction=Message.Direction.INBOUND)
    assert [a["name"] for a in message.attachments] == ["intestazioni.eml"]
    assert account.flags() == [("\\Seen",)]


def test_a_crash_between_intake_and_marking_loses_and_doubles_nothing(
    mailbox: Channel, account: Account
) -> None:
    for n in range(3):
        account.append(mail(f"Richiesta numero {n}", message_id=f"<crash-{n}@example.org>"))
    channel = Channel.objects.get(pk=mailbox.pk)
    # The poller fetches and hands the mail to intake, then dies before marking it seen.
    with imap.connect(channel) as box:
        uids = imap.pending_uids(box, channel)
        take_in(channel, imap.fetch(box, channel, uids))
    assert Ticket.objects.count() == 3
    assert account.flags() == [(), (), ()]

    polled = poll(mailbox)  # the next poll delivers the three again

    assert (polled.fetched, polled.cases, polled.duplicates) == (3, 0, 3)
    assert Ticket.objects.count() == 3
    assert Message.objects.filter(direction="inbound").count() == 3
    assert account.flags() == [("\\Seen",)] * 3


def test_processed_mail_is_moved_to_the_processed_folder(
    mailbox: Channel, account: Account
) -> None:
    mailbox.config["processed_folder"] = "Elaborati"
    mailbox.save()
    account.append(mail())

    poll(mailbox)

    assert account.flags("INBOX") == []
    assert account.flags("Elaborati") == [("\\Seen",)]
    assert Ticket.objects.count() == 1


def test_a_mail_intake_refuses_is_flagged_and_left_unseen(
    mailbox: Channel, account: Account
) -> None:
    account.append(mail(sender="Nessuno <not-an-address>"))

    polled = poll(mailbox)

    assert polled.refused == 1
    assert Ticket.objects.count() == 0
    assert account.flags() == [(imap.REFUSED,)]
    assert poll(mailbox).fetched == 0  # not fetched again and again


def test_the_mailbox_hints_file_its_cases_under_its_campaign(
    mailbox: Channel, account: Account
) -> None:
    from ascolto.tickets.models import Campaign

    Campaign.objects.create(
        code="buoni-2026",
        name="Buoni spesa 2026",
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate(),
    )
    mailbox.config["campaign"] = "buoni-2026"
    mailbox.save()
    account.append(mail())

    poll(mailbox)

    assert only_case().campaign is not None
    assert only_case().campaign.code == "buoni-2026"  # type: ignore[union-attr]


# --- threading ------------------------------------------------------------------------------


def _case_with_question(
    mailbox: Channel, account: Account, cast: personas.Cast, recorder: Recorder, replies: Any
) -> tuple[Ticket, EmailMessage]:
    """A citizen writes; the operator asks a question and the case waits for the answer."""
    account.append(mail(message_id="<first@mail.example.org>"))
    poll(mailbox)
    ticket = only_case()
    with replies():
        actions.wait_for_citizen(ticket, actor=cast.operator, question="Ci manda l'ISEE?")
    question = recorder.received[-1]
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.WAITING
    return ticket, question


def test_a_reply_to_our_message_continues_the_case_and_puts_it_back_to_work(
    mailbox: Channel,
    account: Account,
    cast: personas.Cast,
    smtp_server: tuple[Recorder, int],
    replies: Any,
) -> None:
    ticket, question = _case_with_question(mailbox, account, cast, smtp_server[0], replies)
    ours = question["Message-ID"]
    # Gmail answers with In-Reply-To and References naming our question.
    account.append(fixture("gmail-reply.eml", **{"<OUR-MESSAGE-ID>": ours}))

    polled = poll(mailbox)

    assert polled.cases == 1
    assert Ticket.objects.count() == 1
    answer = Message.objects.get(external_id__contains="mail.gmail.com")
    assert Ticket.objects.get(conversations=answer.conversation) == ticket
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.OPEN
    assert ticket.events.filter(kind="status", data__cause="citizen_replied").exists()


def test_a_reply_token_in_the_subject_threads_a_reply_without_headers(
    mailbox: Channel,
    account: Account,
    cast: personas.Cast,
    smtp_server: tuple[Recorder, int],
    replies: Any,
) -> None:
    ticket, question = _case_with_question(mailbox, account, cast, smtp_server[0], replies)
    conversation = Conversation.objects.get(tickets=ticket)
    token = f"[#{reply_token(conversation.pk)}]"
    assert str(question["Subject"]).endswith(token)
    # Another address of the citizen, a client that drops In-Reply-To: the token decides.
    account.append(mail("Ecco l'ISEE.", subject=f"R: {question['Subject']}", sender="g@work.it"))

    poll(mailbox)

    assert Ticket.objects.count() == 1
    assert Message.objects.filter(conversation=conversation, direction="inbound").count() == 2


@pytest.mark.parametrize(
    "forge",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # one character changed
        lambda token: token[:-1],  # a prefix of the right signature
        lambda token: token.replace(token.split("-")[0], "c999999"),  # another conversation
    ],
    ids=["changed", "truncated", "other-conversation"],
)
def test_a_forged_reply_token_threads_nothing(
    mailbox: Channel, account: Account, cast: personas.Cast, forge: Any
) -> None:
    account.append(mail(message_id="<first@mail.example.org>"))
    poll(mailbox)
    conversation = Conversation.objects.get()
    forged = forge(reply_token(conversation.pk))

    account.append(mail("Ecco l'ISEE.", subject=f"Re: buoni [#{forged}]"))
    poll(mailbox)

    assert Ticket.objects.count() == 2


def test_a_plus_address_token_threads_a_reply(
    mailbox: Channel, account: Account, cast: personas.Cast
) -> None:
    account.append(mail(message_id="<first@mail.example.org>"))
    poll(mailbox)
    conversation = Conversation.objects.get()
    plus = ADDRESS.replace("@", f"+{reply_token(conversation.pk)}@")

    account.append(mail("Ecco l'ISEE.", subject="ISEE", to=plus))
    poll(mailbox)

    assert Ticket.objects.count() == 1
    assert Message.objects.filter(conversation=conversation).count() == 2


def test_without_references_or_token_the_session_window_decides(
    mailbox: Channel, account: Account
) -> None:
    account.append(mail("Prima domanda."))
    poll(mailbox)
    assert Ticket.objects.count() == 1
    account.append(mail("Seconda domanda, senza sessione."))
    poll(mailbox)
    assert Ticket.objects.count() == 2  # session_hours 0: every new mail its own conversation

    mailbox.config["session_hours"] = 24
    mailbox.save()
    account.append(mail("Terza, nella finestra della sessione."))
    poll(mailbox)

    assert Ticket.objects.count() == 2
    latest = Conversation.objects.order_by("-pk").first()
    assert latest is not None and latest.messages.count() == 2


def test_a_reply_to_the_citizens_own_earlier_mail_threads_too(
    mailbox: Channel, account: Account
) -> None:
    account.append(mail("Prima.", message_id="<one@mail.example.org>"))
    poll(mailbox)
    account.append(
        mail(
            "Aggiungo una cosa.",
            headers={
                "In-Reply-To": "<one@mail.example.org>",
                "References": "<one@mail.example.org>",
            },
        )
    )

    poll(mailbox)

    assert Ticket.objects.count() == 1
    assert Conversation.objects.get().messages.count() == 2


# --- what must not become a case ------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Auto-Submitted": "auto-generated"},
        {"Precedence": "bulk"},
        {"Precedence": "junk"},
        {"Precedence": "list"},
        {"X-Autoreply": "yes"},
        {"X-Autorespond": "Out of office"},
    ],
    ids=lambda h: "-".join(f"{k}:{v}" for k, v in h.items()),
)
def test_automatic_mail_is_a_note_on_the_case_never_a_case(
    mailbox: Channel,
    account: Account,
    cast: personas.Cast,
    smtp_server: tuple[Recorder, int],
    replies: Any,
    headers: dict[str, str],
) -> None:
    ticket, question = _case_with_question(mailbox, account, cast, smtp_server[0], replies)
    ours = question["Message-ID"]
    account.append(
        mail(
            "Sono fuori ufficio.", subject="Fuori ufficio", headers={"In-Reply-To": ours, **headers}
        )
    )

    polled = poll(mailbox)

    assert (polled.cases, polled.reports) == (0, 1)
    assert Ticket.objects.count() == 1
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.WAITING  # not an answer
    note = Message.objects.get(direction=Message.Direction.NOTE)
    assert note.text == "Risposta automatica: Fuori ufficio"
    assert account.flags()[-1] == ("\\Seen",)


def test_auto_submitted_no_is_a_person_writing(mailbox: Channel, account: Account) -> None:
    account.append(mail(headers={"Auto-Submitted": "no"}))

    assert poll(mailbox).cases == 1


def test_an_out_of_office_reply_is_attached_to_the_case(
    mailbox: Channel,
    account: Account,
    cast: personas.Cast,
    smtp_server: tuple[Recorder, int],
    replies: Any,
) -> None:
    ticket, question = _case_with_question(mailbox, account, cast, smtp_server[0], replies)
    account.append(fixture("out-of-office.eml", **{"<OUR-MESSAGE-ID>": question["Message-ID"]}))

    poll(mailbox)

    assert Ticket.objects.count() == 1
    note = Message.objects.get(direction=Message.Direction.NOTE)
    assert note.conversation.tickets.get() == ticket
    assert note.text.startswith("Risposta automatica: Risposta automatica: Buoni spesa")


def test_a_bounce_marks_our_message_failed_with_the_reason(
    mailbox: Channel,
    account: Account,
    cast: personas.Cast,
    smtp_server: tuple[Recorder, int],
    replies: Any,
) -> None:
    ticket, question = _case_with_question(mailbox, account, cast, smtp_server[0], replies)
    account.append(fixture("bounce-dsn.eml", **{"<OUR-MESSAGE-ID>": question["Message-ID"]}))

    polled = poll(mailbox)

    assert (polled.cases, polled.reports) == (0, 1)
    assert Ticket.objects.count() == 1
    sent = Message.objects.get(external_id=question["Message-ID"])
    assert sent.status == Message.Status.FAILED
    assert sent.last_error.startswith("5.1.1 550 5.1.1 <mario.verdi@example.org>: Recipient")
    note = Message.objects.get(direction=Message.Direction.NOTE)
    assert note.text.startswith("Mancata consegna: 5.1.1")
    # Delivered twice (a crash before marking): one note.
    account.append(fixture("bounce-dsn.eml", **{"<OUR-MESSAGE-ID>": question["Message-ID"]}))
    poll(mailbox)
    assert Message.objects.filter(direction=Message.Direction.NOTE).count() == 1


def test_a_mail_from_the_mailer_daemon_is_never_a_case(mailbox: Channel, account: Account) -> None:
    account.append(mail("Delivery failed.", sender="Mail Delivery Subsystem <postmaster@x.org>"))
    account.append(mail("Delivery failed.", sender="MAILER-DAEMON@mx.example.org"))

    polled = poll(mailbox)

    assert (polled.fetched, polled.cases, polled.reports) == (2, 0, 0)  # about nothing of ours
    assert Ticket.objects.count() == 0
    assert account.flags() == [("\\Seen",)] * 2


def test_a_pec_delivery_receipt_marks_our_message_delivered(
    mailbox: Channel,
    account: Account,
    cast: personas.Cast,
    smtp_server: tuple[Recorder, int],
    replies: Any,
) -> None:
    _ticket, question = _case_with_question(mailbox, account, cast, smtp_server[0], replies)
    account.append(fixture("pec-receipt.eml", **{"<OUR-MESSAGE-ID>": question["Message-ID"]}))

    poll(mailbox)

    assert Ticket.objects.count() == 1
    assert Message.objects.get(external_id=question["Message-ID"]).status == "delivered"
    note = Message.objects.get(direction=Message.Direction.NOTE)
    assert note.text == "Ricevuta PEC: PEC: avvenuta-consegna"


@pytest.mark.parametrize(
    "raw",
    [
        lambda: mail(sender=f"Comune <{ADDRESS}>"),
        lambda: mail(headers={"X-Ascolto-Loop": ADDRESS}),
    ],
    ids=["our-own-address", "loop-header"],
)
def test_our_own_mail_come_back_is_dropped(mailbox: Channel, account: Account, raw: Any) -> None:
    account.append(raw())

    polled = poll(mailbox)

    assert (polled.loops, polled.cases) == (1, 0)
    assert Message.objects.count() == 0
    assert account.flags() == [("\\Seen",)]


# --- replies out ----------------------------------------------------------------------------


def test_a_reply_leaves_from_the_mailbox_threaded_and_the_answer_comes_back(
    mailbox: Channel,
    account: Account,
    cast: personas.Cast,
    smtp_server: tuple[Recorder, int],
    replies: Any,
) -> None:
    recorder = smtp_server[0]
    account.append(
        mail(
            message_id="<second@mail.example.org>",
            headers={"References": "<zero@mail.example.org>"},
        )
    )
    poll(mailbox)
    ticket = only_case()

    with replies():
        actions.reply_to_ticket(ticket, "Escono a dicembre.", actor=cast.operator)

    sent = recorder.received[-1]
    assert sent["From"] == f"Comune di Milano <{ADDRESS}>"
    assert sent["To"] == CITIZEN
    assert sent["In-Reply-To"] == "<second@mail.example.org>"
    assert sent["References"] == "<zero@mail.example.org> <second@mail.example.org>"
    assert sent["X-Ascolto-Loop"] == ADDRESS
    assert "Auto-Submitted" not in sent  # a person wrote it
    stored = Message.objects.get(direction="outbound", author=cast.operator)
    assert stored.external_id == sent["Message-ID"]
    assert sent["Message-ID"].endswith("@comune.example.it>")
    # The citizen's client answers it: the answer continues the case.
    answer = mail(
        "Grazie.",
        subject=f"Re: {sent['Subject']}",
        headers={"In-Reply-To": sent["Message-ID"], "References": sent["Message-ID"]},
    )
    account.append(answer)
    poll(mailbox)
    assert Ticket.objects.count() == 1
    assert Message.objects.filter(direction="inbound").count() == 2


def test_the_acknowledgement_is_marked_automatic(
    mailbox: Channel, account: Account, smtp_server: tuple[Recorder, int], replies: Any
) -> None:
    account.append(mail())

    with replies():
        poll(mailbox)

    ack = smtp_server[0].received[-1]
    assert ack["Auto-Submitted"] == "auto-replied"
    assert str(ack["Subject"]).startswith(f"[{only_case().code}] Richiesta ricevuta [#c")


# --- configuration and command --------------------------------------------------------------


def test_the_password_may_come_from_a_file(
    mailbox: Channel, account: Account, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "imap-password"
    secret.write_text(account.password + "\n")
    monkeypatch.delenv("TEST_MAILBOX_PASSWORD")
    monkeypatch.setenv("TEST_MAILBOX_PASSWORD_FILE", str(secret))
    account.append(mail())

    assert poll(mailbox).cases == 1


def test_the_command_polls_every_mailbox(mailbox: Channel, account: Account) -> None:
    account.append(mail())
    out = StringIO()

    call_command("poll_mailboxes", stdout=out)

    assert "casella-test: 1 mail(s), 1 taken in" in out.getvalue()
    assert Ticket.objects.count() == 1


@pytest.mark.django_db(transaction=True)  # the watcher closes stale connections, as a daemon does
def test_the_watcher_takes_in_mail_as_it_arrives(mailbox: Channel, account: Account) -> None:
    account.append(mail("Prima."))
    rounds = iter(range(2))
    channel = Channel.objects.get(pk=mailbox.pk)
    channel.config["poll_seconds"] = 1

    def stop() -> bool:
        return next(rounds, None) is None

    imap.watch(channel, stop=stop)

    assert Ticket.objects.count() == 1


def test_a_mailed_photo_loses_its_metadata_and_a_bomb_is_left_out_with_a_note(
    mailbox: Channel, account: Account, settings: Any, tmp_path: Any
) -> None:
    from tests.web.test_upload_safety import jpeg_with_gps, png_declaring

    settings.MEDIA_ROOT = tmp_path
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = f"Giulia Bianchi <{CITIZEN}>"
    message["To"] = ADDRESS
    message["Subject"] = "Buca in via Dante"
    message["Message-ID"] = make_msgid(domain="mail.example.org")
    message.set_content("Vi mando la foto della buca.")
    message.add_attachment(jpeg_with_gps(), "image", "jpeg", filename="../IMG_0001.jpg")
    message.add_attachment(png_declaring(100_000, 100_000), "image", "png", filename="b.png")
    account.append(message.as_bytes())

    poll(mailbox)

    stored = Message.objects.get(direction=Message.Direction.INBOUND)
    [eml, photo] = stored.attachments
    assert (photo["name"], photo["content_type"]) == ("IMG_0001.jpg", "image/jpeg")
    assert "IMG_0001" not in photo["url"] and photo["url"].endswith(".jpg")
    with default_storage.open(photo["url"].removeprefix("storage:"), "rb") as handle:
        data = handle.read()
    assert b"Maria Rossi" not in data and b"Exif" not in data and b"via Dante" not in data
    assert photo["size"] == len(data)
    assert "Allegato «b.png» non importato: immagine troppo grande o illeggibile." in stored.text
