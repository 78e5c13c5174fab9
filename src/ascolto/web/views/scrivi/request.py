"""Scrivi: the citizen's request form, its self-help suggestions and its confirmation.

The POST is the public site's busiest request, so it does little: the form is checked against the
taxonomy kept in memory, the address is counted in the cache, attachments are stored, and the
submission is accepted into the intake queue with one insert (`channels.queue.accept`); the case
is created by the drain that follows, with the tracking code shown here.
"""

from __future__ import annotations

import contextlib
import dataclasses
import html
import logging
import os
import uuid
from collections.abc import Iterable
from pathlib import PurePath

from django.conf import settings
from django.core import signing
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import URLPattern, path, reverse
from django.utils import timezone, translation
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ascolto.channels import queue
from ascolto.channels.files import display_name, storage_name
from ascolto.channels.inbound import STORED, Attachment, CaseHints, InboundMessage
from ascolto.channels.models import Channel
from ascolto.citizens.actions import record_privacy_notice
from ascolto.citizens.models import Identity
from ascolto.citizens.sender import Sender
from ascolto.core.errors import DomainError
from ascolto.core.memo import Kept
from ascolto.knowledge.actions import mark_helped, public_article, suggest_articles
from ascolto.tickets import codes
from ascolto.tickets.models import Theme
from ascolto.web.forms.scrivi import (
    MAX_COMPLAINT_CHARS,
    MAX_REQUEST_CHARS,
    RequestForm,
    taxonomy,
)
from ascolto.web.views.scrivi.protection import (
    Rule,
    browser_key,
    limited,
    over_limit,
    setting,
    with_retry_after,
)

logger = logging.getLogger(__name__)

# Per address, generous (a carrier's NAT, a front-desk kiosk); per browser, tighter.
RATE_LIMIT_SETTING = "ASCOLTO_SCRIVI_RATE_LIMIT"
RATE_LIMIT_DEFAULT = "60/h"
BROWSER_LIMIT_SETTING = "ASCOLTO_SCRIVI_BROWSER_RATE_LIMIT"
BROWSER_LIMIT_DEFAULT = "10/h"


def form_rules(request: HttpRequest, scope: str) -> list[Rule]:
    """The Scrivi form's limits (its answers from the status page use the same)."""
    return [
        Rule(RATE_LIMIT_SETTING, RATE_LIMIT_DEFAULT, scope=scope),
        Rule(BROWSER_LIMIT_SETTING, BROWSER_LIMIT_DEFAULT, key=browser_key(request)),
    ]


CONFIRMATION_SALT = "ascolto.scrivi.confirmation"


SUBMISSION_SALT = "ascolto.scrivi.submission"


def submission_token() -> str:
    """A new one-time token for the form (a random id, signed so no one can choose it)."""
    return signing.Signer(salt=SUBMISSION_SALT).sign(uuid.uuid4().hex)


def channel_code() -> str:
    return setting("ASCOLTO_SCRIVI_CHANNEL", "scrivi")


# Read once a minute on the wall clock, by the configured code; a channel not (yet) configured
# or switched off is asked for again on the next request.
_channel: Kept[str, Channel | None] = Kept(
    60.0, clock=lambda: timezone.now().timestamp(), keep_missing=False
)


def _active_channel() -> Channel | None:
    """The Scrivi channel when it is configured and active (read once a minute)."""
    code = channel_code()
    return _channel.get(code, lambda: Channel.objects.filter(code=code, is_active=True).first())


NOTICE_TEXT = "web/scrivi/_privacy_notice_text.html"


# The stored version of the notice, by the configured one, kept a minute per process: its words
# come from a template and settings that change only with a deployment, and each form shown and
# sent needs it (rendering and storing-or-reading it was about a fifth of a POST's work). A
# stored notice is never deleted (consents point at it), so the kept version always names
# stored words; a row deleted by hand in the database is stored again within the minute.
_notice: Kept[str, str] = Kept(60.0, clock=lambda: timezone.now().timestamp())


def privacy_notice() -> str:
    """The version of the privacy notice the form shows, and the citizen accepts by sending it:
    `ASCOLTO_PRIVACY_NOTICE_VERSION`, its words stored with it (in Italian, the notice's
    language of record) the first time it is shown (`citizens.actions.record_privacy_notice`);
    words changed under the same number are stored as a version of their own."""
    version = setting("ASCOLTO_PRIVACY_NOTICE_VERSION", "")
    if not version:
        return ""
    return _notice.get(version, lambda: _stored_notice(version))


