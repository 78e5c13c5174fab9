"""The assistant's engine: one turn of a session, from what the citizen sent to the replies.

`Bot(session, now).turn(text, choice)` reads the session's state, decides, and returns a `Step`:
the messages to send (`Out`: text, choices and how to show them), the turns to record, and,
when the citizen chose to be contacted (a form submitted, a hand-off to an operator), the
`Escalation` that the caller hands to intake. The engine never sends and never calls intake:
`actions.take_turns` (WhatsApp), `actions.web_turn` (the web chat) and `simulate` (the console's
preview, the tests) do, each in its own way, with the same engine.

What a turn understands, in this order:
- a survey's answer (its buttons, then the optional suggestion);
- "menu" (also "inizio", "ciao"...): the top menu, on the menu's published version;
- "indietro": the list the citizen came from;
- "avvisi": the opt-in to alerts by template (`knowledge.alerts.subscribe`), when available;
- in a form: the answer to the field asked ("annulla" abandons it);
- a choice tapped (its id) or typed (its letter, or its label);
- anything else is a question: matched against the version's labels and the knowledge base,
  the best two or three offered; none found, it is counted as unanswered, with its text.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ascolto.assistant.menus import MAX_BUTTONS, MAX_ROW_TITLE, MAX_ROWS
from ascolto.assistant.models import Menu, MenuNode, MenuVersion, Session, Turn
from ascolto.citizens.handles import normalise_handle
from ascolto.citizens.models import Identity
from ascolto.core.errors import InvalidInput

SESSION_IDLE = timedelta(minutes=60)  # a session idle this long ends; the next message starts one
HANDOFF_IDLE = timedelta(days=3)  # with an operator, the citizen may answer much later
SURVEY_AFTER = timedelta(minutes=10)  # the survey, after this much inactivity
WINDOW = timedelta(hours=24)  # WhatsApp's customer-service window
MAX_BUTTON_TITLE = 20
MAX_BODY = 1024  # an interactive message's body on WhatsApp
MAX_TRANSCRIPT = 40  # lines of the transcript kept for a hand-off
MAX_QUESTION = 500

MENU_WORDS = frozenset({"menu", "menù", "inizio", "ricomincia", "start", "home"})
GREETING_WORDS = frozenset({"ciao", "salve", "buongiorno", "buonasera", "hello", "hi", "aiuto"})
BACK_WORDS = frozenset({"indietro", "torna indietro", "back"})
CANCEL_WORDS = frozenset({"annulla", "esci", "stop"})
ALERTS_WORDS = frozenset({"avvisi", "avviso"})
NO_SUGGESTION_WORDS = frozenset({"no", "no grazie", "nessuno", "niente", "-"})


@dataclass(frozen=True)
class Choice:
    """One choice offered: `id` comes back when tapped (`node:<key>`, `art:<id>`, `menu`,
    `back`, `survey:yes`, `opt:<n>`); `title` is what the citizen reads."""

    id: str
    title: str
    description: str = ""


@dataclass(frozen=True)
class Out:
    """One message of the bot: `style` "list" (≤ 10 rows, opened by `button`), "buttons"
    (≤ 3) or "text" (the choices, if any, are already lettered lines of `text`)."""

    text: str
    choices: tuple[Choice, ...] = ()
    style: str = "text"
    button: str = ""
    header: str = ""
    footer: str = ""

    def payload(self) -> dict[str, Any]:
        """The JSON a `Reply` stores and the sender reads."""
        return {
            "text": self.text,
            "choices": [[c.id, c.title, c.description] for c in self.choices],
            "style": self.style,
            "button": self.button,
            "header": self.header,
            "footer": self.footer,
        }

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> Out:
        return cls(
            text=str(data.get("text") or ""),
            choices=tuple(Choice(*c) for c in data.get("choices") or ()),
            style=str(data.get("style") or "text"),
            button=str(data.get("button") or ""),
            header=str(data.get("header") or ""),
            footer=str(data.get("footer") or ""),
        )


@dataclass(frozen=True)
class Escalation:
    """The citizen chose to be contacted: `text` becomes a message of the channel, through
    intake, opening a case (of theme `theme`) that links their identity."""

    kind: str  # "form" or "handoff"
    text: str
    theme: str
    node_key: str


@dataclass
class Step:
    """What one turn produced."""

    outs: list[Out] = field(default_factory=list)
    turns: list[Turn] = field(default_factory=list)
    escalation: Escalation | None = None
    relay: bool = False  # the session is with an operator: the message goes to intake as is
    unanswered: str = ""
    survey: tuple[str, Any] | None = None  # ("useful", bool) or ("suggestion", text)
    subscribe: bool | None = None  # True: opt in to alerts; False: opt out


# --- keys ------------------------------------------------------------------------------------


def session_key(kind: str, channel: str, handle: str) -> str:
    """The salted hash that stands for the citizen (`handle`: a WhatsApp id, a web token)."""
    message = f"{kind}\0{channel}\0{handle}".encode()
    return hmac.new(settings.ASSISTANT_SALT.encode(), message, hashlib.sha256).hexdigest()


def message_key(channel: str, external_id: str) -> str:
    """A hash of a channel's message id (a wamid encodes the sender's number)."""
    message = f"message\0{channel}\0{external_id}".encode()
    return hmac.new(settings.ASSISTANT_SALT.encode(), message, hashlib.sha256).hexdigest()


# --- the tree of a version -------------------------------------------------------------------


class Tree:
    """The nodes of one version, read once: children by parent, nodes by key."""

    def __init__(self, version: MenuVersion) -> None:
        self.version = version
        nodes = list(version.nodes.select_related("article").order_by("position", "letter", "pk"))
        self.by_key = {n.key: n for n in nodes}
        self.by_pk = {n.pk: n for n in nodes}
        self.children: dict[int | None, list[MenuNode]] = {}
        for node in nodes:
            self.children.setdefault(node.parent_id, []).append(node)
        for node in nodes:  # parents from this read, not one query each
            if node.parent_id is not None:
                node.parent = self.by_pk.get(node.parent_id)

    def kids(self, key: str) -> list[MenuNode]:
        parent = self.by_key.get(key) if key else None
        return self.children.get(parent.pk if parent else None, [])

    def parent_key(self, key: str) -> str:
        node = self.by_key.get(key)
        if node is None or node.parent_id is None:
            return ""
        return self.by_pk[node.parent_id].key

    def path(self, key: str) -> str:
        node = self.by_key.get(key)
        return node.path() if node is not None else ""


_trees: dict[tuple[int, datetime], tuple[float, Tree]] = {}
TREE_SECONDS = 60.0  # the cards' articles may be edited meanwhile: read again after a minute


def tree_of(version: MenuVersion) -> Tree:
    """The tree of `version`. A published or retired version never changes, so its tree is
    kept for TREE_SECONDS (the knowledge articles its cards show may change), under its id and
    creation time; a draft's is read each time (the editor changes it)."""
    if version.status == MenuVersion.Status.DRAFT:
        return Tree(version)
    key = (version.pk, version.created_at)
    now = time.monotonic()
    entry = _trees.get(key)
    if entry is None or now - entry[0] > TREE_SECONDS:
        if len(_trees) > 64:
            _trees.clear()
        entry = _trees[key] = (now, Tree(version))
    return entry[1]


