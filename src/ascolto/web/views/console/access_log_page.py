"""The access log of personal data, for the DPO: `/console/registro-accessi/`.

Administrators and the users granted `audit.view_accessrecord` (`core.access.reads_access_log`)
ask who saw a person's data (the person found by the console's citizen search, over every
citizen, with the records merged into them), what an operator saw, in a period; the answer is
paged and downloadable as CSV. Every reading of the log is itself recorded (purpose
"access log", the person asked about among its citizens), so the DPO's look-ups are in the log
they read. Another role answers 403.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ascolto.audit import queries
from ascolto.citizens.models import Citizen
from ascolto.citizens.search import find
from ascolto.core import access
from ascolto.core.tables import csv_bytes, table_csv
from ascolto.web import access_log
from ascolto.web.forms.access_log import LogFilterForm, PersonSearchForm

SEARCH_LIMIT = 20


def _page_number(request: HttpRequest) -> int:
    raw = request.GET.get("pagina", "1")
    return int(raw) if raw.isdigit() and int(raw) > 0 else 1


def _matches(request: HttpRequest, search: PersonSearchForm) -> list[Citizen]:
    """The people matching what the DPO typed (every citizen: `find(…, everyone=True)`)."""
    if not search.is_valid():
        return []
    found = find(search.cleaned_data["q"], request.user, limit=SEARCH_LIMIT, everyone=True)
    if found.error:
        search.add_error("q", found.error)
    people = list(found.citizens)
    if found.case is not None and found.case.citizen is not None:
        people.insert(0, found.case.citizen)
    return people


def _described(query: queries.LogQuery) -> str:
    """What the DPO asked, for their own record in the log (ids and dates only)."""
    parts = []
    if query.citizen_ids:
        parts.append("citizen " + " ".join(str(i) for i in query.citizen_ids))
    if query.user_id is not None:
        parts.append(f"user {query.user_id}")
    if query.since or query.until:
        parts.append(f"period {query.since or ''}..{query.until or ''}")
    return "access log by " + (", ".join(parts) or "everything")


@require_http_methods(["GET", "POST"])
@access.require(access.reads_access_log)
def access_log_page(request: HttpRequest) -> HttpResponse:
    form = LogFilterForm(request.GET)
    search = PersonSearchForm(request.POST if request.method == "POST" else None)
    people = _matches(request, search) if request.method == "POST" else []
    if people:
        access_log.seen(
            request,
            access_log.Purpose.SEARCH,
            "citizen",
            objects=[c.pk for c in people],
            citizens=[c.pk for c in people],
            shown="access log: person search",
        )
    data: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
    citizen_id: int | None = data.get("cittadino")
    citizen = Citizen.objects.filter(pk=citizen_id).first() if citizen_id else None
    ids: list[int] = []
    if citizen_id:
        # The person's records, and those of the records merged into theirs.
        ids = [
            citizen_id,
            *Citizen.objects.filter(merged_into_id=citizen_id).values_list("pk", flat=True),
        ]
    operator = data.get("operatore")
    query = queries.LogQuery(
        citizen_ids=ids,
        user_id=operator.pk if operator is not None else None,
        since=data.get("dal"),
        until=data.get("al"),
    )
    if form.is_valid() and request.GET.get("formato") == "csv":
        table = queries.as_table(query)
        access_log.seen(
            request,
            access_log.Purpose.EXPORT,
            "access_log",
            objects=[f"{len(table.rows)} rows"],
            citizens=ids,
            shown=_described(query) + " (CSV)",
        )
        response = HttpResponse(csv_bytes(table_csv(table)), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="registro-accessi.csv"'
        response["Cache-Control"] = "no-store"
        return response
    number = _page_number(request)
    rows, more = queries.page(query, number) if form.is_valid() else ([], False)
    access_log.seen(
        request,
        access_log.Purpose.ACCESS_LOG,
        "access_record",
        objects=[r.pk for r in rows],
        citizens=ids,
        shown=_described(query),
    )
    kept: dict[str, str | int] = {
        k: str(v) for k, v in request.GET.items() if k not in ("pagina", "formato") and v
    }
    context = {
        "title": _("Registro degli accessi ai dati personali"),
        "nav": "access-log",
        "form": form,
        "search": search,
        "searched": request.method == "POST",
        "people": people,
        "citizen": citizen,
        "citizen_id": citizen_id,
        "rows": [
            {"record": r, "objects": _short(r.object_ids), "citizens": len(r.citizen_ids)}
            for r in rows
        ],
        "page": number,
        "previous_url": f"?{urlencode({**kept, 'pagina': number - 1})}" if number > 1 else "",
        "next_url": f"?{urlencode({**kept, 'pagina': number + 1})}" if more else "",
        "csv_url": f"?{urlencode({**kept, 'formato': 'csv'})}",
        "filters": urlencode(kept),
        "without_person_url": "?" + urlencode({k: v for k, v in kept.items() if k != "cittadino"}),
    }
    response = render(request, "web/console/access_log/index.html", context)
    response["Cache-Control"] = "no-store"
    return response


def _short(ids: list[Any], shown: int = 5) -> str:
    text = ", ".join(str(i) for i in ids[:shown])
    return f"{text} … (+{len(ids) - shown})" if len(ids) > shown else text


urlpatterns: list[URLPattern] = [
    path("registro-accessi/", access_log_page, name="access-log"),
]
