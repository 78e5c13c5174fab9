"""Log a phone call: the form a contact-center operator fills while talking to a citizen.

The caller is looked up by phone number or fiscal code as the operator types (HTMX POST, so
numbers and fiscal codes stay out of URLs and access logs; without JavaScript the "Cerca"
button does the same with a full page). Only citizens within the operator's scope are found,
chosen or shown (`core.access.visible_citizens`: an office operator sees a citizen only through
a case of their office), and their earlier cases and calls are listed within that scope too.
Saving calls `contactcenter.actions.log_call`, which opens the case on the phone channel and
resolves or escalates it in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ascolto.citizens.handles import normalise_fiscal_code, normalise_phone
from ascolto.citizens.models import Citizen, Identity
from ascolto.contactcenter.actions import incoming_call_for, log_call
from ascolto.contactcenter.models import CallRecord
from ascolto.core import access
from ascolto.core.errors import DomainError, InvalidInput
from ascolto.tickets.models import Ticket
from ascolto.web import access_log
from ascolto.web.forms.calls import CallForm

HISTORY_LIMIT = 10
MAX_MATCHES = 5


@dataclass
class Caller:
    """A citizen (or a number known with no citizen yet) and the history the user may see."""

    citizen: Citizen | None
    identities: list[Identity]
    tickets: list[Ticket] = field(default_factory=list)
    calls: list[CallRecord] = field(default_factory=list)
    tickets_total: int = 0


def find_callers(user: Any, phone: str = "", fiscal_code: str = "") -> tuple[list[Caller], str]:
    """Who the caller may be, by phone number and/or fiscal code, with their history within
    `user`'s scope; and a message when what was typed cannot be a number or a code yet."""
    number = code = ""
    problems: list[str] = []
    if phone.strip():
        try:
            number = normalise_phone(phone)
        except InvalidInput:
            problems.append(_("Il numero di telefono non è ancora completo o valido."))
    if fiscal_code.strip():
        try:
            code = normalise_fiscal_code(fiscal_code)
        except InvalidInput:
            problems.append(_("Il codice fiscale non è ancora completo o valido."))
    citizens: dict[int, Citizen] = {}
    loose: list[Identity] = []
    if code:
        found = Citizen.objects.filter(fiscal_code=code, merged_into=None)
        for citizen in access.visible_citizens(found, user):
            citizens[citizen.pk] = citizen
    if number:
        identities = Identity.objects.filter(
            kind__in=(Identity.Kind.PHONE, Identity.Kind.WHATSAPP), value=number
        ).select_related("citizen")
        for identity in identities:
            if identity.citizen is not None:
                citizen = identity.citizen.live()
                if access.may_see_citizen(user, citizen):
                    citizens.setdefault(citizen.pk, citizen)
            else:
                loose.append(identity)
        found = Citizen.objects.filter(phone=number, merged_into=None)
        for citizen in access.visible_citizens(found, user)[:MAX_MATCHES]:
            citizens.setdefault(citizen.pk, citizen)
    callers = [
        _history(user, citizen, list(citizen.identities.order_by("kind", "value")))
        for citizen in list(citizens.values())[:MAX_MATCHES]
    ]
    for identity in loose[:MAX_MATCHES]:
        caller = _history(user, None, [identity])
        # A number known with no citizen is shown only with some history the user may see:
        # to an office operator, that the number ever wrote to another office is not theirs.
        if access.sees_every_office(user) or caller.tickets or caller.calls:
            callers.append(caller)
    return callers, " ".join(problems)


def _chosen(user: Any, pk: int | None) -> Citizen | None:
    """The citizen chosen for the call, if they exist, are not merged and `user` may see them."""
    if not pk:
        return None
    return access.visible_citizens(Citizen.objects.filter(pk=pk, merged_into=None), user).first()


def _history(user: Any, citizen: Citizen | None, identities: list[Identity]) -> Caller:
    """Earlier cases and calls of a caller that `user` may see, latest first."""
    match = Q(identity__in=identities)
    if citizen is not None:
        match |= Q(citizen=citizen)
    tickets: QuerySet[Ticket] = access.visible(Ticket.objects.filter(match), user).distinct()
    calls = (
        access.visible(
            CallRecord.objects.filter(caller__in=identities),
            user,
            office_field="conversation__tickets__office",
        )
        .distinct()
        .select_related("operator")
        .prefetch_related(
            Prefetch(
                "conversation__tickets",
                queryset=access.visible(Ticket.objects.all(), user).only("code", "office_id"),
            )
        )
        .order_by("-arrived_at")
    )
    return Caller(
        citizen=citizen,
        identities=identities,
        tickets=list(
            tickets.select_related("theme", "channel", "office").order_by("-created_at")[
                :HISTORY_LIMIT
            ]
        ),
        calls=list(calls[:HISTORY_LIMIT]),
        tickets_total=tickets.count(),
    )


