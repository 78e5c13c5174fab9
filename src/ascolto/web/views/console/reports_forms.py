"""The period chooser of the report pages: a month, a year or two dates."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ascolto.analytics.period import Period

MIN_YEAR, MAX_YEAR = 2000, 2100


class PeriodForm(forms.Form):
    periodo = forms.ChoiceField(
        label=_("Periodo"),
        choices=[("mese", _("Mese")), ("anno", _("Anno")), ("personalizzato", _("Personalizzato"))],
        initial="anno",
    )
    mese = forms.CharField(
        label=_("Mese"),
        required=False,
        widget=forms.DateInput(attrs={"type": "month", "placeholder": "AAAA-MM"}),
        help_text=_("per il periodo «Mese», nel formato AAAA-MM"),
    )
    anno = forms.IntegerField(
        label=_("Anno"), required=False, min_value=MIN_YEAR, max_value=MAX_YEAR
    )
    dal = forms.DateField(
        label=_("Dal"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    al = forms.DateField(
        label=_("Al"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    confronto = forms.IntegerField(
        label=_("Confronta con l'anno"),
        required=False,
        min_value=MIN_YEAR,
        max_value=MAX_YEAR,
        help_text=_("vuoto: l'anno precedente"),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("periodo")
        period: Period | None = None
        if kind == "mese":
            text = (data.get("mese") or "").strip()
            try:
                year, month = (int(x) for x in text.split("-"))
                period = Period.month(year, month)
                if not MIN_YEAR <= year <= MAX_YEAR:
                    raise ValueError
            except ValueError:
                self.add_error(
                    "mese", _("Indica il mese nel formato AAAA-MM, per esempio 2026-03.")
                )
        elif kind == "anno":
            if data.get("anno") is None:
                if "anno" not in self.errors:
                    self.add_error("anno", _("Indica l'anno."))
            else:
                period = Period.year(data["anno"])
        elif kind == "personalizzato":
            start, end = data.get("dal"), data.get("al")
            if start is None and "dal" not in self.errors:
                self.add_error("dal", _("Indica la data di inizio."))
            if end is None and "al" not in self.errors:
                self.add_error("al", _("Indica la data di fine."))
            if start and end:
                if end < start:
                    self.add_error("al", _("La data di fine precede la data di inizio."))
                elif (end - start).days > 3 * 366:
                    self.add_error("al", _("Il periodo può durare al massimo tre anni."))
                else:
                    period = Period(start, end)
        data["period"] = period
        return data


def period_form(params: Any) -> PeriodForm:
    """The form bound to the query string, or to this year when nothing was chosen."""
    if "periodo" not in params:
        today = timezone.localdate()
        return PeriodForm({"periodo": "anno", "anno": today.year, "mese": f"{today:%Y-%m}"})
    return PeriodForm(params)
