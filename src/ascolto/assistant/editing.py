"""The editorial team's edits of a menu draft, made in the console's editor.

A draft is edited node by node; the published version and the retired ones never change (a
change is a new draft, `menus.draft_from`, then `menus.publish`). Each edit is checked before it
is written, with messages that say what is wrong and on which field, so the editor shows them
beside the field; `menus.validate` checks the whole tree again before publishing.

- `NodeInput`: what the editor submits for one node;
- `node_errors(version, values, node=, parent=)`: the problems of `values`, by field (a
  node's own rule is `menus.node_problems`, which `menus.validate` applies too; here the
  place in the tree besides);
- `add_node`, `update_node`, `move_node`, `delete_node`, `reletter`: the edits of the tree;
- `set_greeting`, `discard_draft`: the draft as a whole; `create_menu`: a new menu;
- `next_letter`: the first letter free under a parent;
- `notes(version)`: what WhatsApp will show differently from a list (a menu of more than 10
  entries goes as lettered text, a label longer than a list row is cut), not errors.
"""

from __future__ import annotations

import re
import string
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ascolto.assistant.engine import MAX_BUTTON_TITLE
from ascolto.assistant.menus import (
    LETTER,
    MAX_BUTTONS,
    MAX_ROW_TITLE,
    MAX_ROWS,
    MAX_TEXT,
    Problem,
    new_menu,
    node_problems,
)
from ascolto.assistant.models import Menu, MenuNode, MenuVersion
from ascolto.core.errors import InvalidInput
from ascolto.knowledge.models import Article

# What each kind of node keeps; the other fields are emptied when it is saved, so a node turned
# from a link into a card does not keep a link the engine might still follow.
KEEPS: dict[str, frozenset[str]] = {
    MenuNode.Kind.SUBMENU: frozenset(),
    MenuNode.Kind.CARD: frozenset({"article"}),
    MenuNode.Kind.LINK: frozenset({"url"}),
    MenuNode.Kind.FORM: frozenset({"fields", "theme_code"}),
    MenuNode.Kind.HANDOFF: frozenset({"handoff", "url", "phone", "theme_code"}),
}


@dataclass
class NodeInput:
    """One node as the editor submits it. `fields` are the form's fields, each
    `{"name", "label", "type", "required", "choices", "validation"}`."""

    letter: str
    label: str
    kind: str
    text: str = ""
    article: Article | None = None
    url: str = ""
    phone: str = ""
    handoff: str = ""
    theme_code: str = ""
    fields: list[dict[str, Any]] = field(default_factory=list)

    def cleaned(self) -> NodeInput:
        """The same input with spaces trimmed, the letter in capitals and the fields that the
        kind does not use emptied."""
        keeps = KEEPS.get(self.kind, frozenset())
        return NodeInput(
            letter=self.letter.strip().upper(),
            label=" ".join(self.label.split()),
            kind=self.kind,
            text=self.text.strip(),
            article=self.article if "article" in keeps else None,
            url=self.url.strip() if "url" in keeps else "",
            phone=self.phone.strip() if "phone" in keeps else "",
            handoff=self.handoff if "handoff" in keeps else "",
            theme_code=self.theme_code.strip() if "theme_code" in keeps else "",
            fields=[_clean_field(f) for f in self.fields] if "fields" in keeps else [],
        )


def _clean_field(raw: dict[str, Any]) -> dict[str, Any]:
    kind = str(raw.get("type") or "").strip()
    cleaned: dict[str, Any] = {
        "name": str(raw.get("name") or "").strip(),
        "label": " ".join(str(raw.get("label") or "").split()),
        "type": kind,
        "required": bool(raw.get("required")),
    }
    if kind == "choice":
        cleaned["choices"] = [
            " ".join(str(c).split()) for c in raw.get("choices") or [] if str(c).strip()
        ]
    if str(raw.get("validation") or "").strip():
        cleaned["validation"] = str(raw["validation"]).strip()
    return cleaned


