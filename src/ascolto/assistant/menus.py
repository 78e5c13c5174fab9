"""The life of a menu's versions: a draft copied from a version, checked, then published.

The console's editor (and the demo's loader) call these; the engine reads only published
versions (and the retired version a session in progress started on).

- `new_menu(code, name, user)`: a menu with an empty draft (version 1);
- `draft_from(version, user)`: a new draft, a deep copy of `version` (nodes keep their `key`);
  the menu's existing draft is returned instead when there is one;
- `validate(version)`: the problems that forbid publishing, as `Problem`s (empty: publishable);
- `node_problems(values)`: what is wrong with one node, by field: the rule the editor applies
  at each save and `validate` before publishing;
- `add_tree(version, nodes, articles)`: nodes written as data (`NodeSpec`) added to a draft;
- `publish(draft, user)`: the draft becomes the published version, the previous one retired
  (sessions started on it keep it until they return to the top menu);
- `FIELD_TYPES`, `MAX_ROWS`, `MAX_BUTTONS`: what a form field may be, WhatsApp's limits.
"""

from __future__ import annotations

import re
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from ascolto.assistant.models import Menu, MenuNode, MenuVersion
from ascolto.core.errors import InvalidInput
from ascolto.knowledge.models import Article
from ascolto.tickets.models import Theme

MAX_ROWS = 10  # a WhatsApp list
MAX_BUTTONS = 3  # WhatsApp reply buttons
MAX_ROW_TITLE = 24  # a list row's title on WhatsApp; longer labels go in its description
FIELD_TYPES = ("text", "email", "phone", "number", "date", "choice")
LETTER = re.compile(r"^[A-Z0-9]{1,2}$")
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
PHONE = re.compile(r"\+?[0-9][0-9 ./-]{2,38}")
MAX_LABEL = 72
MAX_TEXT = 4096  # a WhatsApp text message's body
MAX_FIELDS = 20


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


# A node written as data: (letter, label, kind, details); details may hold "text", "article"
# (a knowledge article's slug), "url", "phone", "handoff", "theme", "fields", "children" (nodes).
NodeSpec = tuple[str, str, str, dict[str, Any]]


def add_tree(
    version: MenuVersion,
    nodes: Sequence[NodeSpec],
    articles: Mapping[str, Article] | None = None,
    parent: MenuNode | None = None,
) -> int:
    """Write `nodes` (and their children) under `parent` (None: the top menu) of the draft
    `version`, in their order, each card on the article of `articles` its slug names; returns
    how many were written. The demo's menu and the tests' are data read by this one loader;
    `validate` checks the result as it checks the editor's."""
    count = 0
    for position, (letter, label, kind, details) in enumerate(nodes, start=1):
        node = MenuNode.objects.create(
            version=version,
            parent=parent,
            letter=letter,
            position=position,
            label=label,
            kind=kind,
            text=details.get("text", ""),
            article=(articles or {}).get(details.get("article", "")),
            url=details.get("url", ""),
            phone=details.get("phone", ""),
            fields=details.get("fields", []),
            handoff=details.get("handoff", ""),
            theme_code=details.get("theme", ""),
        )
        count += 1 + add_tree(version, details.get("children", []), articles, node)
    return count


def validate(version: MenuVersion) -> list[Problem]:
    """What forbids publishing `version`: the menu has entries, letters unique among siblings,
    a submenu has entries (and only a submenu has), and each node passes `node_problems`, the
    rule the editor applies to each save (so a draft the editor accepted node by node passes,
    and one written otherwise, by the demo or an import, is held to the same rule)."""
    problems: list[Problem] = []
    nodes = list(version.nodes.select_related("article"))
    if not any(n.parent_id is None for n in nodes):
        problems.append(Problem(None, _("Il menu principale non ha voci.")))
    siblings: dict[int | None, list[MenuNode]] = {}
    for node in nodes:
        siblings.setdefault(node.parent_id, []).append(node)
    for parent_id, group in siblings.items():
        letters = [n.letter for n in group]
        for letter in sorted({x for x in letters if letters.count(x) > 1}):
            first = next(n for n in group if n.letter == letter)
            problems.append(
                Problem(first, _("La lettera «%(letter)s» è usata due volte.") % {"letter": letter})
            )
        if parent_id is not None and len(group) > 26:
            problems.append(Problem(group[0], _("Un sottomenu ha al più 26 voci.")))
    wanted = {n.theme_code for n in nodes if n.theme_code}
    themes = set(Theme.objects.filter(code__in=wanted).values_list("code", flat=True))
    for node in nodes:
        children = siblings.get(node.pk, [])
        if node.kind == MenuNode.Kind.SUBMENU and not children:
            problems.append(Problem(node, _("Un sottomenu ha almeno una voce.")))
        if node.kind != MenuNode.Kind.SUBMENU and children:
            problems.append(Problem(node, _("Solo un sottomenu ha voci sotto di sé.")))
        problems.extend(Problem(node, message) for _f, message in node_problems(node, themes))
    return problems


