"""Forms of the inbox: the filters (a GET form, bookmarkable), bulk changes and saved views."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db import connection
from django.db.models import QuerySet
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from ascolto.channels.models import Channel
from ascolto.core import access
from ascolto.core.text import html_escape
from ascolto.organisation.models import Office, Team, User
from ascolto.tickets.inbox import ACTIVE, ALL, InboxQuery
from ascolto.tickets.models import Campaign, Tag, Theme, Ticket
from ascolto.web.models import SavedView


def _indented(obj: Any) -> str:
    """A tree node (theme, office) shown with its depth, so an area and its themes read apart."""
    depth = obj.path.strip("/").count("/")
    return f"{'— ' * depth}{obj.name}"


class _IndentedChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return _indented(obj)


class _OperatorChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj)


def operators() -> QuerySet[User]:
    return User.objects.filter(
        is_active=True, role__in=sorted(access.CASE_HANDLERS - {User.Role.SUPERVISOR})
    ).order_by("last_name", "first_name", "username")


@dataclass
class References:
    """The small tables the inbox's lists are made of, read once per page (one query each)."""

    channels: list[Channel]
    themes: list[Theme]
    offices: list[Office]
    teams: list[Team]
    operators: list[User]
    campaigns: list[Campaign]
    tags: list[Tag]

    @classmethod
    def load(cls) -> References:
        """The lists, from this process's memory while no row was added or removed and for at
        most `REFERENCES_TTL` seconds (a renamed office shows its new name within that)."""
        global _cached
        key = _fingerprint()
        now = time.monotonic()
        if _cached is not None and _cached[0] == key and now - _cached[1] < REFERENCES_TTL:
            return _cached[2]
        refs = cls.read()
        _cached = (key, now, refs)
        return refs

    @classmethod
    def read(cls) -> References:
        return cls(
            channels=list(Channel.objects.order_by("name")),
            themes=list(Theme.objects.filter(is_active=True)),
            offices=list(Office.objects.filter(is_active=True)),
            teams=list(Team.objects.filter(is_active=True).select_related("office")),
            operators=list(operators()),
            campaigns=list(Campaign.objects.all()),
            tags=list(Tag.objects.all()),
        )


REFERENCES_TTL = 60.0
_cached: tuple[tuple[Any, ...], float, References] | None = None
_FINGERPRINTED = (Channel, Theme, Office, Team, User, Campaign, Tag)


