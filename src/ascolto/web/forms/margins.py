"""The form of a reference population (`/console/indagini/popolazioni/`): its name, source and
date, and one text per dimension, `value | number` a line. Reading the numbers (shares,
percentages or counts) and refusing what cannot be read is `surveys.margins`, whose errors are
put back on their fields (`add_margins_errors`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ascolto.surveys.margins import DIMENSIONS, MarginsInvalid, dimension_text
from ascolto.surveys.models import PopulationMargins

TEXT = {"class": "form-control"}
LINES_HELP = _(
    "Una categoria per riga, «valore | numero»: il valore è quello della risposta alla domanda "
    "(per esempio «F | 0,516»). Quote che sommano a 1, percentuali che sommano a 100, oppure il "
    "numero di residenti di ogni gruppo (numeri interi). Vuoto: non si pesa su questa dimensione."
)


def _lines(label: Any) -> Any:
    return forms.CharField(
        label=label,
        required=False,
        help_text=LINES_HELP,
        widget=forms.Textarea(attrs={**TEXT, "rows": 6, "spellcheck": "false"}),
    )


class MarginsForm(forms.Form):
    name = forms.CharField(label=_("Nome"), max_length=200, widget=forms.TextInput(attrs=TEXT))
    source = forms.CharField(
        label=_("Fonte"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs=TEXT),
        help_text=_("Per esempio «ISTAT, popolazione residente al 1° gennaio 2026»."),
    )
    reference_date = forms.DateField(
        label=_("Data di riferimento"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", **TEXT}, format="%Y-%m-%d"),
    )
    gender = _lines(_("Genere"))
    age = _lines(_("Fascia d'età"))
    district = _lines(_("Municipio"))

    def __init__(self, *args: Any, margins: PopulationMargins | None = None, **kwargs: Any) -> None:
        if margins is not None and "initial" not in kwargs:
            shares = margins.margins or {}
            kwargs["initial"] = {
                "name": margins.name,
                "source": margins.source,
                "reference_date": margins.reference_date,
            } | {dimension: dimension_text(shares.get(dimension)) for dimension in DIMENSIONS}
        super().__init__(*args, **kwargs)

    def dimensions(self) -> dict[str, str]:
        return {dimension: self.cleaned_data.get(dimension, "") for dimension in DIMENSIONS}

    def add_margins_errors(self, error: MarginsInvalid) -> None:
        for field, message in error.errors.items():
            self.add_error(field if field in self.fields else None, message)