def node_problems(values: Any, themes: Container[str] | None = None) -> list[tuple[str, str]]:
    """What is wrong with one node's own values, as (field, message) pairs: its letter, label
    and text; what its kind needs (a card's published public article, a link's address, a
    form's fields, a hand-off's target); a well-formed address and number; a theme that exists
    (in `themes` when given, else looked up). `values` is a `MenuNode` or what the editor
    submits (`editing.NodeInput`): the same attributes. The one rule for a node: the editor
    checks it at each save (`editing.node_errors`), `validate` before publishing."""
    found: list[tuple[str, str]] = []

    def add(name: str, message: str) -> None:
        found.append((name, message))

    letter = str(values.letter or "")
    label = str(values.label or "").strip()
    text = str(values.text or "")
    url = str(values.url or "").strip()
    phone = str(values.phone or "").strip()
    theme_code = str(values.theme_code or "").strip()
    if not letter:
        add("letter", _("Scrivi la lettera della voce (per esempio A)."))
    elif not LETTER.match(letter):
        add("letter", _("La lettera è una o due lettere maiuscole o cifre, per esempio A o B2."))
    if not label:
        add("label", _("Scrivi l'etichetta, il nome della voce che il cittadino sceglie."))
    elif len(label) > MAX_LABEL:
        add(
            "label",
            _("L'etichetta ha %(n)d caratteri: al più %(max)d.")
            % {"n": len(label), "max": MAX_LABEL},
        )
    if len(text) > MAX_TEXT:
        add(
            "text",
            _("Il testo ha %(n)d caratteri: un messaggio WhatsApp ne porta al più %(max)d.")
            % {"n": len(text), "max": MAX_TEXT},
        )
    kind = values.kind
    if kind not in MenuNode.Kind.values:
        add("kind", _("Scegli il tipo della voce."))
    if kind == MenuNode.Kind.CARD:
        article = values.article
        if article is None:
            add("article", _("Una scheda informativa mostra un articolo: cercalo e sceglilo."))
        elif not article.is_published or article.audience != Article.Audience.PUBLIC:
            add(
                "article",
                _("L'articolo «%(title)s» non è pubblicato per i cittadini: scegline un altro.")
                % {"title": article.title},
            )
    if kind == MenuNode.Kind.LINK and not url:
        add("url", _("Un collegamento ha un indirizzo web (https://...)."))
    if url and not web_address(url):
        add(
            "url",
            _(
                "L'indirizzo deve iniziare con http:// o https://, per esempio https://www.comune.it/."
            ),
        )
    if kind == MenuNode.Kind.FORM:
        for message in fields_problems(values.fields):
            add("fields", message)
    if kind == MenuNode.Kind.HANDOFF:
        if values.handoff not in MenuNode.Handoff.values:
            add("handoff", _("Scegli a chi passa la conversazione."))
        elif values.handoff == MenuNode.Handoff.SCRIVI and not url:
            add("url", _("Il passaggio a Scrivi ha il collegamento alla pagina del modulo."))
        elif values.handoff == MenuNode.Handoff.PHONE and not phone:
            add("phone", _("Scrivi il numero di contatto, per esempio 020202."))
        if phone and not PHONE.fullmatch(phone):
            add("phone", _("Il numero di contatto è fatto di cifre, per esempio 020202."))
    if theme_code:
        known = (
            theme_code in themes
            if themes is not None
            else Theme.objects.filter(code=theme_code).exists()
        )
        if not known:
            add("theme_code", _("Il tema «%(code)s» non esiste.") % {"code": theme_code})
    return found


def web_address(url: str) -> bool:
    """Whether `url` is an address a citizen's phone opens: http or https, with a host."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in url


def fields_problems(fields: Any) -> list[str]:
    """The problems of a form's fields: those that can be said row by row first (a field
    without a question or a type), then `form_problems` (names, choices, patterns)."""
    if not isinstance(fields, list) or not fields:
        return [_("Un modulo ha almeno un campo.")]
    if len(fields) > MAX_FIELDS:
        return [_("Un modulo ha al più %(max)d campi.") % {"max": MAX_FIELDS}]
    problems: list[str] = []
    for number, item in enumerate(fields, start=1):
        if not isinstance(item, dict):
            problems.append(_("Il campo %(n)d non è valido.") % {"n": number})
            continue
        kind = str(item.get("type") or "")
        if not str(item.get("label") or "").strip():
            problems.append(
                _("Il campo %(n)d non ha la domanda da fare al cittadino.") % {"n": number}
            )
        if not kind:
            problems.append(_("Il campo %(n)d non ha un tipo.") % {"n": number})
        elif kind not in FIELD_TYPES:
            problems.append(
                _("Il campo %(n)d ha un tipo sconosciuto: %(type)s.") % {"n": number, "type": kind}
            )
    if problems:
        return problems
    return form_problems(fields)


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
