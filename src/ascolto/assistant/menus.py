"""The life of a menu's versions: a draft copied from a version, checked, then published.

The console's editor (and the demo's loader) call these; the engine reads only published
versions (and the retired version a session in progress started on).

- `new_menu(code, name, user)`: a menu with an empty draft (version 1);
- `draft_from(version, user)`: a new draft, a deep copy of `version` (nodes keep their `key`);
  the menu's existing draft is returned instead when there is one;
- `validate(version)`: the problems that forbid publishing, as `Problem`s (empty: publishable);
- `publish(draft, user)`: the draft becomes the published version, the previous one retired
  (sessions started on it keep it until they return to the top menu);
- `FIELD_TYPES`, `MAX_ROWS`, `MAX_BUTTONS`: what a form field may be, WhatsApp's limits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from ascolto.assistant.models import Menu, MenuNode, MenuVersion
from ascolto.core.errors import InvalidInput

MAX_ROWS = 10  # a WhatsApp list
MAX_BUTTONS = 3  # WhatsApp reply buttons
MAX_ROW_TITLE = 24  # a list row's title on WhatsApp; longer labels go in its description
FIELD_TYPES = ("text", "email", "phone", "number", "date", "choice")
LETTER = re.compile(r"^[A-Z0-9]{1,2}$")
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass(frozen=True)
class Problem:
    """Why a version cannot be published: the node (None for the version) and the message."""

    node: MenuNode | None
    message: str

    def __str__(self) -> str:
        return f"{self.node}: {self.message}" if self.node is not None else self.message


def new_menu(code: str, name: str, user: Any = None, *, greeting: str = "") -> MenuVersion:
    """Create the menu `code` with an empty draft, version 1; return the draft."""
    with transaction.atomic():
        menu = Menu.objects.create(code=code, name=name)
        return MenuVersion.objects.create(
            menu=menu, number=1, greeting=greeting, created_by=_user(user)
        )


def draft_from(version: MenuVersion, user: Any = None) -> MenuVersion:
    """A draft copied from `version` (its greeting and every node, same keys, same tree); the
    menu's existing draft when it already has one (one draft at a time)."""
    with transaction.atomic():
        Menu.objects.select_for_update().get(pk=version.menu_id)
        existing = version.menu.versions.filter(status=MenuVersion.Status.DRAFT).first()
        if existing is not None:
            return existing
        number = (version.menu.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        draft = MenuVersion.objects.create(
            menu=version.menu, number=number, greeting=version.greeting, created_by=_user(user)
        )
        copies: dict[int, MenuNode] = {}
        nodes = list(version.nodes.order_by("parent_id", "position", "pk"))
        # Parents before children: walk by depth.
        pending = [n for n in nodes if n.parent_id is None]
        by_parent: dict[int | None, list[MenuNode]] = {}
        for node in nodes:
            by_parent.setdefault(node.parent_id, []).append(node)
        while pending:
            node = pending.pop(0)
            old_pk = node.pk
            parent = copies[node.parent_id] if node.parent_id is not None else None
            node.pk = None
            node.id = None
            node.version = draft
            node.parent = parent
            node.save(force_insert=True)
            copies[old_pk] = node
            pending.extend(by_parent.get(old_pk, []))
        return draft


def validate(version: MenuVersion) -> list[Problem]:
    """What forbids publishing `version`: letters unique among siblings, at most MAX_ROWS
    entries in a list, labels and texts where needed, a card's article or text, a link's url, a
    form's fields well formed, a hand-off's target."""
    problems: list[Problem] = []
    nodes = list(version.nodes.select_related("article"))
    if not any(n.parent_id is None for n in nodes):
        problems.append(Problem(None, _("Il menu principale non ha voci.")))
    siblings: dict[int | None, list[MenuNode]] = {}
    for node in nodes:
        siblings.setdefault(node.parent_id, []).append(node)
    for parent_id, group in siblings.items():
        letters = [n.letter for n in group]
        for letter in {x for x in letters if letters.count(x) > 1}:
            first = next(n for n in group if n.letter == letter)
            problems.append(
                Problem(first, _("La lettera «%(letter)s» è usata due volte.") % {"letter": letter})
            )
        if parent_id is not None and len(group) > 26:
            problems.append(Problem(group[0], _("Un sottomenu ha al più 26 voci.")))
    for node in nodes:
        problems.extend(_node_problems(node, siblings.get(node.pk, [])))
    return problems


def _node_problems(node: MenuNode, children: list[MenuNode]) -> list[Problem]:
    found: list[str] = []
    if not LETTER.match(node.letter or ""):
        found.append(_("La lettera è una o due lettere maiuscole o cifre."))
    if not node.label.strip():
        found.append(_("Manca l'etichetta."))
    kind = node.kind
    if kind == MenuNode.Kind.SUBMENU and not children:
        found.append(_("Un sottomenu ha almeno una voce."))
    if kind != MenuNode.Kind.SUBMENU and children:
        found.append(_("Solo un sottomenu ha voci sotto di sé."))
    if kind == MenuNode.Kind.CARD and node.article is None and not node.text.strip():
        found.append(_("Una scheda mostra un articolo o un testo."))
    if kind == MenuNode.Kind.LINK and not node.url:
        found.append(_("Un collegamento ha un indirizzo."))
    if kind == MenuNode.Kind.FORM:
        found.extend(form_problems(node.fields))
    if kind == MenuNode.Kind.HANDOFF:
        if node.handoff not in MenuNode.Handoff.values:
            found.append(_("Scegliere a chi passa la conversazione."))
        elif node.handoff == MenuNode.Handoff.SCRIVI and not node.url:
            found.append(_("Il passaggio a Scrivi ha il collegamento alla pagina."))
        elif node.handoff == MenuNode.Handoff.PHONE and not node.phone.strip():
            found.append(_("Il passaggio al numero di contatto ha il numero."))
    return [Problem(node, message) for message in found]


def form_problems(fields: Any) -> list[str]:
    """What is wrong with a form's `fields` (a list of {name, label, type, required,
    validation, choices}); empty when they are well formed."""
    if not isinstance(fields, list) or not fields:
        return [_("Un modulo ha almeno un campo.")]
    problems: list[str] = []
    names = []
    for field in fields:
        if not isinstance(field, dict):
            problems.append(_("Un campo del modulo non è valido."))
            continue
        name = str(field.get("name") or "")
        names.append(name)
        if not FIELD_NAME.match(name):
            problems.append(
                _("Il nome del campo «%(name)s» è fatto di lettere minuscole, cifre e _.")
                % {"name": name}
            )
        if not str(field.get("label") or "").strip():
            problems.append(_("Il campo «%(name)s» non ha una domanda.") % {"name": name})
        kind = field.get("type", "text")
        if kind not in FIELD_TYPES:
            problems.append(
                _("Il campo «%(name)s» ha un tipo sconosciuto: %(type)s.")
                % {"name": name, "type": kind}
            )
        if kind == "choice" and not (
            isinstance(field.get("choices"), list) and 1 <= len(field["choices"]) <= MAX_ROWS
        ):
            problems.append(
                _("Il campo «%(name)s» ha da 1 a %(max)d scelte.") % {"name": name, "max": MAX_ROWS}
            )
        pattern = field.get("validation")
        if pattern:
            try:
                re.compile(str(pattern))
            except re.error:
                problems.append(
                    _("La validazione del campo «%(name)s» non è un'espressione valida.")
                    % {"name": name}
                )
    if len(set(names)) != len(names):
        problems.append(_("Due campi del modulo hanno lo stesso nome."))
    return problems


def publish(draft: MenuVersion, user: Any = None) -> MenuVersion:
    """Publish `draft` (refused with the first problem when `validate` finds any): the menu's
    published version is retired (sessions on it keep it until they go back to the top menu)."""
    with transaction.atomic():
        Menu.objects.select_for_update().get(pk=draft.menu_id)
        draft.refresh_from_db()
        if draft.status != MenuVersion.Status.DRAFT:
            raise InvalidInput(_("Si pubblica solo una bozza."), field="status")
        problems = validate(draft)
        if problems:
            raise InvalidInput(str(problems[0]), field="nodes")
        MenuVersion.objects.filter(
            menu_id=draft.menu_id, status=MenuVersion.Status.PUBLISHED
        ).update(status=MenuVersion.Status.RETIRED)
        draft.status = MenuVersion.Status.PUBLISHED
        draft.published_at = timezone.now()
        draft.published_by = _user(user)
        draft.save(update_fields=["status", "published_at", "published_by"])
        return draft


def _user(user: Any) -> Any:
    return user if user is not None and getattr(user, "is_authenticated", False) else None