def note_callers(request: HttpRequest, callers: list[Caller], chosen: Citizen | None) -> None:
    """Record in the access log the callers shown beside the call form (their names, handles
    and history), once per request; nothing when no one was shown."""
    citizens = [c.citizen.pk for c in callers if c.citizen is not None]
    if chosen is not None:
        citizens.append(chosen.pk)
    cases = [t.code for c in callers for t in c.tickets]
    if citizens or cases:
        access_log.seen(
            request,
            access_log.Purpose.CALLER,
            "citizen",
            objects=citizens or cases,
            citizens=citizens,
            shown="caller look-up: names, handles, cases, calls",
        )


@require_POST
@access.require(access.handles_cases)
def lookup(request: HttpRequest) -> HttpResponse:
    """The HTMX fragment with the callers matching what the operator typed so far (POST: a
    phone number or a fiscal code in a URL would be written to every access log)."""
    phone, fiscal_code = request.POST.get("phone", ""), request.POST.get("fiscal_code", "")
    callers, problem = find_callers(request.user, phone, fiscal_code)
    searched = bool(phone.strip() or fiscal_code.strip())
    chosen = _chosen(request.user, _int(request.POST.get("citizen")))
    context = {"callers": callers, "problem": problem, "searched": searched, "chosen": chosen}
    note_callers(request, callers, chosen)
    return render(request, "web/console/calls/_lookup.html", context)


def _kept(request: HttpRequest, **changes: str) -> CallForm:
    """The form as posted, with `changes` applied, not yet validated (a search or a choice of
    citizen is not a save, so no field is in error): nothing typed is lost."""
    values = {name: request.POST.get(name, "") for name in CallForm.base_fields}
    values.update(changes)
    return CallForm(initial=values, user=request.user)


@require_http_methods(["GET", "POST"])
@access.require(access.handles_cases)
def call_new(request: HttpRequest) -> HttpResponse:
    """GET: an empty form (the call starts now). POST: look up, choose a citizen, or save."""
    context: dict[str, Any] = {"nav": "calls", "title": _("Registra una chiamata")}
    callers: list[Caller] = []
    problem = ""
    searched = False
    if request.method == "GET":
        initial = {"started_at": timezone.now().isoformat()}
        # From the screen-pop: the call announced on the operator's extension fills the form.
        pop = _int(request.GET.get("incoming"))
        incoming = incoming_call_for(request.user, pop) if pop else None  # type: ignore[arg-type]
        if incoming is not None:
            initial.update(call_id=incoming.call_id, started_at=incoming.started_at.isoformat())
            if incoming.phone:
                initial["phone"] = incoming.phone
                searched = True
                callers, problem = find_callers(request.user, incoming.phone)
        form = CallForm(initial=initial, user=request.user)
    elif "select_citizen" in request.POST:
        # "Usa questo cittadino" (or "Cambia"): keep everything, fill the blanks from the record.
        # Only a citizen the user may see: anyone else's name and contacts stay where they are.
        chosen = _chosen(request.user, _int(request.POST["select_citizen"]))
        changes = {"citizen": str(chosen.pk) if chosen else ""}
        if chosen is not None:
            for name in ("first_name", "last_name", "fiscal_code", "email"):
                if not request.POST.get(name, "").strip() and getattr(chosen, name):
                    changes[name] = getattr(chosen, name)
        form = _kept(request, **changes)
    elif request.POST.get("action") == "lookup":
        form = _kept(request)
        searched = True
        callers, problem = find_callers(
            request.user, request.POST.get("phone", ""), request.POST.get("fiscal_code", "")
        )
    else:
        form = CallForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                logged = log_call(
                    operator=request.user,  # type: ignore[arg-type]
                    question=data["question"],
                    outcome=data["outcome"],
                    answer=data["answer"],
                    sender=form.sender(),
                    citizen=data["citizen"],
                    kind=data["kind"],
                    theme=data["theme"],
                    office=data["office"],
                    note=data["note"],
                    started_at=data["started_at"],
                    call_id=data["call_id"],
                )
            except DomainError as exc:
                if exc.field in form.fields:
                    form.add_error(exc.field, exc.message)
                else:
                    form.add_error(None, exc.message)
            else:
                ticket = logged.ticket
                if logged.escalated:
                    text = _("Chiamata registrata: caso %(code)s inoltrato a %(office)s.")
                else:
                    text = _("Chiamata registrata: caso %(code)s risolto al primo contatto.")
                messages.success(request, text % {"code": ticket.code, "office": ticket.office})
                if access.may_see_office(request.user, ticket.office):
                    return redirect("console:case", code=ticket.code)
                return redirect("console:call-new")  # escalated beyond the user's scope
        form.flag_errors()
    chosen_pk = _int(form.data.get("citizen") if form.is_bound else form.initial.get("citizen"))
    chosen = _chosen(request.user, chosen_pk)
    if chosen is not None and not callers:
        # Keep the history of the chosen citizen beside the form.
        callers = [_history(request.user, chosen, list(chosen.identities.order_by("kind")))]
    context.update(form=form, callers=callers, problem=problem, searched=searched, chosen=chosen)
    note_callers(request, callers, chosen)
    return render(request, "web/console/calls/new.html", context, status=200)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


urlpatterns: list[URLPattern] = [
    path("calls/new/", call_new, name="call-new"),
    path("calls/lookup/", lookup, name="call-lookup"),
]
