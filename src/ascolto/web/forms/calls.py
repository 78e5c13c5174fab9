"""The form a contact-center operator fills during a call (console "Registra chiamata")."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ascolto.citizens.handles import normalise_email, normalise_fiscal_code, normalise_phone
from ascolto.citizens.models import Citizen
from ascolto.citizens.sender import Sender
from ascolto.contactcenter.actions import CALL_OUTCOMES, ESCALATE, RESOLVE
from ascolto.core import access
from ascolto.core.errors import InvalidInput
from ascolto.organisation.models import Office
from ascolto.tickets.models import Theme, Ticket

PHONE_ERROR = _(
    "Numero di telefono non valido: scrivilo per intero, per esempio 333 123 4567 o "
    "+39 02 1234 5678."
)
FISCAL_CODE_ERROR = _(
    "Codice fiscale non valido: servono 16 caratteri e l'ultimo (il carattere di controllo) "
    "deve corrispondere agli altri."
)
EMAIL_ERROR = _("Indirizzo email non valido, per esempio nome.cognome@example.it.")
MAX_TEXT = 4000

# A phone call is not a callback booking (that has its own flow with a slot).
KINDS = [(value, label) for value, label in Ticket.Kind.choices if value != Ticket.Kind.CALLBACK]
OUTCOMES = [
    (RESOLVE, _("Risolto al primo contatto")),
    (ESCALATE, _("Inoltra a un ufficio")),
]
assert {value for value, _label in OUTCOMES} == set(CALL_OUTCOMES)  # noqa: S101


def theme_choices() -> list[tuple[str, Any]]:
    """The active taxonomy as grouped choices: one group per area, holding the area itself, its
    themes and their topics, each labelled with its path ("Tributi › TARI › Dichiarazione")."""
    nodes = list(
        Theme.objects.filter(is_active=True).order_by("path").values("code", "name", "path")
    )
    names = {node["path"]: node["name"] for node in nodes}
    groups: dict[str, list[tuple[str, str]]] = {}
    for node in nodes:
        parts = node["path"].strip("/").split("/")
        prefixes = ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]
        label = " › ".join(names.get(prefix, "?") for prefix in prefixes)
        groups.setdefault(names.get(prefixes[0], parts[0]), []).append((node["code"], label))
    return [("", _("Scegli il tema")), *groups.items()]


class CallForm(forms.Form):
    """Who called, what they asked, what they were told, and how the call ends."""

    phone = forms.CharField(
        label=_("Numero di telefono"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )
    fiscal_code = forms.CharField(
        label=_("Codice fiscale"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "class": "text-uppercase"}),
    )
    first_name = forms.CharField(label=_("Nome"), required=False, max_length=100)
    last_name = forms.CharField(label=_("Cognome"), required=False, max_length=100)
    email = forms.CharField(label=_("Email"), required=False, max_length=254)
    citizen = forms.IntegerField(required=False, widget=forms.HiddenInput)
    started_at = forms.CharField(required=False, widget=forms.HiddenInput)
    call_id = forms.CharField(
        label=_("ID della chiamata (centralino)"),
        required=False,
        max_length=60,
        help_text=_("Facoltativo: collega la chiamata registrata dal centralino."),
    )
    kind = forms.ChoiceField(label=_("Tipo di richiesta"), choices=KINDS)
    theme = forms.ChoiceField(label=_("Tema"), choices=())
    question = forms.CharField(
        label=_("Che cosa ha chiesto il cittadino"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Scrivi che cosa ha chiesto il cittadino.")},
    )
    answer = forms.CharField(
        label=_("Che cosa è stato risposto"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    outcome = forms.ChoiceField(
        label=_("Esito della chiamata"),
        choices=OUTCOMES,
        widget=forms.RadioSelect,
        initial=RESOLVE,
    )
    office = forms.ModelChoiceField(
        label=_("Ufficio a cui inoltrare"),
        queryset=Office.objects.none(),
        required=False,
        empty_label=_("Scegli l'ufficio"),
    )
    note = forms.CharField(
        label=_("Nota per l'ufficio"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user  # whose scope the chosen citizen must be in (`core.access`)
        theme = self.fields["theme"]
        assert isinstance(theme, forms.ChoiceField)  # noqa: S101
        theme.choices = theme_choices()
        theme.error_messages["required"] = _("Scegli il tema della richiesta.")
        office = self.fields["office"]
        assert isinstance(office, forms.ModelChoiceField)  # noqa: S101
        office.queryset = Office.objects.filter(is_active=True).order_by("name")
        self.chosen_citizen: Citizen | None = None
        for bound in self.fields.values():
            if isinstance(bound.widget, forms.TextInput | forms.Textarea):
                classes = bound.widget.attrs.get("class", "")
                bound.widget.attrs["class"] = f"form-control {classes}".strip()
        # As the operator types the number or the code, the matching citizens appear (HTMX).
        # POST, so that phone numbers and fiscal codes stay out of URLs and access logs.
        lookup = {
            "hx-post": reverse("console:call-lookup"),
            "hx-trigger": "input changed delay:400ms",
            "hx-target": "#caller-lookup",
            "hx-include": "#id_phone, #id_fiscal_code, #id_citizen",
        }
        for name in ("phone", "fiscal_code"):
            self.fields[name].widget.attrs.update(lookup)

    # --- Field checks: the domain's normalisers, with Italian messages ----------------------

    def _normalised(self, name: str, normalise: Callable[[str], str], error: Any) -> str:
        raw = str(self.cleaned_data.get(name) or "").strip()
        if not raw:
            return ""
        try:
            return normalise(raw)
        except InvalidInput as exc:
            raise forms.ValidationError(error, code=name) from exc

    def clean_phone(self) -> str:
        return self._normalised("phone", normalise_phone, PHONE_ERROR)

    def clean_fiscal_code(self) -> str:
        return self._normalised("fiscal_code", normalise_fiscal_code, FISCAL_CODE_ERROR)

    def clean_email(self) -> str:
        return self._normalised("email", normalise_email, EMAIL_ERROR)

    def clean_theme(self) -> Theme:
        code = self.cleaned_data.get("theme")
        theme = Theme.objects.filter(code=code, is_active=True).first()
        if theme is None:
            raise forms.ValidationError(_("Scegli il tema della richiesta."), code="theme")
        return theme

    def clean_citizen(self) -> Citizen | None:
        pk = self.cleaned_data.get("citizen")
        if not pk:
            return None
        citizen = access.visible_citizens(
            Citizen.objects.filter(pk=pk, merged_into=None), self.user
        ).first()
        if citizen is None:
            raise forms.ValidationError(_("Il cittadino scelto non esiste più: cercalo di nuovo."))
        self.chosen_citizen = citizen
        return citizen

    def clean_started_at(self) -> datetime | None:
        raw = str(self.cleaned_data.get("started_at") or "")
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            return None  # the time the form was opened is a convenience: now will do
        return moment if timezone.is_aware(moment) else None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # noqa: S101
        outcome = data.get("outcome")
        if outcome == RESOLVE and not str(data.get("answer") or "").strip():
            self.add_error(
                "answer", _("Scrivi la risposta data: serve per risolvere al primo contatto.")
            )
        if outcome == ESCALATE:
            if not data.get("office"):
                self.add_error("office", _("Scegli l'ufficio a cui inoltrare il caso."))
            if not str(data.get("note") or "").strip():
                self.add_error("note", _("Scrivi una nota per l'ufficio: che cosa deve fare."))
        citizen = data.get("citizen")
        has_phone = bool(data.get("phone")) or "phone" in self.errors
        if not (has_phone or data.get("email") or "email" in self.errors or citizen):
            self.add_error(
                "phone",
                _(
                    "Indica il numero del chiamante, oppure la sua email, oppure cerca e scegli "
                    "un cittadino già noto."
                ),
            )
        code = data.get("fiscal_code")
        if isinstance(citizen, Citizen) and code and citizen.fiscal_code not in ("", code):
            self.add_error(
                "fiscal_code", _("Il codice fiscale è diverso da quello del cittadino scelto.")
            )
        return data

    def sender(self) -> Sender:
        """Who the caller said they are, for `log_call` (once the form is valid): the fields
        were checked one by one above, each with its own message; `Sender` keeps them as they
        are (already normalised)."""
        data = self.cleaned_data
        return Sender(
            first_name=data["first_name"],
            last_name=data["last_name"],
            fiscal_code=data["fiscal_code"],
            email=data["email"],
            phone=data["phone"],
        )

    def flag_errors(self) -> None:
        """Mark the fields in error for assistive technology (aria-invalid, described by the
        error message) once the form has been validated."""
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["aria-invalid"] = "true"
                attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()
                attrs["aria-describedby"] = f"{name}-error"
