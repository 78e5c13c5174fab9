"""Public tracking codes: random, readable on the phone, forgiving when typed back."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ascolto.tickets.codes import ALPHABET, is_code, new_code, normalise_code
from ascolto.tickets.models import Ticket
from tests import factories, personas

SHAPE = re.compile(
    r"^[0-9ABCDEFGHJKMNPQRSTVWXYZ]{4}-[0-9ABCDEFGHJKMNPQRSTVWXYZ]{4}-[0-9ABCDEFGHJKMNPQRSTVWXYZ]{4}$"
)


def test_the_alphabet_is_crockfords() -> None:
    assert ALPHABET == "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    assert len(set(ALPHABET)) == 32
    assert not set("ILOU") & set(ALPHABET)


def test_codes_have_the_shape_and_are_random() -> None:
    codes = [new_code() for _ in range(5000)]

    assert all(SHAPE.match(code) for code in codes)
    assert all(is_code(code) for code in codes)
    assert len(set(codes)) == 5000
    # Every character of the alphabet turns up in every position: nothing is fixed.
    for position in range(14):
        if position in (4, 9):
            continue
        assert {code[position] for code in codes} == set(ALPHABET)


@pytest.mark.django_db
def test_every_case_gets_a_unique_code(cast: personas.Cast) -> None:
    for n in range(60):
        factories.submit_scrivi(f"Richiesta numero {n}", email=f"c{n}@example.it")

    codes = list(Ticket.objects.values_list("code", flat=True))
    assert len(codes) == 60
    assert len(set(codes)) == 60
    assert all(SHAPE.match(code) for code in codes)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("K7Q2-9XHD-3FPA", "K7Q2-9XHD-3FPA"),
        ("k7q2-9xhd-3fpa", "K7Q2-9XHD-3FPA"),
        ("k7q29xhd3fpa", "K7Q2-9XHD-3FPA"),
        (" K7Q2 9XHD 3FPA ", "K7Q2-9XHD-3FPA"),
        ("O0O0-OOOO-0000", "0000-0000-0000"),
        ("1IL1-iLlo-0000", "1111-1110-0000"),
    ],
)
def test_a_code_is_read_as_a_citizen_types_it(typed: str, code: str) -> None:
    assert normalise_code(typed) == code
    assert is_code(normalise_code(typed))


@pytest.mark.parametrize(
    "typed", ["", "K7Q2-9XHD", "K7Q2-9XHD-3FPAX", "K7Q2-9XHD-3FP!", "U7Q2-9XHD-3FPA"]
)
def test_what_is_not_a_code_is_recognised(typed: str) -> None:
    assert not is_code(normalise_code(typed))


@given(st.text(max_size=30))
def test_normalising_never_fails_and_is_stable(typed: str) -> None:
    once = normalise_code(typed)
    assert normalise_code(once) == once


@given(st.text(alphabet=ALPHABET, min_size=12, max_size=12))
def test_any_twelve_alphabet_characters_read_back_as_a_code(chars: str) -> None:
    code = normalise_code(chars.lower())
    assert is_code(code)
    assert code.replace("-", "") == chars