def _fingerprint() -> tuple[Any, ...]:
    """How many rows each list's table holds and its highest id, in one query: changes when a
    row is added or removed (and when a test database is flushed and filled again)."""
    parts = ", ".join(
        f"(SELECT COUNT(*) FROM {m._meta.db_table}), (SELECT MAX(id) FROM {m._meta.db_table})"  # noqa: S608
        for m in _FINGERPRINTED
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {parts}")  # noqa: S608
        row = cursor.fetchone()
    return (connection.alias, connection.settings_dict["NAME"], *(row or ()))


STATUS_CHOICES = [
    (ACTIVE, _("Attivi")),
    (ALL, _("Tutti")),
    *Ticket.Status.choices,
]
SLA_CHOICES = [
    ("", _("Qualsiasi")),
    ("on_time", _("In tempo")),
    ("due_soon", _("In scadenza entro 48 ore")),
    ("breached", _("Scaduti")),
]
SORT_CHOICES = [
    ("", _("Predefinito (pertinenza nella ricerca, poi più recenti)")),
    ("newest", _("Più recenti")),
    ("oldest", _("Meno recenti")),
    ("due", _("Scadenza")),
    ("updated", _("Ultimo aggiornamento")),
]
ANY = ("", _("Qualsiasi"))


def _pk_choices(
    rows: list[Any], label: Any = str, empty: tuple[str, Any] = ANY
) -> list[tuple[str, Any]]:
    return [empty, *[(str(row.pk), label(row)) for row in rows]]


class InboxFilterForm(forms.Form):
    """The inbox's filters, validated against lists read once (no query per field). A value
    that is not valid is reported next to its field and ignored; the other filters apply."""

    q = forms.CharField(label=_("Cerca"), required=False, max_length=200)
    status = forms.ChoiceField(label=_("Stato"), choices=STATUS_CHOICES, required=False)
    sla = forms.ChoiceField(label=_("Scadenza (SLA)"), choices=SLA_CHOICES, required=False)
    channel = forms.ChoiceField(label=_("Canale"), required=False)
    kind = forms.ChoiceField(label=_("Tipo"), choices=[ANY, *Ticket.Kind.choices], required=False)
    theme = forms.ChoiceField(label=_("Tema"), required=False)
    office = forms.ChoiceField(label=_("Ufficio"), required=False)
    team = forms.ChoiceField(label=_("Team"), required=False)
    assignee = forms.ChoiceField(label=_("Assegnatario"), required=False)
    campaign = forms.ChoiceField(label=_("Campagna"), required=False)
    tag = forms.ChoiceField(label=_("Etichetta"), required=False)
    sort = forms.ChoiceField(label=_("Ordina per"), choices=SORT_CHOICES, required=False)

    def __init__(self, *args: Any, user: User, refs: References, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offices, teams = refs.offices, refs.teams
        if not access.sees_every_office(user):
            mine = user.office.path if user.office is not None else None
            offices = [o for o in offices if mine and o.path.startswith(mine)]
            teams = [t for t in teams if mine and t.office.path.startswith(mine)]
        self.themes = {str(t.pk): t for t in refs.themes}
        self.offices = {str(o.pk): o for o in offices}
        choices: dict[str, list[tuple[str, Any]]] = {
            "channel": _pk_choices(refs.channels),
            "theme": _pk_choices(refs.themes, _indented),
            "office": _pk_choices(offices, _indented),
            "team": _pk_choices(teams),
            "campaign": _pk_choices(refs.campaigns),
            "tag": _pk_choices(refs.tags),
            "assignee": [
                ("", _("Chiunque")),
                ("me", _("Assegnati a me")),
                ("none", _("Non assegnati")),
                *[(str(u.pk), str(u)) for u in refs.operators],
            ],
        }
        for name, values in choices.items():
            self.fields[name].choices = values  # type: ignore[attr-defined]

    def query(self) -> InboxQuery:
        """The filters that are valid (all of them, unless an error is shown)."""
        data: dict[str, Any] = {}
        if self.is_bound:
            self.is_valid()
            data = self.cleaned_data

        def pk(name: str) -> int | None:
            value = data.get(name)
            return int(value) if value else None

        return InboxQuery(
            channel=pk("channel"),
            status=data.get("status") or ACTIVE,
            kind=data.get("kind") or "",
            theme=self.themes.get(data.get("theme") or ""),
            office=self.offices.get(data.get("office") or ""),
            team=pk("team"),
            assignee=data.get("assignee") or "",
            campaign=pk("campaign"),
            tag=pk("tag"),
            sla=data.get("sla") or "",
            text=(data.get("q") or "").strip(),
            sort=data.get("sort") or "",
        )


def options_html(choices: Iterable[tuple[Any, Any]], selected: Any = "") -> SafeString:
    """The <option>s of a select, made in one pass (a template per option costs ~0.1 ms each,
    `format_html` per option ~20 µs, and the inbox shows several hundred)."""
    chosen = str(selected or "")
    parts = []
    for value, label in choices:
        text = str(value)
        mark = " selected" if text == chosen else ""
        parts.append(f'<option value="{html_escape(text)}"{mark}>{html_escape(label)}</option>')
    return mark_safe("".join(parts))  # noqa: S308 (each value escaped above)


def filter_selects_html(form: forms.Form, skip: str = "q") -> SafeString:
    """The filter panel's selects (every field of `form` but `skip`), each with its label and
    errors, made in one pass: as a template loop they cost ~1.5 ms a page
    (`benchmarks/inbox.py`)."""
    parts = []
    for name, field in form.fields.items():
        if name == skip:
            continue
        bound = form[name]
        key = html_escape(bound.id_for_label)
        errors = list(bound.errors)
        invalid = f' aria-invalid="true" aria-describedby="{key}-error"' if errors else ""
        shown = "".join(
            f'<div class="text-danger small" id="{key}-error">{html_escape(e)}</div>'
            for e in errors
        )
        options = options_html(getattr(field, "choices", []), bound.value())
        parts.append(
            '<div class="col-6">'
            f'<label for="{key}" class="form-label fw-semibold small mb-0">'
            f"{html_escape(bound.label)}</label>"
            f'<select name="{html_escape(bound.html_name)}" id="{key}"'
            f' class="form-select form-select-sm"{invalid}>{options}</select>{shown}</div>'
        )
    return mark_safe("".join(parts))  # noqa: S308 (each value escaped above)


def bulk_choices(refs: References) -> list[dict[str, Any]]:
    """The bulk-change selects of the inbox page, from the lists already read."""
    return [
        {
            "name": "action",
            "label": _("Azione"),
            "options": options_html([("", _("Azione…")), *BULK_ACTIONS]),
        },
        {
            "name": "team",
            "label": _("Team"),
            "options": options_html(_pk_choices(refs.teams, empty=("", _("Team…")))),
        },
        {
            "name": "assignee",
            "label": _("Operatore"),
            "options": options_html(_pk_choices(refs.operators, empty=("", _("Operatore…")))),
        },
        {
            "name": "tag",
            "label": _("Etichetta"),
            "options": options_html(_pk_choices(refs.tags, empty=("", _("Etichetta…")))),
        },
        {
            "name": "office",
            "label": _("Ufficio"),
            "options": options_html(
                _pk_choices(refs.offices, _indented, empty=("", _("Ufficio…")))
            ),
        },
        {
            "name": "campaign",
            "label": _("Campagna"),
            "options": options_html(_pk_choices(refs.campaigns, empty=("", _("Campagna…")))),
        },
    ]


BULK_ACTIONS = [
    ("assign", _("Assegna")),
    ("tag", _("Aggiungi un'etichetta")),
    ("escalate", _("Passa a un ufficio")),
    ("campaign", _("Collega a una campagna")),
]


class BulkForm(forms.Form):
    """A change applied to the selected cases; the cases are re-read (within what the user may
    see) when it is applied."""

    action = forms.ChoiceField(label=_("Azione"), choices=[("", "—"), *BULK_ACTIONS])
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Team.objects.filter(is_active=True).select_related("office"),
        required=False,
    )
    assignee = _OperatorChoice(label=_("Operatore"), queryset=operators(), required=False)
    tag = forms.ModelChoiceField(label=_("Etichetta"), queryset=Tag.objects.all(), required=False)
    office = _IndentedChoice(
        label=_("Ufficio"), queryset=Office.objects.filter(is_active=True), required=False
    )
    campaign = forms.ModelChoiceField(
        label=_("Campagna"), queryset=Campaign.objects.all(), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = operators()  # type: ignore[attr-defined]
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-select")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        action = data.get("action")
        if action == "assign" and not data.get("team") and not data.get("assignee"):
            self.add_error("assignee", _("Scegli un operatore o un team a cui assegnare i casi."))
        elif action == "tag" and not data.get("tag"):
            self.add_error("tag", _("Scegli l'etichetta da aggiungere."))
        elif action == "escalate" and not data.get("office"):
            self.add_error("office", _("Scegli l'ufficio a cui passare i casi."))
        elif action == "campaign" and not data.get("campaign"):
            self.add_error("campaign", _("Scegli la campagna a cui collegare i casi."))
        return data


class SavedViewForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = SavedView
        fields = ["name", "query"]
        labels = {"name": _("Nome della vista")}
        widgets = {"query": forms.HiddenInput}

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["name"].widget.attrs.update({"class": "form-control"})

    def clean_name(self) -> str:
        name = str(self.cleaned_data["name"]).strip()
        if not name:
            raise forms.ValidationError(_("Dai un nome alla vista."))
        return name

    def clean_query(self) -> str:
        return str(self.cleaned_data.get("query") or "").lstrip("?")
