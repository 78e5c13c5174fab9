"""Italian first, English available: the English catalogue translates every string the code and
templates mark (extracted as `make messages` does) and is compiled, and the pages switch language
with the browser's preference or the selector."""

from __future__ import annotations

import ast
import gettext
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings

from tests import personas

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES"


@dataclass(frozen=True)
class Entry:
    """One message of a .po file: its key (context, msgid), its translations, its fuzzy flag."""

    key: tuple[str, str]
    translations: tuple[str, ...]
    fuzzy: bool


def po_entries(path: Path) -> dict[tuple[str, str], Entry]:
    """Every live entry of a .po file (header and obsolete `#~` entries excluded), keyed by
    (msgctxt, msgid), with continuation lines joined."""
    entries: dict[tuple[str, str], Entry] = {}
    fields: dict[str, list[str]] = {}
    flags: set[str] = set()
    last: str | None = None

    def close() -> None:
        msgid = "".join(fields.get("msgid", []))
        if msgid:
            key = ("".join(fields.get("msgctxt", [])), msgid)
            translations = tuple(
                "".join(parts) for name, parts in fields.items() if name.startswith("msgstr")
            )
            entries[key] = Entry(key, translations, "fuzzy" in flags)
        fields.clear()
        flags.clear()

    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if line.startswith('"') and last is not None:
            fields[last].append(ast.literal_eval(line))
            continue
        last = None
        if any(name.startswith("msgstr") for name in fields) and not line.startswith("msgstr"):
            close()
        if line.startswith("#,"):
            flags.update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith(("msgctxt ", "msgid", "msgstr")):
            last, _, rest = line.partition(" ")
            fields[last] = [ast.literal_eval(rest)]
    return entries


def makemessages_ignores() -> list[str]:
    """The `-i` patterns of the Makefile's `messages` target, so the test extracts what
    `make messages` extracts."""
    makefile = (Path(settings.BASE_DIR).parents[1] / "Makefile").read_text(encoding="utf-8")
    command = next(line for line in makefile.splitlines() if "makemessages" in line)
    return re.findall(r'-i "([^"]+)"', command)


def extracted_catalogue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run `makemessages -l en` as `make messages` does, on a copy of the source tree whose
    locale directory holds a copy of the committed catalogue: the committed files stay untouched,
    and the result is what `make messages` would leave (new strings untranslated, strings that
    resemble an old one fuzzy)."""
    source = Path(settings.BASE_DIR)
    tree = tmp_path / "ascolto"
    shutil.copytree(
        source,
        tree,
        ignore=shutil.ignore_patterns("__pycache__", "locale", "vendor", "node_modules"),
    )
    (tree / "locale" / "en" / "LC_MESSAGES").mkdir(parents=True)
    shutil.copy(CATALOGUE / "django.po", tree / "locale" / "en" / "LC_MESSAGES" / "django.po")
    monkeypatch.chdir(tree)
    with override_settings(LOCALE_PATHS=[]):
        call_command(
            "makemessages",
            locale=["en"],
            no_obsolete=True,
            ignore_patterns=makemessages_ignores(),
            verbosity=0,
        )
    return tree / "locale" / "en" / "LC_MESSAGES" / "django.po"


def test_the_english_catalogue_translates_every_string_of_the_code_and_templates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    committed = po_entries(CATALOGUE / "django.po")
    extracted = po_entries(extracted_catalogue(tmp_path, monkeypatch))
    assert extracted, "makemessages extracted nothing: is the source tree where it should be?"
    missing = sorted(msgid for context, msgid in extracted if (context, msgid) not in committed)
    untranslated = sorted(
        entry.key[1]
        for entry in extracted.values()
        if entry.key in committed and not all(entry.translations)
    )
    fuzzy = sorted(entry.key[1] for entry in extracted.values() if entry.fuzzy)
    assert (missing, untranslated, fuzzy) == ([], [], []), (
        "run `make messages` and translate in the English catalogue:\n"
        f"  not in the catalogue: {missing}\n"
        f"  translated empty: {untranslated}\n"
        f"  fuzzy: {fuzzy}"
    )


def test_the_compiled_english_catalogue_holds_every_entry_of_the_po() -> None:
    with (CATALOGUE / "django.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    catalog: dict[object, str] = compiled._catalog  # type: ignore[attr-defined]
    singular = {key for key in catalog if isinstance(key, str)}
    plural = {key[0] for key in catalog if isinstance(key, tuple)}
    context = {key.split("\x04", 1)[1] for key in singular if "\x04" in key}
    po_msgids = {msgid for _, msgid in po_entries(CATALOGUE / "django.po")}
    missing = sorted(po_msgids - singular - plural - context)
    assert missing == [], f"run `make messages` (it compiles) and translate: {missing[:10]}"
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