# --- words -----------------------------------------------------------------------------------


def fold(text: str) -> str:
    """Lower case, no accents, single spaces: «Menù » is «menu»."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.findall(r"[\w@.+'/-]+", plain))


def _stems(text: str) -> set[str]:
    from ascolto.knowledge.actions import words

    return {w[:-1] if len(w) > 5 and w[-1] in "aeiou" else w for w in words(text)}


# --- the alerts on current topics (knowledge.alerts) -----------------------------------------


def current_alerts(channel: str) -> list[Any]:
    """The alerts shown at the top of the menu: "whatsapp" for the bot, "web" for the web chat
    (`knowledge.alerts`, cached there until the first alert starts or ends)."""
    from ascolto.knowledge.alerts import current_alerts as current

    return list(current(channel))


def _alert_text(alert: Any) -> str:
    title = str(getattr(alert, "title", "") or "")
    text = str(getattr(alert, "text", "") or "")
    link = str(getattr(alert, "link", "") or getattr(alert, "url", "") or "")
    return " — ".join(p for p in (f"*{title}*" if title else "", text, link) if p)


# --- the engine ------------------------------------------------------------------------------


class Bot:
    """One turn of `session` at `now`. `interactive` says the channel shows lists and buttons
    (WhatsApp); otherwise choices are lettered lines (and the web chat draws them as buttons)."""

    def __init__(
        self,
        session: Session,
        now: datetime,
        *,
        interactive: bool = True,
        pinned: bool = False,
        unlimited: bool = False,
        published: Callable[[Menu], MenuVersion | None] | None = None,
        alerts: Callable[[str], list[Any]] | None = None,
    ) -> None:
        self.session = session
        # How the top menu finds the version published now and the current alerts: a drained
        # batch asks once for all its turns (`actions.take_turns`), a single turn asks each time.
        self.published = published or Menu.published
        self.current_alerts = alerts or current_alerts
        self.now = now
        self.interactive = interactive or unlimited
        # The web chat draws every choice as a button: no WhatsApp limits, whole titles.
        self.unlimited = unlimited
        self.pinned = pinned  # the simulator: stay on the version simulated
        self.tree = tree_of(session.version)
        self.state: dict[str, Any] = dict(session.state or {})
        self.step = Step()

    # --- entry -------------------------------------------------------------------------------

    def turn(self, text: str, choice: str = "", *, new: bool = False, written: bool = True) -> Step:
        """Answer `text` (or the tapped `choice` id); `written` false for a photo, a voice
        message, a location: an operator may use them, the bot cannot."""
        text = (text or "").strip()
        words = fold(text)
        self._transcript(_("Cittadino"), text or choice)
        if not written and self.session.mode != Session.Mode.HANDOFF:
            if new:
                self._greet()
            self._record(Turn.Direction.INBOUND, Turn.Kind.FREE_TEXT)
            self._say(
                _(
                    "Posso leggere solo messaggi scritti: scrivi la tua domanda, oppure «menu». "
                    "Per inviare foto o documenti a un ufficio scegli di parlare con un operatore."
                )
            )
            return self._done()
        if new:
            self._greet()
            if not choice and (not words or words in MENU_WORDS | GREETING_WORDS):
                self._top(kind=Turn.Kind.GREETING)
                return self._done()
        if self.session.mode == Session.Mode.HANDOFF:
            if words in MENU_WORDS:
                self.session.mode = Session.Mode.BOT
                self._top()
            else:
                self.step.relay = True
                self._record(Turn.Direction.INBOUND, Turn.Kind.RELAYED)
            return self._done()
        if choice.startswith("survey:") or self.state.get("survey") == "suggestion":
            if self._survey(words, text, choice):
                return self._done()
        if words in MENU_WORDS or choice == "menu":
            self._leave_form()
            self._record(Turn.Direction.INBOUND, Turn.Kind.MENU)
            self._top()
        elif words in BACK_WORDS or choice == "back":
            self._record(Turn.Direction.INBOUND, Turn.Kind.BACK)
            self._back()
        elif self.session.mode == Session.Mode.FORM:
            if words in CANCEL_WORDS:
                self._leave_form()
                self._say(_("Modulo annullato: non è stato inviato nulla."))
                self._show_menu(self.state.get("menu", ""))
            else:
                self._form_answer(text, choice)
        elif words in ALERTS_WORDS and self.session.kind == Session.Kind.WHATSAPP:
            self._record(Turn.Direction.INBOUND, Turn.Kind.ALERTS)
            self.step.subscribe = True
            self._say(
                _(
                    "Fatto: riceverai gli avvisi del Comune su questo numero (emergenze, "
                    "scioperi, scadenze). Per non riceverli più scrivi «STOP AVVISI»."
                )
            )
        elif words in {"stop avvisi"} and self.session.kind == Session.Kind.WHATSAPP:
            self._record(Turn.Direction.INBOUND, Turn.Kind.ALERTS)
            self.step.subscribe = False
            self._say(_("Non riceverai più gli avvisi del Comune."))
        elif words in GREETING_WORDS:
            self._record(Turn.Direction.INBOUND, Turn.Kind.MENU)
            self._top()
        else:
            target = self._chosen(words, choice)
            if target is not None:
                self._record(Turn.Direction.INBOUND, Turn.Kind.CHOICE, target)
                self._open(target)
            elif choice.startswith("art:"):
                self._record(Turn.Direction.INBOUND, Turn.Kind.CHOICE)
                self._article(choice.removeprefix("art:"))
            else:
                self._question(text)
        return self._done()

    def _done(self) -> Step:
        self.session.state = self.state
        return self.step

    # --- recording ---------------------------------------------------------------------------

    def _record(self, direction: str, kind: str, node: MenuNode | None = None) -> None:
        self.step.turns.append(
            Turn(
                session=self.session,
                direction=direction,
                kind=kind,
                node=node if node is not None and node.pk else None,
                node_key=node.key if node is not None else "",
                at=self.now,
            )
        )

    def _transcript(self, who: str, text: str) -> None:
        if not text:
            return
        lines = list(self.state.get("transcript") or [])
        lines.append(f"{who}: {text[:MAX_QUESTION]}")
        self.state["transcript"] = lines[-MAX_TRANSCRIPT:]

    def _send(self, out: Out, kind: str = Turn.Kind.NODE, node: MenuNode | None = None) -> None:
        self.step.outs.append(out)
        self._record(Turn.Direction.OUTBOUND, kind, node)
        self._transcript(_("Assistente"), out.text.splitlines()[0] if out.text else "")

    def _say(self, text: str, kind: str = Turn.Kind.NODE) -> None:
        self._send(self._with_navigation(text), kind)

    # --- what is shown -----------------------------------------------------------------------

    def _greet(self) -> None:
        version = self.session.version
        greeting = version.greeting.strip() or _(
            "Ciao, sono l'assistente virtuale del Comune. Rispondo in automatico e non conservo "
            "il tuo nome né il tuo numero: solo se chiedi di parlare con un operatore o invii "
            "un modulo i tuoi dati arrivano all'ufficio, per ricontattarti."
        )
        self._send(Out(greeting), Turn.Kind.GREETING)

    def _alerts(self) -> None:
        alerts = self.current_alerts(self.session.kind)
        if not alerts:
            return
        lines = [_("⚠️ Avvisi in evidenza:"), *(f"• {_alert_text(a)}" for a in alerts[:5])]
        if self.session.kind == Session.Kind.WHATSAPP:
            lines.append(_("Per ricevere gli avvisi su WhatsApp scrivi «AVVISI»."))
        self._send(Out("\n".join(lines)), Turn.Kind.ALERTS)

    def _top(self, kind: str = Turn.Kind.MENU) -> None:
        """The top menu, on the version published now (a session moves to it here)."""
        published = None if self.pinned else self.published(self.session.version.menu)
        if published is not None and published.pk != self.session.version_id:
            self.session.version = published
            self.tree = tree_of(published)
        self.state.pop("offered", None)
        self._alerts()
        self._show_menu("", kind=kind)

    def _show_menu(self, key: str, kind: str = Turn.Kind.MENU) -> None:
        node = self.tree.by_key.get(key) if key else None
        if key and node is None:
            key = ""
        self.state["menu"] = key
        self.state.pop("leaf", None)
        kids = self.tree.kids(key)
        if node is not None:
            intro = node.text.strip() or node.label
        else:
            intro = _("Scegli un argomento:")
        self._send(self._menu_out(intro, kids, top=node is None), kind, node)

    def _menu_out(self, intro: str, kids: Sequence[MenuNode], *, top: bool) -> Out:
        footer = (
            _("Scrivi una domanda o «menu»")
            if top
            else _("«indietro» per tornare, «menu» per l'inizio")
        )
        if (
            self.interactive
            and 0 < len(kids) <= MAX_BUTTONS
            and all(len(f"{k.letter}. {k.label}") <= MAX_BUTTON_TITLE for k in kids)
        ):
            choices = tuple(Choice(f"node:{k.key}", f"{k.letter}. {k.label}") for k in kids)
            return Out(intro[:MAX_BODY], choices, "buttons", footer=footer)
        if self.interactive and 0 < len(kids) <= MAX_ROWS:
            choices = tuple(_row(f"node:{k.key}", f"{k.letter}. {k.label}") for k in kids)
            return Out(intro[:MAX_BODY], choices, "list", button=_("Scegli"), footer=footer)
        lines = [intro, "", *(f"*{k.letter}* {k.label}" for k in kids), "", footer]
        choices = tuple(Choice(f"node:{k.key}", f"{k.letter}. {k.label}") for k in kids)
        return Out("\n".join(lines).strip(), choices, "text")

    def _with_navigation(self, text: str, *, top: bool = False) -> Out:
        if self.interactive:
            choices = [Choice("menu", _("Menu"))]
            if not top:
                choices.append(Choice("back", _("Indietro")))
            return Out(text[:MAX_BODY], tuple(choices), "buttons")
        return Out(f"{text}\n\n" + _("Scrivi «indietro» per tornare, «menu» per l'inizio."))

    def _open(self, node: MenuNode) -> None:
        kind = node.kind
        if kind == MenuNode.Kind.SUBMENU:
            self._show_menu(node.key, Turn.Kind.NODE)
            return
        if node.parent_id is not None:
            self.state["menu"] = self.tree.by_pk[node.parent_id].key
        else:
            self.state["menu"] = ""
        self.state["leaf"] = node.key
        self.state["path"] = node.path()
        if kind == MenuNode.Kind.CARD:
            self._send(self._with_navigation(_card_text(node)), Turn.Kind.NODE, node)
        elif kind == MenuNode.Kind.LINK:
            text = "\n".join(p for p in (f"*{node.label}*", node.text.strip(), node.url) if p)
            self._send(self._with_navigation(text), Turn.Kind.NODE, node)
        elif kind == MenuNode.Kind.FORM and self.session.kind != Session.Kind.WHATSAPP:
            # The web chat knows no one to contact: the form is Scrivi's.
            text = _("Puoi inviare questa richiesta con il modulo online del Comune: %(url)s") % {
                "url": node.url or "/scrivi/"
            }
            self._send(self._with_navigation(text), Turn.Kind.NODE, node)
        elif kind == MenuNode.Kind.FORM:
            self._start_form(node)
        elif kind == MenuNode.Kind.HANDOFF:
            self._handoff(node)

    def _article(self, ident: str) -> None:
        from ascolto.knowledge.models import Article

        article = (
            Article.objects.filter(
                pk=int(ident) if ident.isdigit() else 0,
                audience=Article.Audience.PUBLIC,
                is_published=True,
            ).first()
            if ident.isdigit()
            else None
        )
        if article is None:
            self._top()
            return
        self.state["leaf"] = f"art:{article.pk}"
        text = "\n".join(p for p in (f"*{article.title}*", article.summary, article.url) if p)
        self._send(self._with_navigation(text), Turn.Kind.NODE)

    def _back(self) -> None:
        if self.state.get("leaf"):
            self._show_menu(self.state.get("menu", ""))
            return
        current = self.state.get("menu", "")
        if not current:
            self._top()
            return
        parent = self.tree.parent_key(current)
        if parent:
            self._show_menu(parent)
        else:
            self._top()

    def _row(self, ident: str, title: str) -> Choice:
        return Choice(ident, title) if self.unlimited else _row(ident, title)

    # --- choices -----------------------------------------------------------------------------

    def _chosen(self, words: str, choice: str) -> MenuNode | None:
        """The node the citizen picked: a tapped id, an offered suggestion's number, a letter
        of the current list, or a label typed as it is."""
        if choice.startswith("node:"):
            key = choice.removeprefix("node:")
            return self.tree.by_key.get(key)
        offered = self.state.get("offered") or {}
        cleaned = words.strip(" .)")
        if cleaned in offered:
            ident = str(offered[cleaned])
            if ident.startswith("node:"):
                return self.tree.by_key.get(ident.removeprefix("node:"))
            if ident.startswith("art:"):
                return None
        kids = self.tree.kids(self.state.get("menu", ""))
        for kid in kids:
            if cleaned == kid.letter.lower() or cleaned == fold(kid.label):
                return kid
        if self.state.get("menu"):
            # A letter of the top menu typed from within a submenu (the lists most people know).
            for top in self.tree.kids(""):
                if cleaned == top.letter.lower():
                    return top
        return None

    def _question(self, text: str) -> None:
        """Free text: the best labels and articles, or unanswered."""
        self._record(Turn.Direction.INBOUND, Turn.Kind.FREE_TEXT)
        offered = self.state.get("offered") or {}
        if fold(text).strip(" .)") in offered:  # an offered article by number
            self._article(str(offered[fold(text).strip(" .)")]).removeprefix("art:"))
            return
        stems = _stems(text)
        nodes: list[tuple[int, MenuNode]] = []
        if stems:
            for node in self.tree.by_key.values():
                label, body = fold(node.label), fold(node.text)
                score = sum(3 * (s in label) + (s in body) for s in stems)
                if score:
                    nodes.append((score, node))
        nodes.sort(key=lambda pair: (-pair[0], pair[1].position))
        found: list[Choice] = []
        shown_articles: set[int] = set()
        for _score, node in nodes[:3]:
            found.append(_choice(f"node:{node.key}", f"{node.letter}. {node.label}"))
            if node.article_id:
                shown_articles.add(node.article_id)
        if len(found) < 3 and stems:
            from ascolto.knowledge.actions import suggest_articles

            for article in suggest_articles(text, limit=3):
                if len(found) >= 3:
                    break
                if article.pk in shown_articles:
                    continue
                card = next(
                    (n for n in self.tree.by_key.values() if n.article_id == article.pk), None
                )
                if card is not None:
                    found.append(_choice(f"node:{card.key}", f"{card.letter}. {card.label}"))
                else:
                    found.append(_choice(f"art:{article.pk}", article.title))
        if not found:
            self.step.unanswered = text[:MAX_QUESTION]
            self._record(Turn.Direction.INBOUND, Turn.Kind.UNANSWERED)
            self._say_menu_after(
                _(
                    "Non ho trovato una risposta a questa domanda: la segnalo alla redazione. "
                    "Intanto puoi scegliere dal menu."
                )
            )
            return
        self.state["offered"] = {str(i + 1): c.id for i, c in enumerate(found)}
        intro = _("Forse cerchi una di queste risposte:")
        if self.interactive and all(len(c.title) <= MAX_BUTTON_TITLE for c in found):
            out = Out(intro, tuple(found), "buttons", footer=_("Oppure scrivi «menu»"))
        elif self.interactive:
            out = Out(
                intro, tuple(self._row(c.id, c.title) for c in found), "list", button=_("Vedi")
            )
        else:
            lines = [intro, *(f"*{i + 1}* {c.title}" for i, c in enumerate(found))]
            lines.append(_("Scrivi il numero, oppure «menu»."))
            out = Out("\n".join(lines), tuple(found), "text")
        self._send(out, Turn.Kind.SUGGESTION)

    def _say_menu_after(self, text: str) -> None:
        self._send(Out(text), Turn.Kind.NODE)
        self._show_menu(self.state.get("menu", ""))

    # --- forms -------------------------------------------------------------------------------

    def _start_form(self, node: MenuNode) -> None:
        if not node.fields:  # a draft being edited, in the simulator
            self._say(_("Questo modulo non ha ancora campi."))
            return
        self.session.mode = Session.Mode.FORM
        self.state["form"] = {"node": node.key, "index": 0, "answers": {}}
        intro = node.text.strip() or node.label
        notice = _(
            "Le risposte e il tuo numero arriveranno all'ufficio, che potrà ricontattarti. "
            "Scrivi «annulla» per uscire senza inviare nulla."
        )
        self._send(Out(f"*{node.label}*\n{intro}\n\n{notice}"), Turn.Kind.NODE, node)
        self._ask_field(node, 0)

    def _ask_field(self, node: MenuNode, index: int, error: str = "") -> None:
        field_ = node.fields[index]
        question = str(field_.get("label") or field_.get("name"))
        if not field_.get("required", True):
            question += " " + _("(facoltativo: «-» per saltare)")
        if error:
            question = f"{error}\n{question}"
        options = [str(o) for o in field_.get("choices") or []]
        if field_.get("type") == "choice" and options:
            choices = tuple(_choice(f"opt:{i}", o) for i, o in enumerate(options))
            if (
                self.interactive
                and len(options) <= MAX_BUTTONS
                and all(len(o) <= MAX_BUTTON_TITLE for o in options)
            ):
                out = Out(question, choices, "buttons")
            elif self.interactive:
                rows = tuple(self._row(c.id, c.title) for c in choices)
                out = Out(question, rows, "list", button=_("Scegli"))
            else:
                lines = [question, *(f"*{i + 1}* {o}" for i, o in enumerate(options))]
                out = Out("\n".join(lines), choices, "text")
        else:
            out = Out(question)
        self._send(out, Turn.Kind.FORM_FIELD, node)

    def _form_answer(self, text: str, choice: str) -> None:
        form = dict(self.state.get("form") or {})
        node = self.tree.by_key.get(str(form.get("node") or ""))
        if node is None or node.kind != MenuNode.Kind.FORM:
            self._leave_form()
            self._top()
            return
        index = int(form.get("index") or 0)
        field_ = node.fields[index]
        self._record(Turn.Direction.INBOUND, Turn.Kind.FORM_FIELD, node)
        try:
            value = check_field(field_, text, choice)
        except InvalidInput as exc:
            self._ask_field(node, index, error=exc.message)
            return
        answers = dict(form.get("answers") or {})
        answers[str(field_.get("name"))] = value
        index += 1
        if index < len(node.fields):
            self.state["form"] = {"node": node.key, "index": index, "answers": answers}
            self._ask_field(node, index)
            return
        lines = [
            _("Modulo «%(label)s» compilato con l'assistente virtuale:") % {"label": node.label}
        ]
        for f in node.fields:
            answer = answers.get(str(f.get("name")), "")
            lines.append(f"- {f.get('label') or f.get('name')}: {answer or '—'}")
        self.step.escalation = Escalation("form", "\n".join(lines), node.theme_code, node.key)
        self._leave_form()
        self._record(Turn.Direction.INBOUND, Turn.Kind.FORM_SUBMITTED, node)
        self._send(
            self._with_navigation(
                _(
                    "Grazie, il modulo è stato inviato all'ufficio competente. Riceverai "
                    "risposta su questo numero."
                )
            ),
            Turn.Kind.NODE,
            node,
        )

    def _leave_form(self) -> None:
        if self.session.mode == Session.Mode.FORM:
            self.session.mode = Session.Mode.BOT
        self.state.pop("form", None)

    # --- hand-off ----------------------------------------------------------------------------

    def _handoff(self, node: MenuNode) -> None:
        target = node.handoff
        if target == MenuNode.Handoff.SCRIVI:
            text = "\n".join(
                p
                for p in (
                    node.text.strip()
                    or _("Puoi scrivere all'ufficio con il modulo online del Comune:"),
                    node.url,
                )
                if p
            )
            self._send(self._with_navigation(text), Turn.Kind.HANDOFF, node)
            return
        if target == MenuNode.Handoff.PHONE:
            text = "\n".join(
                p
                for p in (node.text.strip() or _("Puoi chiamare il numero del Comune:"), node.phone)
                if p
            )
            self._send(self._with_navigation(text), Turn.Kind.HANDOFF, node)
            return
        if self.session.kind != Session.Kind.WHATSAPP:
            # The web chat has no channel an operator answers on: Scrivi instead.
            text = _(
                "Per parlare con un operatore scrivi al Comune con il modulo online: %(url)s"
            ) % {"url": node.url or "/scrivi/"}
            self._send(self._with_navigation(text), Turn.Kind.HANDOFF, node)
            return
        transcript = "\n".join(self.state.get("transcript") or [])
        text = (
            _("Richiesta di parlare con un operatore («%(label)s»), dall'assistente virtuale.")
            % {"label": node.label}
            + "\n\n"
            + _("Conversazione con l'assistente:")
            + "\n"
            + transcript
        )
        self.step.escalation = Escalation("handoff", text, node.theme_code, node.key)
        self.session.mode = Session.Mode.HANDOFF
        self._send(
            Out(
                node.text.strip()
                or _(
                    "Ti metto in contatto con un operatore del Comune, che ti risponderà qui "
                    "appena possibile. Scrivi pure la tua richiesta. Per tornare all'assistente "
                    "scrivi «menu»."
                )
            ),
            Turn.Kind.HANDOFF,
            node,
        )

    # --- survey ------------------------------------------------------------------------------

    def _survey(self, words: str, text: str, choice: str) -> bool:
        """A survey's answer; False when the message is not one (the session goes on)."""
        if choice in ("survey:yes", "survey:no"):
            self.step.survey = ("useful", choice == "survey:yes")
            self._record(Turn.Direction.INBOUND, Turn.Kind.SURVEY)
            self.state["survey"] = "suggestion"
            self._send(
                Out(
                    _(
                        "Grazie! Ci sono argomenti che avresti voluto trovare e che ci suggerisci "
                        "di aggiungere? Scrivili qui, oppure «no»."
                    )
                ),
                Turn.Kind.SURVEY,
            )
            return True
        self.state.pop("survey", None)
        if words in MENU_WORDS or words in BACK_WORDS or choice:
            return False
        self._record(Turn.Direction.INBOUND, Turn.Kind.SURVEY)
        if words not in NO_SUGGESTION_WORDS:
            self.step.survey = ("suggestion", text[:2000])
        self._send(
            Out(_("Grazie per il tuo aiuto. Scrivi «menu» quando vuoi ricominciare.")),
            Turn.Kind.SURVEY,
        )
        return True


