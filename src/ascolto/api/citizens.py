"""Citizens through the API: search and read, in the console's scope, every read recorded.

    GET /citizens?q=…        by name, email, phone, fiscal code or a case's tracking code
    GET /citizens/{id}       one citizen, with their handles

A token with an office sees only the citizens with a case in that office's subtree
(`core.access.visible_citizens`), like an office operator; every answer that shows a citizen is
one record of the access log (purpose "API", reader: the token's system), as the console's
pages are (docs/access-log.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.params.functions import Query as QueryParam
from pydantic import Field

from ascolto.api.auth import caller, scoped
from ascolto.api.problems import Problem
from ascolto.audit.actions import record_access
from ascolto.audit.models import AccessRecord
from ascolto.citizens import search
from ascolto.citizens.models import Citizen
from ascolto.core.errors import InvalidInput, NotFound

router = Router(tags=["citizens"])
READ = scoped("citizens:read")
ERRORS: dict[int, Any] = {400: Problem, 401: Problem, 403: Problem, 404: Problem, 429: Problem}


class IdentityOut(Schema):
    kind: str = Field(examples=["email"])
    value: str = Field(examples=["chiara.fontana@example.it"])


class CitizenOut(Schema):
    id: int = Field(examples=[42])
    first_name: str = Field(examples=["Chiara"])
    last_name: str = Field(examples=["Fontana"])
    fiscal_code: str = Field(examples=["FNTCHR85M41F205W"])
    email: str = Field(examples=["chiara.fontana@example.it"])
    phone: str = Field(examples=["+393475550101"])
    merged_into: int | None = Field(examples=[None])
    created_at: datetime


class CitizenDetail(CitizenOut):
    identities: list[IdentityOut]


class CitizenFound(CitizenOut):
    cases: int = Field(examples=[3], description="Cases of this citizen the caller may see.")


class SearchOut(Schema):
    key: str = Field(examples=["email"], description="How the text was read.")
    items: list[CitizenFound]


def _out(citizen: Citizen) -> dict[str, Any]:
    return {
        "id": citizen.pk,
        "first_name": citizen.first_name,
        "last_name": citizen.last_name,
        "fiscal_code": citizen.fiscal_code,
        "email": citizen.email,
        "phone": citizen.phone,
        "merged_into": citizen.merged_into_id,
        "created_at": citizen.created_at,
    }


@router.get("", auth=READ, response={200: SearchOut, **ERRORS, 422: Problem})
def search_citizens(
    request: HttpRequest,
    q: str = QueryParam(..., min_length=1, max_length=200),  # noqa: B008
) -> dict[str, Any]:
    """Look citizens up as the console's search does: what `q` is read as (a tracking code, an
    email, a fiscal code, a phone number, a name), at most 20."""
    who = caller(request)
    found = search.find(q, who.viewer)
    if found.error:
        raise InvalidInput(found.error, field="q")
    citizens = list(found.citizens)
    counts = dict(found.cases)
    if found.case is not None and found.case.citizen_id is not None:
        visible = who.visible_citizens(Citizen.objects.filter(pk=found.case.citizen_id))
        citizens = list(visible)
        counts = search.case_counts([c.pk for c in citizens], who.viewer)
    ids = [c.pk for c in citizens]
    record_access(
        who.reader(request),
        AccessRecord.Purpose.API,
        "citizen",
        objects=ids,
        citizens=ids,
        shown=_("ricerca per %(key)s") % {"key": found.key},
    )
    return {
        "key": found.key,
        "items": [{**_out(c), "cases": counts.get(c.pk, 0)} for c in citizens],
    }


@router.get("/{citizen_id}", auth=READ, response={200: CitizenDetail, **ERRORS})
def read_citizen(request: HttpRequest, citizen_id: int) -> dict[str, Any]:
    """One citizen the caller may see (else 404), with their handles on every channel."""
    who = caller(request)
    citizen = who.visible_citizens(Citizen.objects.filter(pk=citizen_id)).first()
    if citizen is None:
        raise NotFound(_("Nessun cittadino con questo id."), field="citizen_id")
    identities = [
        {"kind": i.kind, "value": i.value} for i in citizen.identities.order_by("kind", "value")
    ]
    record_access(
        who.reader(request),
        AccessRecord.Purpose.API,
        "citizen",
        objects=[citizen.pk],
        citizens=[citizen.pk],
        shown=_("scheda del cittadino"),
    )
    return {**_out(citizen), "identities": identities}
