"""Stored scripts: a script or markup written by a citizen in any field they control comes in
through the real intake paths (the Scrivi form with an attachment, a mail with a display name,
subject and attached file, a WhatsApp message with its profile name, a Facebook comment, the web
chat, the page rating) and is shown as text, never as live markup, on every page that shows it
(inbox, case page, citizen page, social queue, the request's status page, the reports) and in
the mails sent to the citizen and the office, and in the CSV and XLSX downloads.

"Live markup" is read from the page as a browser parses it (Python's HTML parser): a `<script>`
element with the payload's code, an `on…` attribute, an `<img>` of the payload, a `javascript:`
link. Where a page shows the field, its text (as a browser would show it) holds the payload
verbatim: it was escaped, not dropped."""

from __future__ import annotations

import copy
import io
import json
import re
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from html.parser import HTMLParser
from typing import Any

import openpyxl
import pytest
from django.core import mail
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from ascolto.assistant.models import Unanswered
from ascolto.channels.adapters.email.receive import Fetched, take_in
from ascolto.channels.adapters.meta import deliveries
from ascolto.channels.adapters.meta.comments import parse_change
from ascolto.channels.intake import receive_many
from ascolto.channels.models import Message
from ascolto.social import queue
from ascolto.social.models import SocialThread
from ascolto.surveys.models import PageRating
from ascolto.tickets.models import Ticket
from ascolto.web.forms.scrivi import forget_taxonomy
from ascolto.web.views.scrivi.request import submission_token
from tests import personas
from tests.assistant.conftest import build_menu
from tests.factories import PNG
from tests.meta.inbound.conftest import Meta, meta, payload
from tests.social.helpers import delivery, page_channel

pytestmark = pytest.mark.django_db

__all__ = ["meta"]  # the fixture, imported to be used here

SCRIPT = '<script>alert("xss")</script>'
IMG = '"><img src=x onerror=alert(1)>'
LINK = "javascript:alert(2)"
PAYLOAD = f"{SCRIPT}{IMG} {LINK}"


class Page(HTMLParser):
    """A page as a browser reads it: its live markup that came from a payload, and its text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.live: list[str] = []
        self.text: list[str] = []
        self._script = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._script = tag == "script"
        for name, value in attrs:
            if name.startswith("on"):
                self.live.append(f"<{tag} {name}={value!r}>")
            if (value or "").strip().lower().startswith("javascript:"):
                self.live.append(f"<{tag} {name}={value!r}>")
            if name in {"value", "title", "alt", "aria-label", "data-text", "content"} and value:
                self.text.append(value)
        if tag == "img" and dict(attrs).get("src") == "x":
            self.live.append("<img src=x>")

    def handle_endtag(self, tag: str) -> None:
        self._script = False

    def handle_data(self, data: str) -> None:
        if self._script and "alert(" in data:
            self.live.append(f"<script>{data}</script>")
        else:
            self.text.append(data)

    def shows(self, text: str) -> bool:
        return text in "".join(self.text)


def escaped(html: str, *, shown: tuple[str, ...] = ()) -> list[str]:
    """What is wrong with `html`: live markup from a payload, or a payload it should show
    and does not show as text."""
    page = Page(html)
    return page.live + [f"not shown as text: {text!r}" for text in shown if not page.shows(text)]


def staff(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _fresh() -> None:
    cache.clear()
    forget_taxonomy()


def scrivi_form(client: Client, capture: Any) -> Ticket:
    """The citizen fills the Scrivi form: names, description and an attachment's file name."""
    data = {
        "kind": "information",
        "area": "tributi",
        "service": "tari",
        "description": f"Descrizione {PAYLOAD}",
        "first_name": f"Maria{IMG}",
        "last_name": f"Rossi{SCRIPT}",
        "email": personas.MARIA_EMAIL,
        "phone": "",
        "place": "",
        "privacy": "on",
        "website": "",
        "submission": submission_token(),
        "attachments": SimpleUploadedFile(f"foto{IMG}.png", PNG, content_type="image/png"),
    }
    with capture(execute=True):
        response = client.post(reverse("scrivi:home"), data)
    assert response.status_code == 303, response.content[:3000]
    code = client.get(response["Location"]).context["code"]
    return Ticket.objects.get(code=code)