def survey_out() -> Out:
    """The survey's question, with its two buttons."""
    return Out(
        _("Ti sono stato utile?"),
        (Choice("survey:yes", _("Sì")), Choice("survey:no", _("No"))),
        "buttons",
    )


# --- forms' fields ---------------------------------------------------------------------------

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def check_field(field_: dict[str, Any], text: str, choice: str = "") -> str:
    """The answer to a form's field, checked (type, pattern, required); InvalidInput with an
    Italian message otherwise."""
    kind = str(field_.get("type") or "text")
    value = text.strip()
    if not field_.get("required", True) and value in ("", "-"):
        return ""
    if kind == "choice":
        options = [str(o) for o in field_.get("choices") or []]
        if choice.startswith("opt:") and choice[4:].isdigit() and int(choice[4:]) < len(options):
            return options[int(choice[4:])]
        if value.isdigit() and 1 <= int(value) <= len(options):
            return options[int(value) - 1]
        for option in options:
            if fold(option) == fold(value):
                return option
        raise InvalidInput(_("Scegli una delle opzioni proposte."), field="choice")
    if not value:
        raise InvalidInput(_("Questa risposta è necessaria."), field="text")
    if len(value) > 1000:
        raise InvalidInput(_("La risposta è troppo lunga (al più 1000 caratteri)."), field="text")
    if kind == "email" and not EMAIL.match(value):
        raise InvalidInput(_("Non sembra un indirizzo email: riprova."), field="email")
    if kind == "phone":
        try:
            value = normalise_handle(Identity.Kind.PHONE, value)
        except InvalidInput:
            raise InvalidInput(
                _("Non sembra un numero di telefono: riprova."), field="phone"
            ) from None
    if kind == "number" and not re.fullmatch(r"-?\d+([.,]\d+)?", value):
        raise InvalidInput(_("Scrivi un numero."), field="number")
    if kind == "date":
        value = _date(value)
    pattern = str(field_.get("validation") or "")
    if pattern and not re.fullmatch(pattern, value):
        raise InvalidInput(
            str(field_.get("error") or _("La risposta non è nel formato richiesto: riprova.")),
            field="text",
        )
    return value


