"""Who the contacts are: people, their identities (phone, email) and the citizen records.

One person may call 020202 and write through Scrivi: the phone and the email identities then
point to the same citizen, as `find_or_create_citizen` links them when the web form carries the
phone number. Identities are created at the first contact and last seen at the last one, as
`resolve_identity` records them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from ascolto.citizens.models import Citizen, Identity
from ascolto.demo.plan import WEB_FROM_CALLERS, Calls, Web
from ascolto.demo.population import (
    FiscalCodes,
    Names,
    People,
    birth_dates,
    birthplaces,
    email_address,
    phone_numbers,
)
from ascolto.demo.timeline import BoolArray, IntArray, to_datetime
from ascolto.demo.writer import Ids, Sink

IDENTIFIED_CALLERS = 0.35  # callers whose name the operator recorded: they become citizens
WITH_FISCAL_CODE = 0.45  # citizens who gave their fiscal code
EMAILS_FROM_WRITERS = 0.3  # mailbox writers who also used Scrivi (same address)


@dataclass
class Registry:
    people: People
    callers: int
    web_person: IntArray  # web plan's person -> global person
    email_person: IntArray  # email plan's person -> global person
    phone_identity: IntArray  # global person -> identity id (-1: none)
    email_identity: IntArray
    citizen: IntArray  # global person -> citizen id (-1: none)
    emails: dict[int, str]
    numbers: list[str]  # caller -> phone number (E.164)
    email_last: dict[int, int]  # email identity id -> last contact in the plans

    def later_seen(self, seen: dict[int, int]) -> list[tuple[datetime, int]]:
        """(last_seen_at, id) of the email identities whose citizen wrote again, on a case's
        thread, after their last planned contact."""
        return [
            (to_datetime(at), pk)
            for pk, at in seen.items()
            if pk in self.email_last and at > self.email_last[pk]
        ]

    def female(self, person: int) -> bool:
        return bool(self.people.female[person])

    def phone_number(self, person: int) -> str:
        return self.numbers[person]

    def citizen_id(self, person: int) -> int | None:
        value = int(self.citizen[person])
        return value if value >= 0 else None


def build_registry(
    calls: Calls,
    web: Web,
    emails: Web,
    names: Names,
    rng: np.random.Generator,
    rnd: random.Random,
    ids: Ids,
    sink: Sink,
    year: int,
) -> Registry:
    """Draw the people behind the plans and write their identities and citizen records."""
    callers = calls.persons
    shared = min(int(round(web.persons * WEB_FROM_CALLERS)), callers)
    web_person = np.empty(web.persons, dtype=np.int64)
    order = rng.permutation(web.persons)
    web_person[order[:shared]] = rng.choice(callers, shared, replace=False)
    web_person[order[shared:]] = callers + np.arange(web.persons - shared)
    total = callers + web.persons - shared

    reused = min(int(round(emails.persons * EMAILS_FROM_WRITERS)), web.persons)
    email_person = np.empty(emails.persons, dtype=np.int64)
    order = rng.permutation(emails.persons)
    email_person[order[:reused]] = rng.choice(np.unique(web_person), reused, replace=False)
    email_person[order[reused:]] = total + np.arange(emails.persons - reused)
    total += emails.persons - reused

    people = People.draw(names, total, rng)
    has_email = np.zeros(total, dtype=np.bool_)
    has_email[web_person] = True
    has_email[email_person] = True
    is_citizen = has_email.copy()
    is_citizen[:callers] |= rng.random(callers) < IDENTIFIED_CALLERS

    # First and last contact of each person on each handle.
    big = np.iinfo(np.int64).max
    phone_first = np.full(total, big, dtype=np.int64)
    phone_last = np.zeros(total, dtype=np.int64)
    np.minimum.at(phone_first, calls.person, calls.at)
    np.maximum.at(phone_last, calls.person, calls.at)
    mail_first = np.full(total, big, dtype=np.int64)
    mail_last = np.zeros(total, dtype=np.int64)
    for plan, mapping in ((web, web_person), (emails, email_person)):
        np.minimum.at(mail_first, mapping[plan.person], plan.at)
        np.maximum.at(mail_last, mapping[plan.person], plan.at)
    first_seen = np.minimum(phone_first, mail_first)

    citizen = np.full(total, -1, dtype=np.int64)
    citizen_rows = np.flatnonzero(is_citizen)
    citizen[citizen_rows] = ids.take(Citizen, len(citizen_rows)) + np.arange(len(citizen_rows))
    phone_identity = np.full(total, -1, dtype=np.int64)
    phone_identity[:callers] = ids.take(Identity, callers) + np.arange(callers)
    email_rows = np.flatnonzero(has_email)
    email_identity = np.full(total, -1, dtype=np.int64)
    email_identity[email_rows] = ids.take(Identity, len(email_rows)) + np.arange(len(email_rows))

    numbers = phone_numbers(callers, rng)
    taken: set[str] = set()
    addresses = {
        int(p): email_address(people.first_name(p), people.last_name(p), rnd, taken)
        for p in email_rows.tolist()
    }
    _write_citizens(
        people, citizen_rows, citizen, has_email, numbers, addresses, first_seen, callers, rng,
        sink, year,
    )  # fmt: skip
    for p in range(callers):
        sink.values(
            Identity,
            id=int(phone_identity[p]),
            kind=Identity.Kind.PHONE,
            value=numbers[p],
            display_name="",
            citizen_id=_or_none(citizen[p]),
            created_at=to_datetime(int(phone_first[p])),
            last_seen_at=to_datetime(int(phone_last[p])),
        )
        sink.maybe_flush()
    for p in email_rows.tolist():
        sink.values(
            Identity,
            id=int(email_identity[p]),
            kind=Identity.Kind.EMAIL,
            value=addresses[p],
            display_name=people.full_name(p),
            citizen_id=_or_none(citizen[p]),
            created_at=to_datetime(int(mail_first[p])),
            last_seen_at=to_datetime(int(mail_last[p])),
        )
        sink.maybe_flush()
    sink.flush()
    email_last = {int(email_identity[p]): int(mail_last[p]) for p in email_rows.tolist()}
    return Registry(
        people, callers, web_person, email_person, phone_identity, email_identity, citizen,
        addresses, numbers, email_last,
    )  # fmt: skip


def _write_citizens(
    people: People,
    rows: IntArray,
    citizen: IntArray,
    has_email: BoolArray,
    numbers: list[str],
    addresses: dict[int, str],
    first_seen: IntArray,
    callers: int,
    rng: np.random.Generator,
    sink: Sink,
    year: int,
) -> None:
    codes = FiscalCodes()
    with_code = rng.random(len(rows)) < WITH_FISCAL_CODE
    born = birth_dates(len(rows), rng, year)
    places = birthplaces(len(rows), rng)
    for j, p in enumerate(rows.tolist()):
        first, last = people.first_name(p), people.last_name(p)
        fiscal = ""
        if with_code[j]:
            fiscal = codes.make(first, last, bool(people.female[p]), born[j], places[j])
        sink.values(
            Citizen,
            id=int(citizen[p]),
            first_name=first,
            last_name=last,
            fiscal_code=fiscal,
            email=addresses.get(p, "") if has_email[p] else "",
            phone=numbers[p] if p < callers else "",
            created_at=to_datetime(int(first_seen[p])),
            merged_into_id=None,
        )
        sink.maybe_flush()


def _or_none(value: np.int64) -> int | None:
    return int(value) if value >= 0 else None
