"""The unified inbox: cases from every channel in one list, with filters, counts, search,
saved views and bulk changes. The queries are `ascolto.tickets.inbox`; the writes are
`ascolto.tickets.actions`, one transaction per case."""

from __future__ import annotations

from datetime import UTC, datetime
from math import ceil
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from ascolto.core import access
from ascolto.core.errors import DomainError, NotFound
from ascolto.organisation.models import User
from ascolto.tickets import actions
from ascolto.tickets import inbox as inbox_queries
from ascolto.tickets.models import Ticket
from ascolto.tickets.sla import sla_state
from ascolto.web import access_log, inbox_columns
from ascolto.web import actions as web_actions
from ascolto.web.forms.inbox import (
    BULK_ACTIONS,
    BulkForm,
    InboxFilterForm,
    References,
    SavedViewForm,
    bulk_choices,
    filter_selects_html,
)
from ascolto.web.models import SavedView

RESULTS_TARGET = "inbox-results"
LIVE_INTERVAL = 5  # seconds between two looks for new and changed cases
NEW_CAP = 99  # past this many new cases the bar says "99+"


def case_url_prefix() -> str:
    """The case page's URL without the code (one reverse per request, not per row)."""
    try:
        return reverse("console:case", args=["CODE"]).removesuffix("CODE/")
    except NoReverseMatch:  # the case page not mounted yet: its documented path
        return "/console/cases/"


def builtin_views(user: User) -> list[dict[str, str]]:
    """The views every operator has: their own cases, and the breached ones of their office."""
    breached: dict[str, Any] = {"sla": "breached"}
    if user.office_id:
        breached["office"] = user.office_id
    return [
        {"name": _("I miei casi"), "query": urlencode({"assignee": "me"})},
        {"name": _("Scaduti nel mio ufficio"), "query": urlencode(breached)},
    ]


def _page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    return int(raw) if raw.isdigit() and int(raw) > 0 else 1