def field_name(label: str) -> str:
    """A field's name made from its question: «Indirizzo email» → `indirizzo_email`."""
    folded = unicodedata.normalize("NFKD", label.lower())
    ascii_only = "".join(c for c in folded if not unicodedata.combining(c))
    words = re.findall(r"[a-z0-9]+", ascii_only)
    name = "_".join(words)[:40].strip("_")
    if name and not name[0].isalpha():
        name = f"campo_{name}"[:40]
    return name


def descendants(version: MenuVersion, pk: int) -> set[int]:
    """The primary keys of every node below the node `pk` of `version`."""
    children: dict[int | None, list[int]] = {}
    for node_pk, parent_id in version.nodes.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(node_pk)
    found: set[int] = set()
    pending = list(children.get(pk, []))
    while pending:
        current = pending.pop()
        found.add(current)
        pending.extend(children.get(current, []))
    return found


def node_errors(
    version: MenuVersion,
    values: NodeInput,
    *,
    node: MenuNode | None = None,
    parent: MenuNode | None = None,
) -> dict[str, list[str]]:
    """What is wrong with `values` for a node under `parent` (None: the top menu) of `version`,
    by the editor's field name; `node` is the node being edited (None: a new one). Empty when
    the node may be saved."""
    values = values.cleaned()
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if version.status != MenuVersion.Status.DRAFT:
        add("__all__", _("Si modificano solo le bozze: crea una bozza dalla versione pubblicata."))
    if parent is not None:
        if parent.version_id != version.pk:
            add("parent", _("La voce superiore è di un'altra versione del menu."))
        elif parent.kind != MenuNode.Kind.SUBMENU:
            add(
                "parent",
                _("«%(label)s» non è un sottomenu: solo un sottomenu ha voci sotto di sé.")
                % {"label": parent.label},
            )
        elif node is not None and (
            parent.pk == node.pk or parent.pk in descendants(version, node.pk)
        ):
            add("parent", _("Una voce non si sposta sotto sé stessa o sotto una sua voce."))

    if LETTER.match(values.letter):
        siblings = version.nodes.filter(parent=parent, letter=values.letter)
        if node is not None:
            siblings = siblings.exclude(pk=node.pk)
        other = siblings.first()
        if other is not None:
            add(
                "letter",
                _("La lettera «%(letter)s» è già usata da «%(label)s» nello stesso menu.")
                % {"letter": values.letter, "label": other.label},
            )
    for name, message in node_problems(values):  # the rule `menus.validate` applies too
        add(name, message)
    if node is not None and values.kind != MenuNode.Kind.SUBMENU:
        below = node.children.count()
        if below:
            add(
                "kind",
                ngettext(
                    "La voce ha %(n)d voce sotto di sé: solo un sottomenu ne ha. Spostala o "
                    "eliminala prima di cambiarne il tipo.",
                    "La voce ha %(n)d voci sotto di sé: solo un sottomenu ne ha. Spostale o "
                    "eliminale prima di cambiarne il tipo.",
                    below,
                )
                % {"n": below},
            )
    return errors


def _locked_draft(version: MenuVersion) -> MenuVersion:
    """`version` locked for the edit, refused unless it is still a draft."""
    row = MenuVersion.objects.select_for_update().filter(pk=version.pk).first()
    if row is None or row.status != MenuVersion.Status.DRAFT:
        raise InvalidInput(
            _("Si modificano solo le bozze: crea una bozza dalla versione pubblicata."),
            field="status",
        )
    return row


def _refuse(errors: dict[str, list[str]]) -> None:
    if errors:
        name, messages = next(iter(errors.items()))
        raise InvalidInput(messages[0], field=None if name == "__all__" else name)