def mail_in(cast: personas.Cast, capture: Any) -> Ticket:
    """A mail to the city's mailbox: display name, subject, text and attached file's name."""
    message = EmailMessage()
    message["From"] = formataddr((f"Luca{IMG}", "luca.verdi@example.it"))
    message["To"] = str(cast.mailbox.config["address"])
    message["Subject"] = f"Oggetto {SCRIPT}"
    message["Message-ID"] = make_msgid(domain="example.it")
    message["Date"] = formatdate(localtime=True)
    message.set_content(f"Testo della mail {PAYLOAD}")
    message.add_attachment(PNG, maintype="image", subtype="png", filename=f"scan{IMG}.png")
    raw = message.as_bytes()
    with capture(execute=True):
        outcome = take_in(cast.mailbox, [Fetched(uid="1", raw=raw, size=len(raw))])
    assert outcome.cases == 1
    return Ticket.objects.get(channel=cast.mailbox)


def whatsapp_in(meta: Meta, capture: Any) -> Ticket:
    """A WhatsApp message, its text and the sender's profile name, through Meta's webhook."""
    meta.whatsapp.config = {**meta.whatsapp.config, "opens_cases": True}
    meta.whatsapp.save(update_fields=["config"])
    body = payload("whatsapp_text")
    value = body["entry"][0]["changes"][0]["value"]
    value["contacts"][0]["profile"]["name"] = f"Giulia{IMG}"
    value["messages"][0]["text"]["body"] = f"WhatsApp {PAYLOAD}"
    assert meta.deliver(body).status_code == 200
    with capture(execute=True):
        assert deliveries.drain().failed == 0
    return Ticket.objects.get(channel=meta.whatsapp)


def comment_in() -> SocialThread:
    """A Facebook comment: its text and its author's name, as the drain parses it."""
    channel = page_channel()
    body = copy.deepcopy(delivery("feed_comment_add"))
    value = body["entry"][0]["changes"][0]["value"]
    value["message"] = f"Commento {PAYLOAD}"
    value["from"]["name"] = f"Carla{IMG}"
    entry = body["entry"][0]
    inbound = list(parse_change(channel, str(entry["id"]), entry["changes"][0]))
    assert all(not isinstance(r, Exception) for r in receive_many(inbound, accepted=True))
    queue.sync()
    return SocialThread.objects.get()


def chat_in(client: Client) -> None:
    """The web chat: a question the assistant does not know is kept for the editorial team."""
    response = client.post("/scrivi/assistente/", {"text": f"Domanda {PAYLOAD}"})
    assert response.status_code in {200, 303}
    assert Unanswered.objects.exists()


def rating_in(client: Client) -> PageRating:
    """A page rating's comment, and the page it names (both typed by the citizen)."""
    htmx = {"HX-Request": "true"}
    page = f"/scrivi/{IMG}"
    first = client.post("/scrivi/valutazione/", {"page": page, "step": 1, "score": 2}, headers=htmx)
    found = re.search(r'name="token" value="([^"]+)"', first.content.decode())
    assert found is not None, first.content.decode()[:2000]
    token = found.group(1)
    client.post("/scrivi/valutazione/", {"page": page, "step": 2, "reason": "not_clear",
                                         "token": token}, headers=htmx)  # fmt: skip
    client.post("/scrivi/valutazione/", {"page": page, "step": 3, "comment": f"Nota {IMG}",
                                         "token": token}, headers=htmx)  # fmt: skip
    rating = PageRating.objects.get()
    assert rating.comment
    return rating


