"""The forms the analysts and administrators define a service charter and its indicators with
(console "Carte dei servizi"); the rules are `charters.actions`."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ascolto.charters.actions import CharterData, IndicatorData, check_indicator
from ascolto.charters.models import QualityIndicator, ServiceCharter
from ascolto.core.errors import InvalidInput
from ascolto.organisation.models import Office
from ascolto.surveys.models import Service

TEXT = {"class": "form-control"}
DATE = forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d")


def _date(label: Any, required: bool = False) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        widget=DATE,
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        error_messages={"invalid": _("Scrivi la data come 31/12/2026.")},
    )


class CharterForm(forms.Form):
    title = forms.CharField(label=_("Titolo"), max_length=200, widget=forms.TextInput(attrs=TEXT))
    slug = forms.SlugField(
        label=_("Indirizzo della pagina pubblica"),
        max_length=80,
        widget=forms.TextInput(attrs=TEXT),
        help_text=_(
            "Lettere minuscole, numeri e trattini: /trasparenza/carte-dei-servizi/<indirizzo>/"
        ),
    )
    service = forms.ModelChoiceField(
        label=_("Servizio"), queryset=Service.objects.order_by("name"), empty_label=None
    )
    office = forms.ModelChoiceField(
        label=_("Ufficio responsabile"),
        queryset=Office.objects.filter(is_active=True).order_by("name"),
        required=False,
    )
    summary = forms.CharField(
        label=_("Presentazione"), required=False, widget=forms.Textarea(attrs={"rows": 3, **TEXT})
    )
    issued_on = _date(_("Data di emanazione"), required=True)
    updated_on = _date(_("Ultimo aggiornamento"))
    next_update_on = _date(_("Prossimo aggiornamento previsto"))
    update_state = forms.ChoiceField(
        label=_("Stato delle attività di aggiornamento"),
        choices=ServiceCharter.UpdateState.choices,
    )
    document_url = forms.URLField(
        label=_("Documento (indirizzo del PDF)"),
        required=False,
        widget=forms.URLInput(attrs=TEXT),
        assume_scheme="https",
    )
    document = forms.FileField(
        label=_("Documento (file PDF)"),
        required=False,
        widget=forms.FileInput(attrs={"class": "form-control", "accept": "application/pdf"}),
        help_text=_(
            "In alternativa all'indirizzo: il PDF della carta, al massimo 20 MB. Se c'è, la "
            "pagina pubblica offre questo file."
        ),
    )
    remove_document = forms.BooleanField(label=_("Togli il file caricato"), required=False)
    published = forms.BooleanField(
        label=_("Pubblicata in Amministrazione trasparente"), required=False
    )

    # The uploaded file is not a field of `CharterData`: `save_charter` takes it apart.
    FILE_FIELDS = ("document", "remove_document")

    @classmethod
    def initial_from(cls, charter: ServiceCharter) -> dict[str, Any]:
        return {
            name: getattr(charter, name)
            for name in cls.base_fields
            if name not in ("service", "office", *cls.FILE_FIELDS)
        } | {"service": charter.service_id, "office": charter.office_id}

    def data_or_errors(self, charter: ServiceCharter | None = None) -> CharterData | None:
        if not self.is_valid():
            return None
        return CharterData(
            **{k: v for k, v in self.cleaned_data.items() if k not in self.FILE_FIELDS}
        )


class IndicatorForm(forms.Form):
    name = forms.CharField(
        label=_("Impegno"),
        max_length=200,
        widget=forms.TextInput(attrs=TEXT),
        help_text=_("Come lo scrive la carta: «Risposta alle richieste entro 30 giorni»."),
    )
    description = forms.CharField(
        label=_("Descrizione"), required=False, widget=forms.Textarea(attrs={"rows": 2, **TEXT})
    )
    formula = forms.ChoiceField(label=_("Formula"), choices=QualityIndicator.Formula.choices)
    parameters = forms.CharField(
        label=_("Parametri (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control font-monospace"}),
        help_text=_(
            'Per esempio {"theme": "iscrizione-nidi", "days": 30} oppure {"queues": ["generale"]}: '
            "docs/charters.md elenca i parametri di ogni formula."
        ),
    )
    target = forms.FloatField(
        label=_("Obiettivo"), widget=forms.NumberInput(attrs={"step": "any", **TEXT})
    )
    direction = forms.ChoiceField(
        label=_("Il valore deve essere"), choices=QualityIndicator.Direction.choices
    )
    unit = forms.CharField(
        label=_("Unità"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs=TEXT),
        help_text=_("Vuota: quella della formula (%, giorni, s, su 5)."),
    )
    period = forms.ChoiceField(label=_("Misurato per"), choices=QualityIndicator.Frequency.choices)
    position = forms.IntegerField(
        label=_("Ordine"), min_value=0, initial=0, widget=forms.NumberInput(attrs=TEXT)
    )

    @classmethod
    def initial_from(cls, indicator: QualityIndicator) -> dict[str, Any]:
        return {name: getattr(indicator, name) for name in cls.base_fields} | {
            "parameters": json.dumps(indicator.parameters, ensure_ascii=False)
        }

    def clean_parameters(self) -> Any:
        text = (self.cleaned_data.get("parameters") or "").strip()
        if not text:
            return {}
        try:
            return json.loads(text)
        except ValueError as exc:
            raise forms.ValidationError(
                _('Non è JSON valido: scrivi per esempio {"days": 30}.')
            ) from exc

    def data_or_errors(self) -> IndicatorData | None:
        if not self.is_valid():
            return None
        data = IndicatorData(**self.cleaned_data)
        try:
            return check_indicator(data)
        except InvalidInput as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)
            return None
