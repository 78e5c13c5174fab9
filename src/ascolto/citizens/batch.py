"""Set-based citizen resolution: find or create the citizens a batch of senders say they are.

The one implementation behind `actions.find_or_create_citizen` (a batch of one) and intake. Input
values must already be normalised (`handles.normalise_*`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ascolto.citizens.models import Citizen, Identity

_FIELDS = ("first_name", "last_name", "fiscal_code", "email", "phone")


@dataclass(frozen=True)
class Details:
    """Who a sender says they are; values normalised, empty when not given."""

    first_name: str = ""
    last_name: str = ""
    fiscal_code: str = ""
    email: str = ""
    phone: str = ""


def find_or_create_citizens(people: Sequence[Details]) -> list[Citizen]:
    """The citizen of each entry, in order: found by fiscal code, then by an email or phone
    identity that points to a citizen, else created. Entries of the batch that share a fiscal
    code, email or phone are the same citizen. Known details fill blanks of a found citizen,
    never overwrite them; email and phone become identities linked to the citizen."""
    codes = {p.fiscal_code for p in people if p.fiscal_code}
    by_code = (
        {c.fiscal_code: c for c in Citizen.objects.filter(fiscal_code__in=codes, merged_into=None)}
        if codes
        else {}
    )
    handles = _handles(people)
    by_handle: dict[tuple[str, str], Identity] = {}
    if handles:
        by_handle = identities_by_handle(handles, with_citizen=True)
    known: dict[tuple[str, str], Citizen] = {}
    for (kind, value), identity in by_handle.items():
        if identity.citizen is not None:
            known[(kind, value)] = live_citizen(identity.citizen)
    for code, citizen in by_code.items():
        known[("fiscal_code", code)] = citizen

    result: list[Citizen] = []
    created: list[Citizen] = []
    changed: dict[int, Citizen] = {}
    for person in people:
        keys = [("fiscal_code", person.fiscal_code)] if person.fiscal_code else []
        keys += [
            (k, v)
            for k, v in ((Identity.Kind.EMAIL, person.email), (Identity.Kind.PHONE, person.phone))
            if v
        ]
        match = next((known[k] for k in keys if k in known), None)
        if match is None:
            citizen = Citizen(**{name: getattr(person, name) for name in _FIELDS})
            created.append(citizen)
        else:
            citizen = match
            for name in _FIELDS:
                value = getattr(person, name)
                if value and not getattr(citizen, name):
                    setattr(citizen, name, value)
                    if citizen.pk is not None:
                        changed[citizen.pk] = citizen
        for key in keys:
            known.setdefault(key, citizen)
        result.append(citizen)
    if created:
        Citizen.objects.bulk_create(created)
    if changed:
        Citizen.objects.bulk_update(list(changed.values()), list(_FIELDS))
    _link_handles(people, result, by_handle)
    return result


def _handles(people: Sequence[Details]) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for p in people:
        if p.email:
            out.add((Identity.Kind.EMAIL, p.email))
        if p.phone:
            out.add((Identity.Kind.PHONE, p.phone))
    return out


def _link_handles(
    people: Sequence[Details], citizens: list[Citizen], found: dict[tuple[str, str], Identity]
) -> None:
    """Make each given email and phone an identity of its citizen."""
    owner: dict[tuple[str, str], Citizen] = {}
    for person, citizen in zip(people, citizens, strict=True):
        handles: tuple[tuple[str, str], ...] = (
            (Identity.Kind.EMAIL, person.email),
            (Identity.Kind.PHONE, person.phone),
        )
        for key in handles:
            if key[1]:
                owner.setdefault(key, citizen)
    missing = [key for key in owner if key not in found]
    if missing:
        Identity.objects.bulk_create(
            [Identity(kind=k, value=v, citizen=owner[(k, v)]) for k, v in missing],
            ignore_conflicts=True,  # a concurrent batch may create the same handle
        )
        found.update(identities_by_handle(set(missing)))
    relink = []
    for key, owner_citizen in owner.items():
        identity = found[key]
        if identity.citizen_id != owner_citizen.pk:
            identity.citizen = owner_citizen
            relink.append(identity)
    if relink:
        Identity.objects.bulk_update(relink, ["citizen"])


def identities_by_handle(
    keys: set[tuple[str, str]], *, with_citizen: bool = False
) -> dict[tuple[str, str], Identity]:
    """The stored identities among `(kind, value)` pairs, keyed by pair: one query on the
    `(kind, value)` index with two IN lists (far cheaper to build and plan than an OR of pairs),
    the few cross-matches dropped here."""
    if not keys:
        return {}
    queryset = Identity.objects.filter(
        kind__in={k for k, _ in keys}, value__in={v for _, v in keys}
    )
    if with_citizen:
        queryset = queryset.select_related("citizen")
    return {(i.kind, i.value): i for i in queryset if (i.kind, i.value) in keys}


def live_citizen(citizen: Citizen) -> Citizen:
    """Follow `merged_into` to the record that is kept."""
    seen: set[int] = set()
    while citizen.merged_into_id is not None and citizen.pk not in seen:
        seen.add(citizen.pk)
        citizen = Citizen.objects.get(pk=citizen.merged_into_id)
    return citizen
