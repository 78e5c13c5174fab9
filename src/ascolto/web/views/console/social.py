"""The social triage queue (`/console/social/`): Facebook and Instagram comment threads, claimed
then answered, turned into a case, forwarded to an office, set aside or hidden. The reads are
`ascolto.social.queue`; the writes are `ascolto.social.actions` (decision 0015)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ascolto.analytics.period import Period
from ascolto.analytics.queries import social_figures
from ascolto.core import access
from ascolto.core.errors import DomainError
from ascolto.organisation.models import Office, User
from ascolto.social import actions, queue
from ascolto.social.models import SocialThread
from ascolto.tickets.models import Ticket
from ascolto.web import access_log
from ascolto.web.views.console.inbox import case_url_prefix

PAGE_SIZE = 50
OVERVIEW_DAYS = 30


def _int(value: str | None) -> int:
    return int(value) if value and value.isdigit() else 0


@access.require(access.triages_social)
@require_GET
def social_queue(request: HttpRequest) -> HttpResponse:
    queue.sync()
    query = queue.QueueFilter(
        channel=_int(request.GET.get("channel")), state=request.GET.get("state", "todo")
    )
    rows = list(queue.threads(query)[:PAGE_SIZE])
    summary = queue.first_and_last([t.conversation_id for t in rows])
    now = timezone.now()
    items = [
        {
            "thread": t,
            "first": summary.get(t.conversation_id, (None, None, 0))[0],
            "last": summary.get(t.conversation_id, (None, None, 0))[1],
            "count": summary.get(t.conversation_id, (None, None, 0))[2],
            "claimed_by_other": t.claimed_by_other(request.user.pk, now),
            "mine": t.holds(request.user.pk, now),
        }
        for t in rows
    ]
    today = timezone.localdate(now)
    figures = social_figures(Period(today - timedelta(days=OVERVIEW_DAYS - 1), today))
    overview = [
        {
            "kind": label,
            "threads": (figures.threads.get(kind) or {}).get("n", 0),
            "handled": (figures.threads.get(kind) or {}).get("handled", 0),
            "interactions": figures.messages.get(kind, 0),
        }
        for kind, label in (("facebook", "Facebook"), ("instagram", "Instagram"))
    ]
    if rows:
        # The commenters' names and first comments: one record for the list.
        access_log.seen(
            request,
            access_log.Purpose.SOCIAL,
            "social_thread",
            objects=[t.pk for t in rows],
            citizens=[t.conversation.identity.citizen_id for t in rows],
            shown="social queue: authors, first and last comments",
        )
    states = [("todo", _("Da gestire")), ("", _("Tutti")), *SocialThread.State.choices]
    counts = queue.counts_by_state(query.channel)
    return render(
        request,
        "web/console/social/index.html",
        {
            "title": _("Commenti social"),
            "nav": "social",
            "items": items,
            "query": query,
            "channels": queue.social_channels(),
            "states": states,
            "state_counts": [
                (label, counts.get(value, 0)) for value, label in SocialThread.State.choices
            ],
            "more": len(rows) == PAGE_SIZE,
            "page_size": PAGE_SIZE,
            "overview": overview,
            "overview_days": OVERVIEW_DAYS,
        },
    )


def _thread(pk: int) -> SocialThread:
    row = (
        SocialThread.objects.select_related(
            "conversation__channel", "conversation__identity", "claimed_by", "ticket"
        )
        .filter(pk=pk)
        .first()
    )
    if row is None:
        raise Http404("no such thread")
    return row


@access.require(access.triages_social)
@require_GET
def thread_detail(request: HttpRequest, pk: int) -> HttpResponse:
    thread = _thread(pk)
    now = timezone.now()
    entries = list(queue.interactions(thread))
    comments = [m for m in entries if m.direction == "inbound" and (m.raw or {}).get("social")]
    access_log.seen(
        request,
        access_log.Purpose.SOCIAL,
        "social_thread",
        objects=[thread.pk],
        citizens=[thread.conversation.identity.citizen_id],
        shown="social thread: author, comments, replies",
    )
    return render(
        request,
        "web/console/social/thread.html",
        {
            "title": _("Thread social"),
            "nav": "social",
            "thread": thread,
            "entries": entries,
            "comments": comments,
            "mine": thread.holds(request.user.pk, now),
            "claimed_by_other": thread.claimed_by_other(request.user.pk, now),
            "case_url": f"{case_url_prefix()}{thread.ticket.code}/" if thread.ticket else "",
            "offices": Office.objects.filter(is_active=True).order_by("name"),
            "case_kinds": [(k, Ticket.Kind(k).label) for k in actions.CASE_KINDS],
            "first": comments[0] if comments else None,
        },
    )


def _act(request: HttpRequest, pk: int, action: str) -> str:
    """Run one action on the thread; return the message to show."""
    user: User = request.user  # type: ignore[assignment]
    data = request.POST
    if action == "claim":
        actions.claim(pk, user)
        return _("Thread preso in carico per %(n)d minuti.") % {"n": actions.CLAIM_MINUTES}
    if action == "release":
        actions.release(pk, user)
        return _("Thread rilasciato: torna disponibile agli altri operatori.")
    if action == "answer":
        private = data.get("mode") == "private"
        actions.answer(
            pk,
            data.get("text", ""),
            actor=user,
            private=private,
            target=_int(data.get("target")) or None,
        )
        return _("Risposta privata in invio.") if private else _("Risposta pubblica in invio.")
    if action == "case":
        ticket = actions.open_case(pk, actor=user, kind=data.get("kind", "information"))
        return _("Aperto il caso %(code)s.") % {"code": ticket.code}
    if action == "forward":
        office = Office.objects.filter(pk=_int(data.get("office")), is_active=True).first()
        if office is None:
            raise DomainError(_("Scegli l'ufficio competente."), field="office")
        ticket = actions.forward_to_office(pk, office, actor=user, note=data.get("note", ""))
        return _("Segnalazione inoltrata a %(office)s (caso %(code)s).") % {
            "office": office,
            "code": ticket.code,
        }
    if action == "not-relevant":
        actions.mark_not_relevant(pk, actor=user, note=data.get("note", ""))
        return _("Thread segnato come non pertinente.")
    if action == "hide":
        actions.hide(pk, actor=user)
        return _("Commenti del thread in corso di nascondimento.")
    raise Http404("no such action")


@access.require(access.triages_social)
@require_POST
def thread_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    _thread(pk)
    try:
        done = _act(request, pk, action)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("console:social-thread", pk=pk)


urlpatterns: list[URLPattern] = [
    path("social/", social_queue, name="social"),
    path("social/<int:pk>/", thread_detail, name="social-thread"),
    path("social/<int:pk>/<slug:action>/", thread_action, name="social-action"),
]
