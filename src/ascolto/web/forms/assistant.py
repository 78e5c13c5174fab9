"""Forms of the assistant's menu editor (console "Assistente virtuale").

The node form checks the shape of what is typed; the rules of a menu (letters among siblings,
what each kind of node needs, the form's fields) are `assistant.editing.node_errors`, whose
messages the view puts beside the fields. A form node's fields are rows of inputs named
`f-<n>-name`, `f-<n>-label`, ... (`field_rows`), so the editor works without JavaScript: "Aggiungi
un campo" posts the form back with one more empty row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from ascolto.assistant.editing import NodeInput, descendants, field_name
from ascolto.assistant.menus import FIELD_TYPES
from ascolto.assistant.models import MenuNode, MenuVersion
from ascolto.knowledge.models import Article
from ascolto.web.forms.calls import theme_choices

MAX_ROWS = 20
ARTICLE_RESULTS = 15

FIELD_TYPE_LABELS = {
    "text": _("Testo"),
    "number": _("Numero"),
    "email": _("Email"),
    "phone": _("Telefono"),
    "date": _("Data"),
    "choice": _("Scelta da un elenco"),
}
assert set(FIELD_TYPE_LABELS) == set(FIELD_TYPES)  # noqa: S101


@dataclass
class FieldRow:
    """One row of the form-fields editor, as typed (choices as one line, separated by ;)."""

    name: str = ""
    label: str = ""
    type: str = "text"
    required: bool = True
    choices: str = ""
    validation: str = ""

    def is_blank(self) -> bool:
        return not (self.name.strip() or self.label.strip() or self.choices.strip())

    def as_field(self) -> dict[str, Any]:
        """The field as the node stores it; a missing name is made from the question."""
        return {
            "name": self.name.strip() or field_name(self.label),
            "label": self.label,
            "type": self.type,
            "required": self.required,
            "choices": [c.strip() for c in self.choices.split(";") if c.strip()],
            "validation": self.validation,
        }

    @classmethod
    def of(cls, stored: dict[str, Any]) -> FieldRow:
        return cls(
            name=str(stored.get("name") or ""),
            label=str(stored.get("label") or ""),
            type=str(stored.get("type") or "text"),
            required=bool(stored.get("required")),
            choices="; ".join(str(c) for c in stored.get("choices") or []),
            validation=str(stored.get("validation") or ""),
        )


def field_rows(data: QueryDict) -> list[FieldRow]:
    """The rows of the form-fields editor in `data`, without the blank ones and those ticked
    for removal."""
    try:
        count = min(int(data.get("f-count", "0")), MAX_ROWS + 5)
    except ValueError:
        count = 0
    rows = []
    for n in range(count):
        if data.get(f"f-{n}-delete"):
            continue
        row = FieldRow(
            name=data.get(f"f-{n}-name", "")[:60],
            label=data.get(f"f-{n}-label", "")[:300],
            type=data.get(f"f-{n}-type", ""),
            required=bool(data.get(f"f-{n}-required")),
            choices=data.get(f"f-{n}-choices", "")[:1000],
            validation=data.get(f"f-{n}-validation", "")[:200],
        )
        if not row.is_blank():
            rows.append(row)
    return rows


def _nodes_label(node: MenuNode) -> str:
    return f"{node.path()} · {node.label}"


class NodeForm(forms.Form):
    """One node of a draft: where it sits, its letter and label, its text, and what it does."""

    parent = forms.TypedChoiceField(
        label=_("Nel menu"), required=False, coerce=int, empty_value=None
    )
    letter = forms.CharField(
        label=_("Lettera"),
        required=False,
        max_length=10,  # longer than a letter, so the editor reads the rule, not a length
        help_text=_("Una o due lettere maiuscole o cifre, uniche nello stesso menu."),
        widget=forms.TextInput(attrs={"class": "text-uppercase", "autocomplete": "off"}),
    )
    label = forms.CharField(
        label=_("Etichetta"),
        required=False,
        max_length=120,
        help_text=_(
            "Il nome della voce nell'elenco. Su WhatsApp lettera ed etichetta insieme («C. "
            "Segnala un guasto») stanno intere in una riga di lista fino a 24 caratteri, in un "
            "pulsante fino a 20."
        ),
    )
    kind = forms.ChoiceField(label=_("Tipo"), choices=MenuNode.Kind.choices)
    text = forms.CharField(
        label=_("Testo"),
        required=False,
        max_length=5000,
        help_text=_("Quello che l'assistente scrive quando il cittadino sceglie la voce."),
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    article_q = forms.CharField(
        label=_("Cerca un articolo per titolo"), required=False, max_length=100
    )
    article = forms.TypedChoiceField(
        label=_("Articolo"), required=False, coerce=int, empty_value=None
    )
    url = forms.CharField(
        label=_("Collegamento"),
        required=False,
        max_length=200,
        help_text=_("Un indirizzo che inizia con https://."),
        widget=forms.URLInput(attrs={"inputmode": "url"}),
    )
    handoff = forms.ChoiceField(
        label=_("Passa la conversazione a"),
        required=False,
        choices=[("", "—"), *MenuNode.Handoff.choices],
    )
    phone = forms.CharField(label=_("Numero di contatto"), required=False, max_length=40)
    theme_code = forms.ChoiceField(
        label=_("Tema del caso"),
        required=False,
        help_text=_("Il tema del caso che si apre con il modulo o con il passaggio all'operatore."),
    )

    def __init__(
        self,
        *args: Any,
        version: MenuVersion,
        node: MenuNode | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.version = version
        self.node = node
        excluded = set()
        if node is not None:
            excluded = {node.pk} | descendants(version, node.pk)
        submenus = [
            n
            for n in version.nodes.filter(kind=MenuNode.Kind.SUBMENU)
            .select_related("parent__parent__parent")
            .order_by("parent_id", "position", "letter")
            if n.pk not in excluded
        ]
        parent_field: Any = self.fields["parent"]
        parent_field.choices = [
            ("", _("Menu principale")),
            *sorted(((n.pk, _nodes_label(n)) for n in submenus), key=lambda c: c[1]),
        ]
        theme_field: Any = self.fields["theme_code"]
        choices = theme_choices()
        choices[0] = ("", _("Nessun tema"))
        theme_field.choices = choices
        query = (self.data.get("article_q") if self.is_bound else "") or ""
        chosen = self.data.get("article") if self.is_bound else self.initial.get("article")
        article_field: Any = self.fields["article"]
        article_field.choices = article_choices(query, chosen)
        for bound in self:
            widget = bound.field.widget
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            if not isinstance(widget, forms.Textarea | forms.TextInput | forms.Select):
                continue
            widget.attrs["class"] = f"{css} {widget.attrs.get('class', '')}".strip()

    def full_clean(self) -> None:
        super().full_clean()
        self.point_errors()

    def point_errors(self) -> None:
        """Point each invalid field at its message (for screen readers)."""
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["aria-describedby"] = f"{name}-error"
                self.fields[name].widget.attrs["aria-invalid"] = "true"

    def parent_node(self) -> MenuNode | None:
        pk = self.cleaned_data.get("parent")
        return self.version.nodes.filter(pk=pk).first() if pk else None

    def values(self, rows: list[FieldRow]) -> NodeInput:
        data = self.cleaned_data
        pk = data.get("article")
        article = Article.objects.filter(pk=pk).first() if pk else None
        return NodeInput(
            letter=data.get("letter") or "",
            label=data.get("label") or "",
            kind=data.get("kind") or "",
            text=data.get("text") or "",
            article=article,
            url=data.get("url") or "",
            phone=data.get("phone") or "",
            handoff=data.get("handoff") or "",
            theme_code=data.get("theme_code") or "",
            fields=[row.as_field() for row in rows],
        )


def article_choices(query: str, chosen: Any = None) -> list[tuple[Any, str]]:
    """The articles a card may show: the one chosen, then those whose title holds `query`
    (published, for citizens); "—" first."""
    articles = Article.objects.filter(is_published=True, audience=Article.Audience.PUBLIC)
    found: list[Article] = []
    try:
        chosen_pk = int(chosen) if chosen else None
    except (TypeError, ValueError):
        chosen_pk = None
    if chosen_pk:
        # The chosen article stays offered even if it was unpublished since: the editor then
        # reads why it is refused instead of seeing it vanish.
        found.extend(Article.objects.filter(pk=chosen_pk))
    query = query.strip()
    if query:
        found.extend(
            articles.filter(title__icontains=query).exclude(pk=chosen_pk or 0)[:ARTICLE_RESULTS]
        )
    elif not chosen_pk:
        found.extend(articles.order_by("title")[:ARTICLE_RESULTS])
    return [("", "—"), *((a.pk, a.title) for a in found)]


class GreetingForm(forms.Form):
    greeting = forms.CharField(
        label=_("Messaggio di benvenuto"),
        required=False,
        max_length=4096,
        help_text=_(
            "Il primo messaggio di ogni conversazione: chi è l'assistente, e che non conserva "
            "nome né numero. Vuoto, l'assistente usa il suo benvenuto predefinito."
        ),
        widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}),
    )


class NewMenuForm(forms.Form):
    code = forms.SlugField(
        label=_("Codice"),
        max_length=50,
        help_text=_("Lettere minuscole, cifre e trattini: il canale WhatsApp lo nomina."),
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    name = forms.CharField(
        label=_("Nome"), max_length=120, widget=forms.TextInput(attrs={"class": "form-control"})
    )