def _apply(node: MenuNode, values: NodeInput) -> None:
    node.letter = values.letter
    node.label = values.label
    node.kind = values.kind
    node.text = values.text
    node.article = values.article
    node.url = values.url
    node.phone = values.phone
    node.handoff = values.handoff
    node.theme_code = values.theme_code
    node.fields = values.fields


def add_node(
    version: MenuVersion, values: NodeInput, *, parent: MenuNode | None = None
) -> MenuNode:
    """Add a node at the end of `parent`'s entries (None: the top menu) of the draft `version`."""
    values = values.cleaned()
    with transaction.atomic():
        version = _locked_draft(version)
        _refuse(node_errors(version, values, parent=parent))
        last = version.nodes.filter(parent=parent).aggregate(n=Max("position"))["n"]
        node = MenuNode(version=version, parent=parent, position=0 if last is None else last + 1)
        _apply(node, values)
        node.save()
        return node


def update_node(node: MenuNode, values: NodeInput, *, parent: MenuNode | None = None) -> MenuNode:
    """Change `node` of a draft to `values`, under `parent` (None: the top menu). A node moved
    to another menu goes to the end of its entries."""
    values = values.cleaned()
    with transaction.atomic():
        version = _locked_draft(node.version)
        _refuse(node_errors(version, values, node=node, parent=parent))
        if parent != node.parent:
            last = version.nodes.filter(parent=parent).aggregate(n=Max("position"))["n"]
            node.parent = parent
            node.position = 0 if last is None else last + 1
        _apply(node, values)
        node.save()
        return node


def _siblings(version: MenuVersion, parent_id: int | None) -> list[MenuNode]:
    return list(version.nodes.filter(parent_id=parent_id).order_by("position", "letter", "pk"))


def move_node(node: MenuNode, offset: int) -> MenuNode:
    """Move `node` `offset` places among its siblings (-1: up, 1: down); the positions of the
    siblings become 0, 1, 2, ... in the new order. A move past either end changes nothing."""
    with transaction.atomic():
        version = _locked_draft(node.version)
        siblings = _siblings(version, node.parent_id)
        index = next(i for i, n in enumerate(siblings) if n.pk == node.pk)
        target = min(max(index + offset, 0), len(siblings) - 1)
        siblings.insert(target, siblings.pop(index))
        for position, sibling in enumerate(siblings):
            sibling.position = position
        MenuNode.objects.bulk_update(siblings, ["position"])
        return siblings[target]


def reletter(version: MenuVersion, parent: MenuNode | None = None) -> int:
    """Give `parent`'s entries the letters A, B, C, ... in their order; returns how many."""
    with transaction.atomic():
        version = _locked_draft(version)
        siblings = _siblings(version, parent.pk if parent is not None else None)
        if len(siblings) > len(string.ascii_uppercase):
            raise InvalidInput(
                _("Le lettere dalla A alla Z bastano per 26 voci: il menu ne ha %(n)d.")
                % {"n": len(siblings)},
                field="letter",
            )
        for position, (sibling, letter) in enumerate(
            zip(siblings, string.ascii_uppercase, strict=False)
        ):
            sibling.position = position
            sibling.letter = letter
        MenuNode.objects.bulk_update(siblings, ["position", "letter"])
        return len(siblings)


def delete_node(node: MenuNode) -> int:
    """Delete `node` of a draft and every node below it; returns how many were deleted."""
    with transaction.atomic():
        _locked_draft(node.version)
        count = 1 + len(descendants(node.version, node.pk))
        node.delete()
        return count


def set_greeting(version: MenuVersion, greeting: str) -> MenuVersion:
    """Change the draft's greeting, the first message of every session."""
    greeting = greeting.strip()
    if len(greeting) > MAX_TEXT:
        raise InvalidInput(
            _("Il messaggio di benvenuto ha %(n)d caratteri: al più %(max)d.")
            % {"n": len(greeting), "max": MAX_TEXT},
            field="greeting",
        )
    with transaction.atomic():
        version = _locked_draft(version)
        version.greeting = greeting
        version.save(update_fields=["greeting"])
        return version