def test_citizen_text_is_shown_escaped_on_every_page_and_in_every_mail_and_download(
    client: Client, cast: personas.Cast, meta: Meta, django_capture_on_commit_callbacks: Any,
    settings: Any, tmp_path: Any,
) -> None:  # fmt: skip
    settings.MEDIA_ROOT = tmp_path
    capture = django_capture_on_commit_callbacks
    build_menu(cast.administrator)
    scrivi = scrivi_form(client, capture)
    email = mail_in(cast, capture)
    whatsapp = whatsapp_in(meta, capture)
    thread = comment_in()
    chat_in(Client())
    rating_in(Client())

    admin = staff(cast.administrator)
    problems: dict[str, list[str]] = {}

    def check(name: str, html: str, *shown: str) -> None:
        wrong = escaped(html, shown=shown)
        if wrong:
            problems[name] = wrong

    def get(url: str, who: Client = admin) -> str:
        response = who.get(url)
        assert response.status_code == 200, url
        return response.content.decode()

    check("inbox", get("/console/inbox/"), "Maria", "Giulia", f"Oggetto {SCRIPT}")
    [attached] = Message.objects.get(conversation__tickets=scrivi, direction="inbound").attachments
    check("scrivi case", get(f"/console/cases/{scrivi.code}/"), PAYLOAD, attached["name"])
    check("email case", get(f"/console/cases/{email.code}/"), PAYLOAD, SCRIPT, f"Luca{IMG}")
    check("whatsapp case", get(f"/console/cases/{whatsapp.code}/"), PAYLOAD, f"Giulia{IMG}")
    assert scrivi.citizen_id is not None
    for ticket in (scrivi, email, whatsapp):
        if ticket.citizen_id is None:  # a sender with no record yet (a mailbox, WhatsApp)
            continue
        check(f"citizen {ticket.code}", get(f"/console/citizens/{ticket.citizen_id}/"))
    check("citizen search", get("/console/citizens/search/?q=Maria"))
    check("social queue", get("/console/social/"), f"Carla{IMG}")
    check("social thread", get(f"/console/social/{thread.pk}/"), PAYLOAD, f"Carla{IMG}")
    check("status page", get(f"/scrivi/pratica/{scrivi.code}/", Client()))
    for report in ("chatbot", "ratings", "social"):
        check(f"report {report}", get(f"/console/reports/{report}/"))
    check("unanswered (admin)", get("/admin/assistant/unanswered/"), f"Domanda {PAYLOAD}")
    check("ratings (admin)", get("/admin/surveys/pagerating/"))

    # The mails sent to the citizen (acknowledgements) and to the offices: plain text today; an
    # HTML part, if one is added, must show the payloads escaped.
    assert mail.outbox, "no mail was sent"
    for sent in mail.outbox:
        for content, kind in getattr(sent, "alternatives", []):
            if kind == "text/html":
                check(f"mail {sent.subject!r} (html)", str(content))
        assert "<script>" not in sent.subject

    # The downloads: CSV as text, XLSX cells as values (never formulas or markup run).
    downloads = 0
    for report in ("chatbot", "ratings"):
        for fmt in ("csv", "xlsx"):
            response = admin.get(f"/console/reports/{report}/", {"formato": fmt})
            assert response.status_code == 200, (report, fmt)
            downloads += 1
            body = response.getvalue()
            if fmt == "xlsx":  # a workbook, its cells values: no markup is run from them
                book = openpyxl.load_workbook(io.BytesIO(body))
                assert book.worksheets
            elif report == "chatbot":  # the unanswered questions, as written: data, not markup
                assert SCRIPT.lower() in body.decode("utf-8-sig").replace('""', '"').lower()
            # Served as a file to save, never rendered by the browser as a page.
            assert response.headers["Content-Disposition"].startswith("attachment")
            assert response.headers["Content-Type"].split(";")[0] != "text/html"
            assert response.headers.get("X-Content-Type-Options") == "nosniff"
            assert "no-store" in response.headers["Cache-Control"]

    assert downloads == 4
    assert problems == {}, json.dumps(problems, indent=1, ensure_ascii=False)
    # The payloads were stored as written (nothing silently dropped on the way in).
    assert Message.objects.filter(text__contains=SCRIPT).count() >= 4