def _stored_notice(version: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        page = render_to_string(NOTICE_TEXT, {"municipality": settings.ASCOLTO_MUNICIPALITY})
    # Stored as plain text, a paragraph a line apart: what a person reads, in an archive too.
    paragraphs = (html.unescape(strip_tags(part)).strip() for part in page.split("</p>"))
    text = "\n\n".join(" ".join(p.split()) for p in paragraphs if p)
    return record_privacy_notice(version, text).version


def _context(form: RequestForm, submission: str = "", **extra: object) -> dict[str, object]:
    return {
        "title": _("Scrivi al Comune"),
        "form": form,
        "privacy_notice": privacy_notice(),
        "max_request": MAX_REQUEST_CHARS,
        "max_complaint": MAX_COMPLAINT_CHARS,
        # The one-time token of this filling of the form: a POST sent again carries the same.
        "submission": submission or submission_token(),
        **extra,
    }


def submission_id(token: str) -> str | None:
    """The id a submission token carries; "" when the POST has none (a client that is not the
    form page: it gets a fresh id and no replay protection); None when it is forged."""
    if not token:
        return ""
    try:
        value = signing.Signer(salt=SUBMISSION_SALT).unsign(token)
    except signing.BadSignature:
        return None
    return value if len(value) == 32 and value.isalnum() else None


@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    """The request form; a valid POST is accepted and answered with the confirmation. The same
    POST sent again (a double click, a browser resending it) is answered with the first one's
    confirmation, and nothing is stored twice."""
    if request.method != "POST":
        return render(request, "web/scrivi/request.html", _context(RequestForm()))
    form = RequestForm(request.POST, request.FILES)
    token = request.POST.get("submission", "")[:200]
    submission = submission_id(token)
    wait = limited(request, "scrivi", form_rules(request, "scrivi"))
    if wait is not None:
        error = _(
            "Hai inviato troppe richieste in poco tempo. Riprova più tardi: quello che hai "
            "scritto è ancora qui."
        )
        page = render(request, "web/scrivi/request.html", _context(form, token, error=error))
        return with_retry_after(page, wait)
    if submission is None:
        error = _(
            "Il modulo è scaduto o non è valido: controlla i dati e invialo di nuovo. Quello "
            "che hai scritto è ancora qui."
        )
        return render(request, "web/scrivi/request.html", _context(form, error=error), status=400)
    if not form.is_valid():
        return render(request, "web/scrivi/request.html", _context(form, token), status=400)
    code = codes.new_code()
    if form.is_spam:
        # A robot filled the hidden field: it gets what a person would, and nothing is stored.
        return _confirm(code)
    channel = _active_channel()
    if channel is None:
        error = _("Il modulo non è disponibile in questo momento. Riprova più tardi.")
        return render(
            request, "web/scrivi/request.html", _context(form, token, error=error), status=503
        )
    data = form.cleaned_data
    external_id = f"scrivi-{uuid.UUID(hex=submission) if submission else uuid.uuid4()}"
    # The files are written, then the row: if the row is not stored, they are removed again.
    attachments = store_attachments(data["attachments"])
    try:
        inbound = InboundMessage(
            channel=channel_code(),
            external_id=external_id,
            handle_kind=Identity.Kind.EMAIL,
            handle=data["email"],
            text=data["description"].strip(),
            sent_at=timezone.now(),
            display_name=f"{data['first_name']} {data['last_name']}".strip()[:200],
            attachments=attachments,
            sender=Sender(
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                phone=data["phone"],
            ),
            hints=CaseHints(
                kind=data["kind"], theme=form.theme_code, place=data["place"].strip(), code=code
            ),
            # The form cannot be sent without ticking the notice: the citizen accepted it.
            privacy_notice=privacy_notice(),
        )
        try:
            queue.accept(inbound, channel)
        except queue.AlreadyAccepted as earlier:
            if earlier.same:
                raise
            # The form was sent, then changed and sent again (the browser's Back): a new request.
            fresh = dataclasses.replace(inbound, external_id=f"scrivi-{uuid.uuid4()}")
            queue.accept(fresh, channel)
    except queue.AlreadyAccepted as replay:
        remove_attachments(attachments)
        return _confirm(replay.code)
    except DomainError as exc:
        remove_attachments(attachments)
        logger.warning("scrivi: submission refused (%s)", exc.field)
        error = _("La richiesta non è stata registrata: riprova.")
        return render(
            request, "web/scrivi/request.html", _context(form, token, error=error), status=409
        )
    except BaseException:
        remove_attachments(attachments)  # the database is down: leave no orphan file behind
        raise
    return _confirm(code)


def store_attachments(files: list[UploadedFile]) -> tuple[Attachment, ...]:
    """Write a submission's files (checked and cleaned by the form, `check_attachments`) under
    random names in `scrivi/`; the citizen's name for each is kept only as its display name."""
    stored: list[Attachment] = []
    try:
        for upload in files:
            mime = upload.content_type or "application/octet-stream"
            saved = default_storage.save(storage_name("scrivi", mime), upload)
            stored.append(
                Attachment(
                    name=display_name(upload.name),
                    content_type=mime,
                    size=upload.size or 0,
                    # Not a public URL: citizens' files are personal data, served to staff only
                    # by the case page's access-checked download (web/views/console/case.py).
                    url=f"{STORED}{saved}",
                )
            )
    except BaseException:
        remove_attachments(stored)  # a full disk on the third file: the first two go too
        raise
    return tuple(stored)


def remove_attachments(attachments: Iterable[Attachment]) -> None:
    """Delete stored files of a submission that was not accepted (and their folder)."""
    for attachment in attachments:
        name = attachment.url.removeprefix(STORED)
        try:
            default_storage.delete(name)
            folder = default_storage.path(str(PurePath(name).parent))
        except NotImplementedError:
            continue  # a storage without local paths has no folders to remove
        except Exception:
            logger.exception("scrivi: could not remove an attachment of a refused submission")
            continue
        with contextlib.suppress(OSError):
            os.rmdir(folder)  # only when empty


def _confirm(code: str) -> HttpResponse:
    token = signing.dumps(code, salt=CONFIRMATION_SALT, compress=False)
    url = f"{reverse('scrivi:sent')}?c={token}"
    return HttpResponseRedirect(url, status=303)


@require_GET
def sent(request: HttpRequest) -> HttpResponse:
    """The confirmation: the tracking code (signed in the link, so no one can forge a page)."""
    try:
        code = signing.loads(request.GET.get("c", ""), salt=CONFIRMATION_SALT, max_age=24 * 3600)
    except signing.BadSignature as exc:
        raise Http404("no confirmation") from exc
    return render(
        request,
        "web/scrivi/sent.html",
        {"title": _("Richiesta inviata"), "code": code},
    )


@require_GET
def services(request: HttpRequest) -> HttpResponse:
    """The services of one area (HTMX: the form's second select)."""
    tree = taxonomy()
    area = request.GET.get("area", "")
    options = tree.themes.get(area, [])
    return render(
        request,
        "web/scrivi/_services.html",
        {"options": options, "selected": request.GET.get("service", ""), "area": area},
    )


@require_GET
def suggestions(request: HttpRequest) -> HttpResponse:
    """Knowledge articles that may already answer what the citizen is typing (HTMX)."""
    text = request.GET.get("description", "")[:MAX_COMPLAINT_CHARS]
    code = request.GET.get("service") or request.GET.get("area") or ""
    theme = Theme.objects.filter(code=code).first() if code else None
    articles = suggest_articles(text, theme=theme, limit=5) if len(text.strip()) >= 4 else []
    return render(request, "web/scrivi/_suggestions.html", {"articles": articles})


@require_GET
def article(request: HttpRequest, slug: str) -> HttpResponse:
    found = public_article(slug)
    if found is None:
        raise Http404("no such article")
    paragraphs = [p.strip() for p in found.body.split("\n\n") if p.strip()]
    return render(
        request,
        "web/scrivi/article.html",
        {
            "title": found.title,
            "article": found,
            "paragraphs": paragraphs,
            "helped": request.GET.get("utile") == "1",
        },
    )


@require_POST
def article_helped(request: HttpRequest, slug: str) -> HttpResponse:
    """A citizen's "this answer helped" on a public article: counted once per browser session."""
    found = public_article(slug)
    if found is None:
        raise Http404("no such article")
    if over_limit(request, "article-helped", RATE_LIMIT_SETTING, RATE_LIMIT_DEFAULT):
        return HttpResponse(status=429)
    if request.session.session_key is None:
        request.session.save()
    mark_helped(found, session_key=request.session.session_key or "")
    return HttpResponseRedirect(reverse("scrivi:article", args=[found.slug]) + "?utile=1")


@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "web/scrivi/privacy.html",
        {"title": _("Informativa sulla privacy"), "privacy_notice": privacy_notice()},
    )


urlpatterns: list[URLPattern] = [
    path("", home, name="home"),
    path("inviata/", sent, name="sent"),
    path("servizi/", services, name="services"),
    path("suggerimenti/", suggestions, name="suggestions"),
    path("articoli/<slug:slug>/", article, name="article"),
    path("articoli/<slug:slug>/utile/", article_helped, name="article-helped"),
    path("privacy/", privacy, name="privacy"),
]
