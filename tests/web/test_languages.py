"""Italian first, English available: the English catalogue is complete and compiled, and the
pages switch language with the browser's preference or the selector."""

from __future__ import annotations

import ast
import gettext
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests import personas

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES"


def po_msgids(path: Path) -> set[str]:
    """Every msgid of a .po file (header excluded), with its continuation lines joined."""
    ids: set[str] = set()
    current: list[str] | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("msgid "):
            current = [ast.literal_eval(line[len("msgid ") :])]
        elif current is not None and line.startswith('"'):
            current.append(ast.literal_eval(line))
        else:
            if current is not None and "".join(current):
                ids.add("".join(current))
            current = None
    return ids


def test_the_compiled_english_catalogue_translates_every_source_string() -> None:
    with (CATALOGUE / "django.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    catalog: dict[object, str] = compiled._catalog  # type: ignore[attr-defined]
    singular = {key for key in catalog if isinstance(key, str)}
    plural = {key[0] for key in catalog if isinstance(key, tuple)}
    missing = sorted(po_msgids(CATALOGUE / "django.po") - singular - plural)
    assert missing == [], f"run `make messages` and translate: {missing[:10]}"
    assert all(value for value in catalog.values()), "an entry compiled without a translation"


@pytest.mark.django_db
def test_the_citizen_page_speaks_italian_first_and_english_on_request(cast: personas.Cast) -> None:
    italian = Client().get("/scrivi/")
    english = Client().get("/scrivi/", HTTP_ACCEPT_LANGUAGE="en")
    assert italian.status_code == english.status_code == 200
    assert '<html lang="it">' in italian.content.decode()
    assert '<html lang="en">' in english.content.decode()
    assert "Invia la richiesta" in italian.content.decode()
    assert "Invia la richiesta" not in english.content.decode()


@pytest.mark.django_db
def test_the_console_switches_to_english_with_the_selector(cast: personas.Cast) -> None:
    client = Client()
    client.force_login(cast.operator)
    client.post("/i18n/setlang/", {"language": "en", "next": "/console/inbox/"})
    page = client.get("/console/inbox/").content.decode()
    assert '<html lang="en">' in page
    assert "Casi attivi" not in page
