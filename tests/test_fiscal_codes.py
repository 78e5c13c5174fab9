"""The fiscal code check (`citizens.handles.fiscal_code_ok`) against python-codicefiscale's own
codes: every code it makes is accepted, with its omocodia variants; a changed check character,
an impossible day or a broken shape is refused."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from codicefiscale import codicefiscale

from ascolto.citizens.handles import fiscal_code_ok, normalise_fiscal_code
from ascolto.core.errors import InvalidInput

PLACES = ["Milano", "Roma", "Napoli", "Palermo", "Bolzano", "Aosta", "Francia", "Argentina"]
NAMES = [("Rossi", "Maria"), ("De Luca", "Nicolò"), ("Xu", "Li"), ("Bianchi", "Giovanni")]


def _codes(count: int) -> list[str]:
    chosen = random.Random(19)
    codes = []
    for _ in range(count):
        last, first = chosen.choice(NAMES)
        born = date(1925, 1, 1) + timedelta(days=chosen.randrange(365 * 99))
        codes.append(
            codicefiscale.encode(
                lastname=last,
                firstname=first,
                gender=chosen.choice("MF"),
                birthdate=born.strftime("%d/%m/%Y"),
                birthplace=chosen.choice(PLACES),
            )
        )
    return codes


def test_every_code_the_library_makes_is_accepted_with_its_variants() -> None:
    codes = _codes(200)
    assert all(fiscal_code_ok(code) for code in codes)
    for code in codes[:10]:  # each decode reads the library's tables: a few suffice
        variants = codicefiscale.decode(code)["omocodes"]
        assert len(variants) > 1 and all(fiscal_code_ok(v) for v in variants), variants


def test_a_wrong_check_character_is_refused() -> None:
    for code in _codes(100):
        for other in "AKZ":
            if other != code[15]:
                assert not fiscal_code_ok(code[:15] + other)
    assert not codicefiscale.is_valid(code[:15] + other)  # the library agrees


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("RSSMRA80B30F205", "30 February"),
        ("RSSMRA81B69F205", "29 February, a woman born in 1981"),
        ("RSSMRA80C00F205", "day 0"),
        ("RSSMRA80C32F205", "day 32"),
        ("RSSMRA80F52F205", "F is no month"),
        ("RSSMR480C52F205", "a digit among the name's letters"),
    ],
)
def test_an_impossible_code_is_refused(code: str, why: str) -> None:
    total = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if fiscal_code_ok(code + c)]
    assert total == [], why  # no check character makes it a code


def test_a_leap_day_and_spaces_and_case() -> None:
    leap = codicefiscale.encode(
        lastname="Rossi", firstname="Maria", gender="F", birthdate="29/02/1980",
        birthplace="Milano",
    )  # fmt: skip
    assert fiscal_code_ok(leap)
    spaced = f" {leap[:6].lower()} {leap[6:11]} {leap[11:]} "
    assert normalise_fiscal_code(spaced) == leap
    with pytest.raises(InvalidInput, match="non è un codice fiscale valido"):
        normalise_fiscal_code(leap[:15])
