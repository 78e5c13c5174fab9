"""The filters of a survey's results page: the reports' period chooser, and a channel, an office
and a service. A plain GET form, like the reports'."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ascolto.channels.models import Channel
from ascolto.organisation.models import Office
from ascolto.surveys.models import Service
from ascolto.surveys.results import Filters
from ascolto.web.views.console.reports_forms import PeriodForm, period_form


class ResultsForm(PeriodForm):
    canale = forms.ChoiceField(label=_("Canale"), required=False)
    ufficio = forms.ChoiceField(label=_("Ufficio"), required=False)
    servizio = forms.ChoiceField(label=_("Servizio"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        every: list[tuple[str, Any]] = [("", _("Tutti"))]
        offices = Office.objects.order_by("path").values_list("pk", "name")
        choices = {
            "canale": every + list(Channel.Kind.choices),
            "ufficio": every + [(str(pk), name) for pk, name in offices],
            "servizio": every + list(Service.objects.values_list("code", "name")),
        }
        for name, options in choices.items():
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)  # noqa: S101 (declared above)
            field.choices = options

    def filters(self) -> Filters:
        data = self.cleaned_data
        chosen = str(data.get("ufficio") or "")
        office = Office.objects.filter(pk=int(chosen)).first() if chosen.isdigit() else None
        service = Service.objects.filter(code=data.get("servizio") or "").first()
        return Filters(channel=data.get("canale") or "", office=office, service=service)


def results_form(params: Any) -> ResultsForm:
    """Bound to the query string, or to this year when nothing was chosen."""
    if "periodo" in params:
        return ResultsForm(params)
    return ResultsForm(period_form(params, default="anno").data)
