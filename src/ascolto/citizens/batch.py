"""Set-based citizen resolution: find or create the citizens a batch of senders say they are.

The one implementation behind `actions.find_or_create_citizen` (a batch of one) and intake. Each
entry is a `Claim` around a `citizens.sender.Sender`, whose values are normalised as it is built.

The rule of decision 0009: a handle is *verified* when the channel proves it (a WhatsApp id, the
From of a mail to our mailbox, the line of a call, a signed-in subject) or an operator entered
it; every other handle and the fiscal code were merely typed. A verified handle that belongs to a
citizen names the sender. A typed one may find a citizen only when nothing stronger disagrees
(another name, email or fiscal code); it never moves a handle that belongs to another citizen.
Where a typed handle points to someone else, the sender gets (or keeps) their own record and the
pair goes on the operators' list of `MergeSuggestion`s, with the evidence.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ascolto.citizens.models import Citizen, Identity, MergeSuggestion
from ascolto.citizens.sender import Sender

_FIELDS = ("first_name", "last_name", "fiscal_code", "email", "phone")
FISCAL_CODE = "fiscal_code"

Key = tuple[str, str]  # (Identity.Kind value or FISCAL_CODE, normalised value)


@dataclass(frozen=True)
class Claim:
    """One sender to resolve: who they say they are (`sender`, normalised as it was built), the
    sender's own handle on the channel when it is to be linked too, the keys the channel or an
    operator vouches for (`verified`, see the module docstring), and where the claim came from
    (`source`, a channel code, recorded in the evidence of a merge suggestion)."""

    sender: Sender
    handle: Key | None = None
    verified: frozenset[Key] = field(default_factory=frozenset)
    source: str = ""

    def keys(self) -> list[Key]:
        """What may identify the sender, strongest first: the fiscal code, the sender's handle,
        the email, the phone."""
        sender = self.sender
        keys: list[Key] = [(FISCAL_CODE, sender.fiscal_code)] if sender.fiscal_code else []
        for key in (
            self.handle,
            (Identity.Kind.EMAIL, sender.email) if sender.email else None,
            (Identity.Kind.PHONE, sender.phone) if sender.phone else None,
        ):
            if key is not None and key not in keys:
                keys.append(key)
        return keys

    def all_verified(self) -> Claim:
        """This claim with every key vouched for (an operator's entry)."""
        return dataclasses.replace(self, verified=frozenset(self.keys()))


@dataclass
class _Conflict:
    """A typed key of one sender that points to a citizen other than the one their request went
    to: the pair becomes a merge suggestion."""

    citizen: Citizen
    other: Citizen
    matched: list[Key]
    disagreed: list[str]
    source: str


def find_or_create_citizens(people: Sequence[Claim]) -> list[Citizen]:
    """The citizen of each entry, in order, by the rule in the module docstring: the owner of a
    verified key; else the owner of the strongest typed key (fiscal code, handle, email, phone)
    when name, email and fiscal code agree; else a new citizen. Entries of the batch are matched
    against each other the same way. Known details fill blanks of a found citizen, never
    overwrite them (a contact detail only from a handle that becomes the citizen's); the keys the
    citizen may have become its identities; typed keys that belong to someone else stay where
    they are and the pair is suggested for a merge, once."""
    records: dict[int, Citizen] = {}  # one instance per stored citizen, so fills are not lost

    def record(citizen: Citizen) -> Citizen:
        citizen = citizen.live()
        return records.setdefault(citizen.pk, citizen)

    codes = {p.sender.fiscal_code for p in people if p.sender.fiscal_code}
    known: dict[Key, Citizen] = {}  # whose each key is: stored, then claimed within the batch
    if codes:
        for citizen in Citizen.objects.filter(fiscal_code__in=codes, merged_into=None):
            known[(FISCAL_CODE, citizen.fiscal_code)] = record(citizen)
    handles = {key for p in people for key in p.keys() if key[0] != FISCAL_CODE}
    found = identities_by_handle(handles, with_citizen=True) if handles else {}
    for key, identity in found.items():
        if identity.citizen is not None:
            known[key] = record(identity.citizen)

    result: list[Citizen] = []
    created: list[Citizen] = []
    changed: dict[int, Citizen] = {}
    claims: dict[Key, Citizen] = {}
    conflicts: list[_Conflict] = []
    for person in people:
        keys = person.keys()
        found_citizen, disagreeing = _choose(person, keys, known)
        if found_citizen is None:
            citizen = Citizen()
            created.append(citizen)
        else:
            citizen = found_citizen
        elsewhere: dict[int, _Conflict] = {}  # by id of the other citizen
        for key in keys:
            owner = known.get(key)
            if owner is None or owner is citizen or key in person.verified:
                known[key] = citizen
                if key[0] != FISCAL_CODE:
                    claims[key] = citizen
                continue
            # A typed key of someone else: it stays theirs; the pair goes on the list.
            entry = elsewhere.get(id(owner))
            if entry is None:
                disagreed = disagreeing.get(id(owner), [])
                entry = elsewhere[id(owner)] = _Conflict(
                    citizen, owner, [], disagreed, person.source
                )
            entry.matched.append(key)
        conflicts.extend(elsewhere.values())
        _fill_blanks(citizen, person, known, changed)
        result.append(citizen)
    if created:
        Citizen.objects.bulk_create(created)
    if changed:
        Citizen.objects.bulk_update(list(changed.values()), list(_FIELDS))
    _link_handles(claims, found)
    _suggest(conflicts)
    return result


def _choose(
    person: Claim, keys: list[Key], known: dict[Key, Citizen]
) -> tuple[Citizen | None, dict[int, list[str]]]:
    """The citizen `person` is (None: a new one), and what disagreed in each citizen a typed key
    matched and that was passed over (by id of the citizen)."""
    for key in keys:
        if key in person.verified and key in known:
            return known[key], {}
    disagreeing: dict[int, list[str]] = {}
    for key in keys:
        candidate = known.get(key)
        if candidate is None or id(candidate) in disagreeing:
            continue
        disagreed = _disagreements(person, candidate, known)
        if not disagreed:
            return candidate, disagreeing
        disagreeing[id(candidate)] = disagreed
    return None, disagreeing


def _disagreements(person: Claim, citizen: Citizen, known: dict[Key, Citizen]) -> list[str]:
    """The stronger identifiers of `person` that say they are not `citizen`."""
    given = person.sender
    out: list[str] = []
    if given.fiscal_code and citizen.fiscal_code and given.fiscal_code != citizen.fiscal_code:
        out.append("fiscal_code")
    if (
        given.email
        and citizen.email
        and given.email != citizen.email
        and known.get((Identity.Kind.EMAIL, given.email)) is not citizen
    ):
        out.append("email")
    if _differ(given.first_name, citizen.first_name) or _differ(given.last_name, citizen.last_name):
        out.append("name")
    return out


def _differ(given: str, stored: str) -> bool:
    """Whether two names, both given, are different (case and spacing aside)."""
    if not given or not stored:
        return False
    return " ".join(given.split()).casefold() != " ".join(stored.split()).casefold()


def _fill_blanks(
    citizen: Citizen, person: Claim, known: dict[Key, Citizen], changed: dict[int, Citizen]
) -> None:
    """Copy the details `person` gave into the blanks of `citizen`: a name always, a fiscal
    code, email or phone only when it is now the citizen's (not another citizen's)."""
    keyed = {
        "fiscal_code": FISCAL_CODE,
        "email": Identity.Kind.EMAIL,
        "phone": Identity.Kind.PHONE,
    }
    for name in _FIELDS:
        value = getattr(person.sender, name)
        if not value or getattr(citizen, name):
            continue
        kind = keyed.get(name)
        if kind is not None and known.get((kind, value)) is not citizen:
            continue
        setattr(citizen, name, value)
        if citizen.pk is not None:
            changed[citizen.pk] = citizen


def _link_handles(claims: dict[Key, Citizen], found: dict[Key, Identity]) -> None:
    """Make each claimed handle an identity of its citizen."""
    missing = [key for key in claims if key not in found]
    if missing:
        Identity.objects.bulk_create(
            [Identity(kind=k, value=v, citizen=claims[(k, v)]) for k, v in missing],
            ignore_conflicts=True,  # a concurrent batch may create the same handle
        )
        found.update(identities_by_handle(set(missing)))
    relink = []
    for key, citizen in claims.items():
        identity = found[key]
        if identity.citizen_id != citizen.pk:
            identity.citizen = citizen
            relink.append(identity)
    if relink:
        Identity.objects.bulk_update(relink, ["citizen"])


def _suggest(conflicts: list[_Conflict]) -> None:
    """One open merge suggestion per pair of `conflicts`, unless the pair was suggested before
    (open, accepted or dismissed): two queries for the whole batch."""
    evidence: dict[tuple[int, int], dict[str, Any]] = {}
    for conflict in conflicts:
        first, second = sorted((conflict.citizen.pk, conflict.other.pk))
        if first == second:
            continue
        entry = evidence.setdefault(
            (first, second),
            {
                "source": conflict.source,
                "holder": conflict.other.pk,
                "matched": [],
                "disagreed": [],
            },
        )
        for kind, value in conflict.matched:
            if {"kind": kind, "value": value} not in entry["matched"]:
                entry["matched"].append({"kind": kind, "value": value})
        for name in conflict.disagreed:
            if name not in entry["disagreed"]:
                entry["disagreed"].append(name)
    if not evidence:
        return
    seen = {
        pair
        for pair in MergeSuggestion.objects.filter(
            first_id__in={a for a, _ in evidence}, second_id__in={b for _, b in evidence}
        ).values_list("first_id", "second_id")
    }
    MergeSuggestion.objects.bulk_create(
        [
            MergeSuggestion(first_id=first, second_id=second, evidence=data)
            for (first, second), data in evidence.items()
            if (first, second) not in seen
        ],
        ignore_conflicts=True,  # a concurrent batch may have opened the same pair
    )


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
