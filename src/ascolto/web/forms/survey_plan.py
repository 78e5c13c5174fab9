"""The form of one survey of the yearly plan (console "Piano indagini"); the rules are
`surveys.plan.check_entry`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ascolto.core.errors import InvalidInput
from ascolto.surveys import plan
from ascolto.surveys.models import Survey, SurveyPlanEntry
from ascolto.web.forms.charters import TEXT, _date


class PlanEntryForm(forms.Form):
    year = forms.IntegerField(
        label=_("Anno del piano"),
        min_value=2000,
        max_value=2100,
        widget=forms.NumberInput(attrs=TEXT),
    )
    department = forms.ModelChoiceField(
        label=_("Direzione"), queryset=plan.departments(), empty_label=None
    )
    title = forms.CharField(label=_("Indagine"), max_length=200, widget=forms.TextInput(attrs=TEXT))
    subject = forms.CharField(
        label=_("Oggetto"), required=False, widget=forms.Textarea(attrs={"rows": 2, **TEXT})
    )
    audience = forms.CharField(
        label=_("Destinatari"), required=False, max_length=200, widget=forms.TextInput(attrs=TEXT)
    )
    starts_on = _date(_("Inizio"))
    ends_on = _date(_("Fine"))
    school_year = forms.CharField(
        label=_("Anno scolastico"),
        required=False,
        max_length=9,
        widget=forms.TextInput(attrs=TEXT),
        help_text=_("Per le indagini delle scuole, per esempio 2026/2027."),
    )
    state = forms.ChoiceField(label=_("Stato"), choices=SurveyPlanEntry.State.choices)
    owner = forms.CharField(
        label=_("Referente"), required=False, max_length=200, widget=forms.TextInput(attrs=TEXT)
    )
    survey = forms.ModelChoiceField(
        label=_("Questionario collegato"),
        queryset=Survey.objects.order_by("title"),
        required=False,
    )
    results_url = forms.URLField(
        label=_("Risultati (indirizzo)"),
        required=False,
        widget=forms.URLInput(attrs=TEXT),
        assume_scheme="https",
    )
    notes = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2, **TEXT})
    )

    @classmethod
    def initial_from(cls, entry: SurveyPlanEntry) -> dict[str, Any]:
        return {
            name: getattr(entry, name)
            for name in cls.base_fields
            if name not in ("department", "survey")
        } | {"department": entry.department_id, "survey": entry.survey_id}

    def data_or_errors(self) -> plan.EntryData | None:
        if not self.is_valid():
            return None
        try:
            return plan.check_entry(plan.EntryData(**self.cleaned_data))
        except InvalidInput as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)
            return None
