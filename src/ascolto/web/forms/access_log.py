"""The DPO's filters on the access log of personal data: a person, an operator, a period."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ascolto.organisation.models import User


class _UserChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        name = obj.get_full_name()
        return f"{name} ({obj.username})" if name else str(obj.username)


class LogFilterForm(forms.Form):
    """A GET form (bookmarkable; only ids and dates land in the URL, never a name typed)."""

    cittadino = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    operatore = _UserChoice(
        label=_("Operatore"),
        queryset=User.objects.order_by("username"),
        required=False,
        empty_label=_("Tutti"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    dal = forms.DateField(
        label=_("Dal"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
    )
    al = forms.DateField(
        label=_("Al"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since: date | None = data.get("dal")
        until: date | None = data.get("al")
        if since and until and until < since:
            self.add_error("al", _("La data finale è precedente a quella iniziale: correggila."))
        return data


class PersonSearchForm(forms.Form):
    """Who to look for: a name, email, phone, fiscal code or case code (POSTed)."""

    q = forms.CharField(
        label=_("Cerca la persona"),
        max_length=200,
        help_text=_("Nome, email, telefono, codice fiscale o codice pratica."),
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )
