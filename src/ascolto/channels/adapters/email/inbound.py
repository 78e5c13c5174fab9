"""Reading a mail as it arrived in a mailbox: what it is, who sent it, what it says.

`parse(raw, mailbox_address)` turns the bytes of one message into a `Mail`, without touching the
database: its Message-ID (or one made from its content, so a re-delivery is still recognised),
its sender, the text the citizen wrote with the quoted history set apart, the HTML part
sanitised with `nh3` (quoted history folded), its attachments, and what kind of mail it is:

- `message`: a citizen writing; it goes to intake;
- `auto_reply`: an out-of-office or any mail a program sent (`Auto-Submitted` other than "no",
  `Precedence: bulk/junk/list`, `X-Autoreply`, `X-Autorespond`);
- `bounce`: a delivery failure (a `multipart/report; report-type=delivery-status` DSN, or a mail
  from MAILER-DAEMON or postmaster), with the Message-ID of the mail that failed and the reason;
- `receipt`: a PEC (posta elettronica certificata) receipt, `X-Ricevuta`, naming the message it
  is about in `X-Riferimento-Message-ID`;
- `loop`: our own mail come back (sent from the mailbox's address, or carrying the
  `X-Ascolto-Loop` header every reply of ours carries); dropped.

Only `message` becomes an `InboundMessage`; the others are delivery reports
(`channels.actions.record_delivery_reports`). Reply tokens (`reply_token`) tie a reply to the
conversation it answers when its headers were lost: signed with Django's signing, checked over
their full length.
"""

from __future__ import annotations

import email
import email.errors
import hashlib
import html
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from hmac import compare_digest
from typing import Literal

import nh3
from django.core import signing
from django.utils.translation import gettext as _

LOOP_HEADER = "X-Ascolto-Loop"
MailKind = Literal["message", "auto_reply", "bounce", "receipt", "loop"]

_MESSAGE_ID = re.compile(r"<[^\s<>]{1,250}>")
_TOKEN_SALT = "ascolto.email.reply"  # noqa: S105 (a signing salt)
_TOKEN_LENGTH = 20
_SUBJECT_TOKEN = re.compile(r"\[#(?:[A-Z0-9-]{1,20}-)?c(\d{1,12})-([A-Za-z0-9_-]{20})\]")
_PLUS_TOKEN = re.compile(r"\+c(\d{1,12})-([A-Za-z0-9_-]{20})@")
_DAEMONS = ("mailer-daemon", "postmaster")
# The line that introduces the quoted history, in the clients citizens use (Gmail, Apple Mail,
# Thunderbird in English and Italian; Outlook's header block).
_QUOTE_INTRO = re.compile(
    r"^\s*(?:"
    r"(?:On|Il giorno|Il|In data|Am|Le)\b[^\n]{0,300}?(?:\n[^\n]{0,200}?)?"
    r"(?:wrote|ha scritto|scritto|schrieb|a écrit)\s*:\s*$"
    r"|-{2,}\s*(?:Original Message|Messaggio originale|Forwarded message|Messaggio inoltrato)"
    r"\s*-{2,}\s*$"
    r"|(?:From|Da):\s[^\n]+\n(?:(?:Sent|Inviato|Date|Data):\s[^\n]+\n)"
    r")",
    re.IGNORECASE | re.MULTILINE,
)
_HTML_QUOTE = re.compile(
    r"<blockquote|<div[^>]*class=\"gmail_quote|<div[^>]*id=\"appendonsend|"
    r"<div[^>]*id=\"divRplyFwdMsg",
    re.IGNORECASE,
)
# What the console may show of a mail's HTML: text structure, no images (remote images are
# trackers), no styles, no forms.
_SAFE_TAGS = {
    "a", "b", "blockquote", "br", "code", "dd", "details", "div", "dl", "dt", "em", "h1", "h2",
    "h3", "h4", "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "s", "small", "span", "strong",
    "sub", "summary", "sup", "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
_SAFE_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"}}


@dataclass(frozen=True)
class Part:
    """A file attached to the mail (its bytes; the type its sender claimed)."""

    name: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Mail:
    kind: MailKind
    message_id: str
    sender: str  # the From address, lower case
    display_name: str
    subject: str
    sent_at: datetime | None
    references: tuple[str, ...]  # In-Reply-To, then References from the newest
    text: str  # what the citizen wrote, the quoted history set apart
    quoted: str
    html: str  # sanitised, the quoted history folded; empty without an HTML part
    token: tuple[int, str] | None  # (conversation id, signature) from the subject or the To
    attachments: tuple[Part, ...] = ()
    original_id: str = ""  # the mail a bounce, receipt or auto-reply is about
    reason: str = ""  # why a bounce failed; what a receipt says
    failed: bool = False  # a bounce, or a PEC receipt of non-delivery
    headers: dict[str, str] = field(default_factory=dict)


def reply_token(conversation_id: int) -> str:
    """The token that ties a reply to conversation `conversation_id` (subject or plus-address)."""
    signature = signing.Signer(salt=_TOKEN_SALT).signature(str(conversation_id))
    return f"c{conversation_id}-{signature[:_TOKEN_LENGTH]}"


def verified_conversation(token: tuple[int, str] | None) -> int | None:
    """The conversation id of a token found in a mail, when its signature is right (compared
    over its whole length, in constant time)."""
    if token is None:
        return None
    conversation_id, signature = token
    expected = reply_token(conversation_id)[len(f"c{conversation_id}-") :]
    if len(signature) != len(expected) or not compare_digest(signature, expected):
        return None
    return conversation_id


def message_ids(value: str | None) -> list[str]:
    """The Message-IDs in a header value, in order."""
    return _MESSAGE_ID.findall(value or "")


def parse(raw: bytes, mailbox_address: str) -> Mail:
    """The mail in `raw` as received by the mailbox at `mailbox_address`."""
    # The compat32 policy: the default one parses every header into objects, ten times slower,
    # and the few headers we read are decoded by `_header`.
    message = email.message_from_bytes(raw)
    headers = {
        name: _header(message, name)
        for name in (
            "From", "To", "Cc", "Subject", "Date", "Message-ID", "In-Reply-To", "References",
            "Auto-Submitted", "Precedence", "X-Autoreply", "X-Autorespond", "Delivered-To",
            "X-Original-To", "X-Ricevuta", "X-Riferimento-Message-ID", "X-Trasporto",
            "Return-Path", LOOP_HEADER,
        )
        if message.get(name) is not None
    }  # fmt: skip
    found = message_ids(headers.get("Message-ID"))
    message_id = found[0] if found else f"<{hashlib.sha256(raw).hexdigest()}@ascolto.missing>"
    display_name, sender = _sender(headers.get("From", ""))
    subject = " ".join(headers.get("Subject", "").split())
    references = tuple(
        dict.fromkeys(
            message_ids(headers.get("In-Reply-To"))
            + list(reversed(message_ids(headers.get("References"))))
        )
    )
    text, quoted, html_part, attachments, report = _body(message)
    token = _token(subject, " ".join(headers.get(h, "") for h in ("To", "Cc", "Delivered-To")))
    kind: MailKind = "message"
    original_id, reason, failed = "", "", False
    own = mailbox_address.lower()
    if headers.get(LOOP_HEADER) or sender == own:
        kind = "loop"
    elif headers.get("X-Ricevuta"):
        kind = "receipt"
        receipt = headers["X-Ricevuta"].strip().lower()
        original_id = next(iter(message_ids(headers.get("X-Riferimento-Message-ID"))), "")
        reason = f"PEC: {receipt}"
        failed = receipt in {"non-accettazione", "errore-consegna", "preavviso-errore-consegna"}
    elif report is not None or sender.split("@")[0] in _DAEMONS:
        kind = "bounce"
        original_id, reason = report if report is not None else ("", "")
        original_id = original_id or next(iter(references), "")
        reason = reason or subject
        failed = True
    elif _automatic(headers):
        kind = "auto_reply"
        original_id = next(iter(references), "")
        reason = subject
    return Mail(
        kind=kind,
        message_id=message_id,
        sender=sender,
        display_name=display_name,
        subject=subject,
        sent_at=_date(headers.get("Date")),
        references=references,
        text=text,
        quoted=quoted,
        html=html_part,
        token=token,
        attachments=tuple(attachments),
        original_id=original_id,
        reason=reason[:400],
        failed=failed,
        headers=headers,
    )


def _header(message: Message, name: str) -> str:
    """A header's value, RFC 2047 words decoded, on one line (a malformed one as it came)."""
    value = message.get(name)
    if value is None:
        return ""
    text = str(value)
    if "=?" in text:
        try:
            text = str(make_header(decode_header(text)))
        except (LookupError, UnicodeError, ValueError, email.errors.HeaderParseError):
            pass
    return " ".join(text.split())[:2000]


def _sender(value: str) -> tuple[str, str]:
    pairs = getaddresses([value])
    if not pairs:
        return "", ""
    name, address = pairs[0]
    return " ".join(name.split())[:200], address.strip().lower()


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo is not None else None


def _automatic(headers: dict[str, str]) -> bool:
    auto = headers.get("Auto-Submitted", "").strip().lower()
    precedence = headers.get("Precedence", "").strip().lower()
    return bool(
        (auto and auto != "no")
        or precedence in {"bulk", "junk", "list", "auto_reply"}
        or "X-Autoreply" in headers
        or "X-Autorespond" in headers
        or headers.get("Return-Path", "").strip() == "<>"
    )


def _token(subject: str, recipients: str) -> tuple[int, str] | None:
    match = _SUBJECT_TOKEN.search(subject) or _PLUS_TOKEN.search(recipients)
    return (int(match.group(1)), match.group(2)) if match else None


def _content(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, "replace")
    except LookupError:  # an unknown charset
        return payload.decode("utf-8", "replace")


def _filename(part: Message) -> str:
    name = part.get_filename() or ""
    if "=?" in name:
        try:
            name = str(make_header(decode_header(name)))
        except (LookupError, UnicodeError, ValueError, email.errors.HeaderParseError):
            pass
    return name


def _body(
    message: Message,
) -> tuple[str, str, str, list[Part], tuple[str, str] | None]:
    """Text, quoted history, folded HTML, attachments and (for a DSN) what failed and why."""
    plain = html_text = ""
    attachments: list[Part] = []
    report: tuple[str, str] | None = None
    report_type = message.get_param("report-type") or ""
    if message.get_content_type() == "multipart/report" and str(report_type).lower() in {
        "delivery-status",
        "disposition-notification",
    }:
        report = _report(message)
    for part in message.walk():
        if part.is_multipart():
            continue
        content_type = part.get_content_type()
        disposition = part.get_content_disposition()
        if report is not None and content_type in {
            "message/delivery-status", "message/rfc822", "text/rfc822-headers",
            "message/disposition-notification",
        }:  # fmt: skip
            continue
        if disposition != "attachment" and content_type == "text/plain" and not plain:
            plain = _content(part)
        elif disposition != "attachment" and content_type == "text/html" and not html_text:
            html_text = _content(part)
        elif disposition in {"attachment", "inline"} or part.get_filename():
            data = part.get_payload(decode=True)
            if isinstance(data, bytes):
                name = _filename(part) or "allegato"
                attachments.append(Part(name[:100], content_type, data))
    if not plain and html_text:
        plain = html_to_text(html_text)
    text, quoted = split_quoted(plain)
    return text, quoted, sanitise(html_text) if html_text else "", attachments, report


def _report(message: Message) -> tuple[str, str]:
    """The Message-ID of the mail a DSN reports on, and the diagnostic of its first recipient."""
    original = reason = ""
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type == "message/delivery-status":
            text = part.as_string()
            status = re.search(r"^Status:\s*(\S+)", text, re.MULTILINE | re.IGNORECASE)
            diagnostic = re.search(
                r"^Diagnostic-Code:\s*(?:[\w-]+;\s*)?(.+(?:\n[ \t].+)*)",
                text,
                re.MULTILINE | re.IGNORECASE,
            )
            reason = " ".join(
                x
                for x in (
                    status.group(1) if status else "",
                    " ".join(diagnostic.group(1).split()) if diagnostic else "",
                )
                if x
            )
        elif content_type in {"message/rfc822", "text/rfc822-headers"} and not original:
            inner = part.get_payload()
            if isinstance(inner, list) and inner and not isinstance(inner[0], str):
                original = next(iter(message_ids(str(inner[0].get("Message-ID", "")))), "")
            else:
                found = re.search(r"^Message-ID:\s*(<[^\s<>]+>)", str(inner), re.I | re.M)
                original = found.group(1) if found else ""
    return original, reason


def split_quoted(text: str) -> tuple[str, str]:
    """What the sender wrote, and the quoted history below it (after "On ... wrote:",
    "Il giorno ... ha scritto:", an Outlook header block, or the trailing "> " lines)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    match = _QUOTE_INTRO.search(text)
    if match and match.start() > 0:
        return text[: match.start()].strip(), text[match.start() :].strip()
    lines = text.rstrip().split("\n")
    end = len(lines)
    while end > 0 and (lines[end - 1].startswith(">") or not lines[end - 1].strip()):
        end -= 1
    if 0 < end < len(lines):
        return "\n".join(lines[:end]).strip(), "\n".join(lines[end:]).strip()
    return text.strip(), ""


def html_to_text(value: str) -> str:
    """The text of an HTML mail, its paragraphs and line breaks kept."""
    value = re.sub(r"(?is)<(script|style|head)\b.*?</\1\s*>", "", value)
    value = re.sub(r"(?i)<br\s*/?>|</(p|div|tr|li|h[1-6]|blockquote)\s*>", "\n", value)
    text = html.unescape(nh3.clean(value, tags=set()))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.strip() for line in text.split("\n"))).strip()


def clean_html(value: str) -> str:
    """`value` with only the tags and attributes the console may show (`nh3`)."""
    return nh3.clean(
        value, tags=_SAFE_TAGS, attributes=_SAFE_ATTRIBUTES, link_rel="noopener noreferrer nofollow"
    )


def sanitise(value: str) -> str:
    """The HTML part as the console may show it: sanitised by `nh3`, the quoted history (the
    first blockquote, Gmail's and Outlook's quote blocks) folded under a `<details>`."""
    # Found in the mail's own markup: the classes and ids that mark a quote are not kept.
    match = _HTML_QUOTE.search(value)
    if match is None:
        return clean_html(value).strip()
    head, tail = value[: match.start()], value[match.start() :]
    summary = html.escape(_("Testo citato"))
    return clean_html(f"{head}<details><summary>{summary}</summary>{tail}</details>").strip()