def _current_query(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return str(params.urlencode())


@access.require(access.handles_cases)
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    refs = References.load()
    form = InboxFilterForm(request.GET or None, user=user, refs=refs)
    query = form.query()
    now = timezone.now()
    scope = access.visible(Ticket.objects.all(), user)
    base = inbox_queries.filtered(scope, query, user=user, now=now)
    cap = inbox_queries.count_cap(query)
    counts = inbox_queries.counts(base, now, cap)
    pages = max(1, min(inbox_queries.MAX_PAGE, ceil(counts.total / inbox_queries.PAGE_SIZE)))
    page = min(_page_number(request), pages)
    by_relevance = inbox_queries.ranks_by_relevance(query, counts)
    known = [*refs.channels, *refs.themes, *refs.offices, *refs.teams, *refs.operators]
    tickets = inbox_queries.sorted_page(base, query, page, by_relevance=by_relevance, known=known)
    rows = _rows(tickets, now)
    columns, density = inbox_columns.layout_of(user.pk)
    channels = {c.pk: c.name for c in refs.channels}
    context = {
        "title": _("Casi"),
        "nav": "inbox",
        "form": form,
        "rows": rows,
        "counts": counts,
        "facets": _facets(counts, channels, request),
        "page": page,
        "pages": pages,
        "truncated": counts.total > inbox_queries.MAX_PAGE * inbox_queries.PAGE_SIZE,
        "count_cap": cap,
        "current_query": _current_query(request),
        "selects": filter_selects_html(form),
        "bulk_selects": bulk_choices(refs),
        "builtin_views": builtin_views(user),
        "saved_views": SavedView.objects.filter(user=user),
        "save_form": SavedViewForm(user=user, initial={"query": _current_query(request)}),
        "searching": bool(query.text),
        "by_relevance": by_relevance,
        "columns": [{"key": key, "label": inbox_columns.COLUMNS[key]} for key in columns],
        "rows_html": inbox_columns.rows_html(rows, columns),
        "density": density,
        "layout_rows": inbox_columns.layout_rows_html(columns),
        "chips": _chips(form, request),
        "live_url": _live_url(request, now, now, [t.pk for t in tickets]),
        "live_interval": LIVE_INTERVAL,
    }
    if tickets:
        # One record for the whole page: the cases listed and their citizens (names, subjects).
        access_log.seen(
            request,
            access_log.Purpose.SEARCH if query.text else access_log.Purpose.INBOX,
            "ticket",
            objects=[t.code for t in tickets],
            citizens=[t.citizen_id for t in tickets],
            shown="case list: " + ", ".join(columns),
        )
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == RESULTS_TARGET:
        return render(request, "web/console/inbox/_results.html", context)
    return render(request, "web/console/inbox/index.html", context)


def _rows(tickets: list[Ticket], now: datetime) -> list[dict[str, Any]]:
    prefix = case_url_prefix()
    return [
        {
            "ticket": t,
            "url": f"{prefix}{t.code}/",
            "sla": sla_state(t.due_at, now, active=t.is_active()),
            "remaining": inbox_columns.remaining(t.due_at, now) if t.is_active() else "",
            "icon": inbox_columns.CHANNEL_ICONS.get(t.channel.kind, "it-inbox"),
        }
        for t in tickets
    ]


def _chips(form: InboxFilterForm, request: HttpRequest) -> list[dict[str, str]]:
    """The filters in force, each with the link that removes it."""
    chips = []
    path = reverse("console:inbox")
    for name, field in form.fields.items():
        value = request.GET.get(name, "").strip()
        if not value or name == "sort" or (name == "status" and value == inbox_queries.ACTIVE):
            continue
        if name == "q":
            shown = value
        else:
            labels = {str(k): v for k, v in getattr(field, "choices", [])}
            if value not in labels:
                continue
            shown = str(labels[value]).lstrip("— ")
        params = request.GET.copy()
        params.pop("page", None)
        params.pop(name, None)
        href = f"?{params.urlencode()}"
        chips.append(
            {
                "label": f"{field.label}: {shown}",
                "url": path + href,
            }
        )
    return chips


def _live_url(request: HttpRequest, loaded: datetime, since: datetime, ids: list[int]) -> str:
    params = request.GET.copy()
    for name in ("page", "loaded", "since", "ids"):
        params.pop(name, None)
    params["loaded"] = str(loaded.timestamp())
    params["since"] = str(since.timestamp())
    params["ids"] = ",".join(str(pk) for pk in ids)
    return f"{reverse('console:inbox-live')}?{params.urlencode()}"


def _instant(raw: str | None, default: datetime) -> datetime:
    try:
        return datetime.fromtimestamp(float(raw or ""), tz=UTC)
    except (ValueError, OverflowError, OSError):
        return default


@access.require(access.handles_cases)
@require_GET
def live(request: HttpRequest) -> HttpResponse:
    """What changed since the page was shown, polled by the page: how many new cases match its
    filters (announced in a bar, never inserted under the pointer) and the rows on the page that
    changed since the last look (swapped in place, same height)."""
    user: User = request.user  # type: ignore[assignment]
    now = timezone.now()
    loaded = _instant(request.GET.get("loaded"), now)
    since = _instant(request.GET.get("since"), now)
    ids = inbox_queries.ids_in_order(request.GET.get("ids", "").split(","))[
        : inbox_queries.PAGE_SIZE
    ]
    refs = References.load()
    form = InboxFilterForm(request.GET or None, user=user, refs=refs)
    scope = access.visible(Ticket.objects.all(), user)
    base = inbox_queries.filtered(scope, form.query(), user=user, now=now)
    new = inbox_queries.arrived_since(base, loaded, NEW_CAP)
    changed = inbox_queries.changed_since(scope, ids, since)
    columns, _density = inbox_columns.layout_of(user.pk)
    if changed:
        access_log.seen(
            request,
            access_log.Purpose.INBOX,
            "ticket",
            objects=[t.code for t in changed],
            citizens=[t.citizen_id for t in changed],
            shown="case list, rows changed: " + ", ".join(columns),
        )
    context = {
        "new": new,
        "new_capped": new > NEW_CAP,
        "new_cap": NEW_CAP,
        "changed_html": inbox_columns.rows_html(_rows(changed, now), columns, oob=True),
        "live_url": _live_url(request, loaded, now, ids),
        "live_interval": LIVE_INTERVAL,
        "reload_url": f"{reverse('console:inbox')}?{_filters_only(request)}",
    }
    return render(request, "web/console/inbox/_live.html", context)


def _filters_only(request: HttpRequest) -> str:
    params = request.GET.copy()
    for name in ("page", "loaded", "since", "ids"):
        params.pop(name, None)
    return str(params.urlencode())


@access.require(access.handles_cases)
@require_POST
def take(request: HttpRequest) -> HttpResponse:
    """Assign the case to the operator asking (the `a` key, or a button without JavaScript)."""
    user: User = request.user  # type: ignore[assignment]
    ids = inbox_queries.ids_in_order([str(request.POST.get("ticket", ""))])
    ticket = access.visible(Ticket.objects.all(), user).filter(pk__in=ids).first()
    if ticket is None:
        raise Http404("no such case")
    try:
        actions.assign_ticket(ticket, actor=user, assignee=user)
    except DomainError as exc:
        text = _("Caso %(code)s non assegnato: %(why)s") % {"code": ticket.code, "why": exc.message}
        if request.headers.get("HX-Request"):
            return HttpResponse(text, status=409)
        messages.error(request, text)
    else:
        text = _("Caso %(code)s assegnato a te.") % {"code": ticket.code}
        if request.headers.get("HX-Request"):
            return HttpResponse(text)
        messages.success(request, text)
    return redirect(_back(request))


@access.require(access.handles_cases)
@require_POST
def save_layout(request: HttpRequest) -> HttpResponse:
    """Store the columns (the ticked ones, by their position number) and the row density."""
    user: User = request.user  # type: ignore[assignment]
    shown = request.POST.getlist("columns")

    keys = list(inbox_columns.COLUMNS)

    def number(name: str) -> int:
        raw = str(request.POST.get(name, "")).strip()
        return int(raw) if raw.isdigit() else 99

    def position(key: str) -> tuple[int, int, int]:
        # On a tie, the column whose number the user changed goes first ("Stato" set to 1
        # comes before the column that was already 1).
        at, was = number(f"position-{key}"), number(f"was-{key}")
        return (at, 0 if at != was else 1, keys.index(key) if key in keys else 99)

    try:
        web_actions.save_layout(
            user, sorted(shown, key=position), str(request.POST.get("density", ""))
        )
    except DomainError as exc:
        messages.error(request, _("Colonne non salvate: %(why)s") % {"why": exc.message})
    else:
        messages.success(request, _("Colonne e densità salvate."))
    return redirect(_back(request))


def _facets(
    counts: inbox_queries.Counts, channels: dict[int, str], request: HttpRequest
) -> list[dict[str, Any]]:
    """The counts per filter value, each as (label, count, link that sets that filter)."""
    status_labels = dict(Ticket.Status.choices)
    kind_labels = dict(Ticket.Kind.choices)
    sla_labels = {
        "on_time": _("In tempo"),
        "due_soon": _("In scadenza entro 48 ore"),
        "breached": _("Scaduti"),
    }
    facets: list[dict[str, Any]] = [
        {
            "param": "status",
            "title": _("Per stato"),
            "items": [
                (value, status_labels[value], counts.status[value])
                for value in Ticket.Status.values
                if counts.status.get(value)
            ],
        },
        {
            "param": "sla",
            "title": _("Per scadenza"),
            "items": [(k, sla_labels[k], n) for k, n in counts.sla.items()],
        },
        {
            "param": "channel",
            "title": _("Per canale"),
            "items": sorted(
                ((str(pk), channels.get(pk, "?"), n) for pk, n in counts.channel.items()),
                key=lambda item: -item[2],
            ),
        },
        {
            "param": "kind",
            "title": _("Per tipo"),
            "items": [
                (value, kind_labels[value], counts.kind[value])
                for value in Ticket.Kind.values
                if counts.kind.get(value)
            ],
        },
    ]
    path = reverse("console:inbox")
    base = request.GET.copy()
    base.pop("page", None)
    for facet in facets:
        links = []
        params = base.copy()  # each link sets this facet's value (a key keeps its place)
        for value, label, n in facet["items"]:
            params[facet["param"]] = value
            active = request.GET.get(facet["param"]) == value
            href = f"?{params.urlencode()}"
            links.append({"label": label, "n": n, "url": path + href, "active": active})
        facet["links"] = links
    return facets


# --- Bulk changes ----------------------------------------------------------------------------


def _back(request: HttpRequest) -> str:
    query = str(request.POST.get("back", "")).lstrip("?").replace("\n", "").replace("\r", "")
    url = reverse("console:inbox") + (f"?{query}" if query else "")
    return url if url_has_allowed_host_and_scheme(url, allowed_hosts=None) else "/console/inbox/"


def _explain(exc: DomainError) -> str:
    status = inbox_queries.transition_label(exc)
    if status:
        return _("non possibile nello stato «%(status)s»") % {"status": status}
    return exc.message


@access.require(access.handles_cases)
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    """Step one shows the selected cases and the change, to confirm; step two applies it."""
    user: User = request.user  # type: ignore[assignment]
    ids = inbox_queries.ids_in_order(request.POST.getlist("tickets"))
    back = _back(request)
    if not ids:
        messages.error(request, _("Seleziona almeno un caso."))
        return redirect(back)
    # Re-read within what the user may see now: a case out of scope is never touched.
    tickets = list(access.visible(Ticket.objects.all(), user).filter(pk__in=ids).order_by("pk"))
    missing = len(ids) - len(tickets)
    form = BulkForm(request.POST)
    if not form.is_valid() or request.POST.get("confirm") != "1":
        return render(
            request,
            "web/console/inbox/bulk.html",
            {
                "title": _("Conferma la modifica"),
                "nav": "inbox",
                "form": form,
                "tickets": tickets,
                "missing": missing,
                "back": request.POST.get("back", ""),
                "back_url": back,
                "action_label": dict(BULK_ACTIONS).get(form.data.get("action", ""), ""),
            },
            status=200 if not form.errors else 400,
        )
    data = form.cleaned_data
    change = _change(data, user)
    result = inbox_queries.apply_each(tickets, change, _explain)
    refused = [f"{code}: {why}" for code, why in result.refused]
    if missing:
        refused.append(
            ngettext(
                "%(n)d caso non trovato o non accessibile",
                "%(n)d casi non trovati o non accessibili",
                missing,
            )
            % {"n": missing}
        )
    summary = _("%(ok)d aggiornati, %(ko)d non possibili") % {
        "ok": len(result.updated),
        "ko": len(result.refused) + missing,
    }
    if refused:
        messages.warning(request, f"{summary}: {'; '.join(refused)}")
    else:
        messages.success(request, summary)
    return redirect(back)


def _change(data: dict[str, Any], user: User) -> Any:
    action = data["action"]
    if action == "assign":
        return lambda t: actions.assign_ticket(
            t, actor=user, assignee=data.get("assignee"), team=data.get("team")
        )
    if action == "tag":
        return lambda t: actions.tag_ticket(t, actor=user, add=[data["tag"]])
    if action == "escalate":
        return lambda t: actions.escalate_ticket(t, data["office"], actor=user)
    return lambda t: actions.link_campaign(t, data["campaign"], actor=user)


# --- Saved views -----------------------------------------------------------------------------


@access.require(access.handles_cases)
@require_POST
def save_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = SavedViewForm(request.POST, user=user)
    query = str(request.POST.get("query", "")).lstrip("?")
    if not form.is_valid():
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        messages.error(request, _("Vista non salvata: %(errors)s") % {"errors": errors})
    else:
        name = form.cleaned_data["name"]
        web_actions.save_view(user, name, form.cleaned_data["query"])
        messages.success(request, _("Vista «%(name)s» salvata.") % {"name": name})
    url = reverse("console:inbox")
    return redirect(f"{url}?{query}" if query else url)


@access.require(access.handles_cases)
@require_POST
def delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        view = web_actions.delete_view(request.user, pk)  # type: ignore[arg-type]
    except NotFound as exc:
        raise Http404("no such saved view") from exc
    messages.success(request, _("Vista «%(name)s» eliminata.") % {"name": view.name})
    return redirect("console:inbox")


urlpatterns: list[URLPattern] = [
    path("inbox/", inbox, name="inbox"),
    path("inbox/bulk/", bulk, name="inbox-bulk"),
    path("inbox/live/", live, name="inbox-live"),
    path("inbox/take/", take, name="inbox-take"),
    path("inbox/layout/", save_layout, name="inbox-layout"),
    path("inbox/views/", save_view, name="inbox-save-view"),
    path("inbox/views/<int:pk>/delete/", delete_view, name="inbox-delete-view"),
]