def _date(value: str) -> str:
    match = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", value)
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
            return date(year, month, day).strftime("%d/%m/%Y")
        return date.fromisoformat(value).strftime("%d/%m/%Y")
    except ValueError:
        raise InvalidInput(_("Scrivi una data come 31/12/2026."), field="date") from None


# --- helpers ---------------------------------------------------------------------------------


def _row(ident: str, title: str) -> Choice:
    """A list row: the title cut to WhatsApp's 24 characters, the whole label below it."""
    if len(title) <= MAX_ROW_TITLE:
        return Choice(ident, title)
    return Choice(ident, title[: MAX_ROW_TITLE - 1] + "…", title[:72])


def _choice(ident: str, title: str) -> Choice:
    return Choice(ident, title)


def _card_text(node: MenuNode) -> str:
    article = node.article
    parts = [f"*{node.label}*"]
    if node.text.strip():
        parts.append(node.text.strip())
    if article is not None:
        if not node.text.strip():
            parts.append(article.summary)
        if article.url:
            parts.append(article.url)
    elif node.url:
        parts.append(node.url)
    return "\n".join(parts)


# --- the simulator ---------------------------------------------------------------------------


class _Rollback(Exception):
    pass


IDLE = "simula:inattivita"  # in `simulate`'s texts: SURVEY_AFTER of silence (the survey)


