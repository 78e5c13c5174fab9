"""The demo city's people: names, phone numbers, email addresses and fiscal codes.

Everything is fake. Names are Faker it_IT first and last names combined at random; phone numbers
are random Italian mobile and Milan landline numbers; email addresses are on the example.org /
example.com / example.net domains reserved for documentation; fiscal codes are computed from the
fake name and birth date (valid check character, so the intake's validation accepts them).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

import numpy as np
from codicefiscale import codicefiscale
from faker import Faker

from ascolto.demo.seed import ascii_slug
from ascolto.demo.timeline import BoolArray, IntArray

EMAIL_DOMAINS = ("example.org", "example.com", "example.net", "posta.example.org")
BIRTHPLACES = (
    ("Milano", 0.68),
    ("Napoli", 0.06),
    ("Roma", 0.04),
    ("Palermo", 0.04),
    ("Bari", 0.03),
    ("Torino", 0.03),
    ("Bergamo", 0.03),
    ("Monza", 0.03),
    ("Brescia", 0.03),
    ("Genova", 0.03),
)


@dataclass(frozen=True)
class Names:
    """Pools of first and last names drawn once from a seeded Faker (a Faker call per person
    would cost seconds at a million people)."""

    male: list[str]
    female: list[str]
    last: list[str]

    @classmethod
    def build(cls, fake: Faker) -> Names:
        # dict.fromkeys keeps the order of first appearance: a set's order changes between runs.
        male = list(dict.fromkeys(fake.first_name_male() for _ in range(3000)))
        female = list(dict.fromkeys(fake.first_name_female() for _ in range(3000)))
        last = list(dict.fromkeys(fake.last_name() for _ in range(8000)))
        return cls(male, female, last)


@dataclass
class People:
    """n people as parallel arrays; names are indices into a `Names` pool."""

    names: Names
    female: BoolArray
    first: IntArray
    last: IntArray

    @classmethod
    def draw(cls, names: Names, n: int, rng: np.random.Generator) -> People:
        female = rng.random(n) < 0.54
        first = np.where(
            female,
            rng.integers(0, len(names.female), n),
            rng.integers(0, len(names.male), n),
        ).astype(np.int64)
        last = rng.integers(0, len(names.last), n).astype(np.int64)
        return cls(names, female, first, last)

    def first_name(self, i: int) -> str:
        pool = self.names.female if self.female[i] else self.names.male
        return pool[int(self.first[i])]

    def last_name(self, i: int) -> str:
        return self.names.last[int(self.last[i])]

    def full_name(self, i: int) -> str:
        return f"{self.first_name(i)} {self.last_name(i)}"


def phone_numbers(n: int, rng: np.random.Generator, landline_share: float = 0.15) -> list[str]:
    """n distinct numbers in E.164: Italian mobiles (+39 3xx) and Milan landlines (+39 02)."""
    values: IntArray = np.empty(0, dtype=np.int64)
    while len(values) < n:
        need = int((n - len(values)) * 1.1) + 16
        mobile = rng.integers(3_200_000_000, 3_999_999_999, need)
        landline = rng.integers(10_000_000, 99_999_999, need)  # after the "02" prefix
        pick = rng.random(need) < landline_share
        drawn = np.where(pick, -landline, mobile)  # landlines negative to keep them apart
        values = np.concatenate([values, drawn])
        _, first = np.unique(values, return_index=True)
        values = values[np.sort(first)]  # distinct, in order of drawing
    return [
        f"+3902{-v}" if v < 0 else f"+39{v}"  # -12345678 -> +390212345678
        for v in values[:n].tolist()
    ]


def email_address(first: str, last: str, rnd: random.Random, taken: set[str]) -> str:
    """A lower-case address on a reserved example domain, unique within `taken`."""
    domain = rnd.choice(EMAIL_DOMAINS)
    f, l_ = ascii_slug(first) or "utente", ascii_slug(last) or "demo"
    shapes = (f"{f}.{l_}", f"{f[0]}{l_}", f"{f}{l_}", f"{l_}.{f}")
    local = rnd.choice(shapes)
    address = f"{local}@{domain}"
    n = 0
    while address in taken:
        n += 1
        address = f"{local}{rnd.randint(1, 99) if n < 3 else n}@{domain}"
    taken.add(address)
    return address


class FiscalCodes:
    """Valid, distinct fiscal codes from fake personal data.

    `codicefiscale.encode` takes milliseconds (it looks the birthplace up every time); the parts
    are computed here with the library's own encoders, cached per name and place, so a hundred
    thousand codes take a second.
    """

    def __init__(self) -> None:
        self._last: dict[str, str] = {}
        self._first: dict[str, str] = {}
        self._place: dict[str, str] = {}
        self.taken: set[str] = set()

    def make(self, first: str, last: str, female: bool, born: date, place: str) -> str:
        """The code, or '' when it is already taken (two fake people with the same name born
        on the same day in the same town: rare, and a citizen may have no code)."""
        last_code = self._last.get(last)
        if last_code is None:
            last_code = self._last[last] = codicefiscale.encode_lastname(last)
        first_code = self._first.get(first)
        if first_code is None:
            first_code = self._first[first] = codicefiscale.encode_firstname(first)
        place_code = self._place.get(place)
        if place_code is None:
            place_code = self._place[place] = codicefiscale.encode_birthplace(place) or "F205"
        month = "ABCDEHLMPRST"[born.month - 1]
        day = born.day + (40 if female else 0)
        body = f"{last_code}{first_code}{born.year % 100:02d}{month}{day:02d}{place_code}"
        code = body + codicefiscale.encode_cin(body)
        if code in self.taken:
            return ""
        self.taken.add(code)
        return code


def birth_dates(n: int, rng: np.random.Generator, year: int) -> list[date]:
    """Adults from 18 to 92, most of them between 30 and 70."""
    ages = np.clip(rng.normal(50, 15, n), 18, 92).astype(np.int64)
    days = rng.integers(0, 365, n)
    return [
        date.fromordinal(date(year - int(a), 1, 1).toordinal() + int(d))
        for a, d in zip(ages.tolist(), days.tolist(), strict=True)
    ]


def birthplaces(n: int, rng: np.random.Generator) -> list[str]:
    places = [p for p, _ in BIRTHPLACES]
    weights = np.array([w for _, w in BIRTHPLACES])
    picks = rng.choice(len(places), n, p=weights / weights.sum())
    return [places[i] for i in picks.tolist()]


def social_handles(n: int, rng: np.random.Generator, digits: int) -> list[str]:
    """n distinct numeric ids as Meta gives them (page- or app-scoped, `digits` long)."""
    low, high = 10 ** (digits - 1), 10**digits - 1
    values = np.unique(rng.integers(low, high, int(n * 1.05) + 16))
    rng.shuffle(values)
    return [str(v) for v in values[:n].tolist()]
