"""The password policy (at least 12 characters, not a common or breached password, not like the
user's own name or email, no composition rules) and the signed-in user's password change."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from tests import personas
from tests.signin import FAST_HASHERS, PASSWORD, sign_in, with_password

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast(settings: Any) -> None:
    settings.PASSWORD_HASHERS = FAST_HASHERS


def _refusal(password: str, user: Any) -> str:
    with pytest.raises(ValidationError) as refused:
        validate_password(password, user)
    return " ".join(refused.value.messages)


def test_the_password_policy_asks_for_length_not_composition(cast: personas.Cast) -> None:
    user = cast.operator
    assert "troppo corta" in _refusal("corta-1A!", user)
    assert "almeno 12 caratteri" in _refusal("undicicarat", user)
    assert "troppo comune" in _refusal("qwerty123456", user)  # in the shipped breached list
    assert "troppo simile" in _refusal("giulia@comune.example.it", user)
    # Lower-case words and spaces only: long, uncommon, accepted.
    validate_password("il tram delle sette e un quarto", user)
    validate_password("dodicilettere", user)


def test_a_signed_in_user_changes_the_password_and_the_other_sessions_end(
    cast: personas.Cast,
) -> None:
    with_password(cast.operator)
    here, elsewhere = Client(), Client()
    assert sign_in(here, "giulia").status_code == 302
    assert sign_in(elsewhere, "giulia").status_code == 302
    url = reverse("console:password-change")

    short = here.post(
        url, {"old_password": PASSWORD, "new_password1": "breve", "new_password2": "breve"}
    )
    assert short.status_code == 200
    assert "troppo corta" in short.content.decode()
    wrong_old = here.post(
        url,
        {
            "old_password": "non è questa",
            "new_password1": "il tram delle sette e un quarto",
            "new_password2": "il tram delle sette e un quarto",
        },
    )
    assert "password attuale non è stata inserita correttamente" in wrong_old.content.decode()

    changed = here.post(
        url,
        {
            "old_password": PASSWORD,
            "new_password1": "il tram delle sette e un quarto",
            "new_password2": "il tram delle sette e un quarto",
        },
    )
    assert changed.status_code == 302
    assert changed["Location"] == reverse("console:account")
    assert here.get("/console/inbox/").status_code == 200
    assert elsewhere.get("/console/inbox/").status_code == 302
    cast.operator.refresh_from_db()
    assert cast.operator.check_password("il tram delle sette e un quarto")


def test_the_account_page_shows_the_second_factor_and_the_session_controls(
    cast: personas.Cast,
) -> None:
    client = Client()
    client.force_login(cast.supervisor)
    page = client.get(reverse("console:account")).content.decode()
    assert "Crea nuovi codici di recupero" in page
    assert reverse("console:password-change") in page
    assert reverse("console:sign-out-everywhere") in page
    # The console's header links the signed-in user's name to this page.
    assert reverse("console:account") in client.get("/console/overview/").content.decode()