def create_menu(code: str, name: str, user: Any = None) -> MenuVersion:
    """A new menu `code` with its empty draft (version 1); refused if the code is taken."""
    code, name = code.strip(), " ".join(name.split())
    if not name:
        raise InvalidInput(_("Scrivi il nome del menu."), field="name")
    if Menu.objects.filter(code=code).exists():
        raise InvalidInput(
            _("C'è già un menu con il codice «%(code)s».") % {"code": code}, field="code"
        )
    return new_menu(code, name, user)


def discard_draft(version: MenuVersion) -> None:
    """Delete the draft `version` and its nodes; the published version is untouched."""
    with transaction.atomic():
        version = _locked_draft(version)
        if version.sessions.exists():
            raise InvalidInput(
                _("La bozza è usata da sessioni di prova: non si può scartare."), field="status"
            )
        version.delete()


def next_letter(version: MenuVersion, parent: MenuNode | None = None) -> str:
    """The first letter of the alphabet not yet used among `parent`'s entries ("" if none)."""
    used = set(version.nodes.filter(parent=parent).values_list("letter", flat=True))
    return next((c for c in string.ascii_uppercase if c not in used), "")


@dataclass(frozen=True)
class Note:
    """Something WhatsApp will show otherwise than a list, told to the editor; not an error."""

    node: MenuNode | None
    message: str


def notes(version: MenuVersion) -> list[Note]:
    """How the menus of `version` will look on WhatsApp, where the editor may not expect it
    (the engine's rules, `engine.Bot._menu_out`): a menu of more than `MAX_ROWS` entries is a
    lettered text, not a list; a list row's title («B. Etichetta») stops at `MAX_ROW_TITLE`
    characters, the whole label going in the row's description. Up to `MAX_BUTTONS` entries with
    short titles are buttons. Not errors: the version is published all the same."""
    nodes = list(version.nodes.all())
    children: dict[int | None, list[MenuNode]] = {}
    for node in nodes:
        children.setdefault(node.parent_id, []).append(node)
    by_pk = {node.pk: node for node in nodes}
    found: list[Note] = []
    for parent_id, group in children.items():
        parent = by_pk.get(parent_id) if parent_id is not None else None
        if parent is not None and parent.kind != MenuNode.Kind.SUBMENU:
            continue  # `menus.validate` says what is wrong there
        if len(group) > MAX_ROWS:
            found.append(
                Note(
                    parent,
                    _(
                        "Ha %(n)d voci: su WhatsApp una lista ne porta al più %(max)d, quindi "
                        "le voci arrivano come testo con le lettere, e il cittadino scrive la "
                        "lettera."
                    )
                    % {"n": len(group), "max": MAX_ROWS},
                )
            )
            continue
        titles = {node.pk: f"{node.letter}. {node.label}" for node in group}
        if len(group) <= MAX_BUTTONS and all(len(t) <= MAX_BUTTON_TITLE for t in titles.values()):
            continue  # buttons, every title whole
        for node in group:
            title = titles[node.pk]
            if len(title) > MAX_ROW_TITLE:
                found.append(
                    Note(
                        node,
                        _(
                            "Nella lista di WhatsApp il titolo si ferma a %(max)d caratteri "
                            "(«%(cut)s…»); l'etichetta intera va nella descrizione della riga."
                        )
                        % {"max": MAX_ROW_TITLE, "cut": title[: MAX_ROW_TITLE - 1]},
                    )
                )
    return found


def problems_by_node(problems: list[Problem]) -> tuple[list[str], dict[int, list[str]]]:
    """`menus.validate`'s problems split into those of the version and those of each node."""
    general: list[str] = []
    per_node: dict[int, list[str]] = {}
    for problem in problems:
        if problem.node is None:
            general.append(problem.message)
        else:
            per_node.setdefault(problem.node.pk, []).append(problem.message)
    return general, per_node