def simulate(
    version: MenuVersion,
    texts: Sequence[str],
    at: datetime | None = None,
    *,
    interactive: bool = True,
    kind: str = Session.Kind.WHATSAPP,
    on_step: Callable[[Step], None] | None = None,
) -> list[Out]:
    """The replies the engine gives to `texts` on `version` (a draft too), nothing stored: the
    session lives in a transaction rolled back at the end. A text `node:<key>`, `menu`, `back`,
    `survey:yes`, `opt:<n>` stands for a tap on that choice; `IDLE` for ten minutes of silence,
    which bring the survey (its answers are the engine's, stored nowhere)."""
    now = at or timezone.now()
    outs: list[Out] = []
    try:
        with transaction.atomic():
            session = Session.objects.create(
                key="simulator", kind=kind, version=version, started_at=now
            )
            for i, text in enumerate(texts):
                if text == IDLE:
                    now += SURVEY_AFTER
                    step = _simulated_survey(session, now, started=i > 0)
                    outs.extend(step.outs)
                    if on_step is not None:
                        on_step(step)
                    continue
                choice = text if _is_choice(text) else ""
                bot = Bot(session, now, interactive=interactive, pinned=True)
                step = bot.turn("" if choice else text, choice, new=i == 0)
                outs.extend(step.outs)
                if on_step is not None:
                    on_step(step)
            raise _Rollback
    except _Rollback:
        pass
    return outs


def _simulated_survey(session: Session, now: datetime, *, started: bool) -> Step:
    """What SURVEY_AFTER of silence brings in the simulator: the survey, as the tick sends it
    on WhatsApp and the web chat offers it (once per session, never with an operator); or a
    note (style "note", not a message of the bot) saying why none comes."""
    step = Step()
    if not started:
        note = _("Nessun questionario: la conversazione non è ancora iniziata.")
    elif session.mode == Session.Mode.HANDOFF:
        note = _("Nessun questionario: la conversazione è passata a un operatore.")
    elif session.survey_sent_at is not None:
        note = _("Nessun questionario: è già stato inviato in questa sessione.")
    else:
        session.survey_sent_at = now
        step.outs.append(survey_out())
        return step
    step.outs.append(Out(note, style="note"))
    return step


def _is_choice(text: str) -> bool:
    return bool(re.fullmatch(r"(node|art|opt):[\w.-]+|menu|back|survey:(yes|no)", text))
