"""The period chooser of the report pages: one control, a kind (month, quarter, year, custom)
and the inputs that kind reads. A plain GET form: it works without JavaScript and its URL can be
shared. The monthly report opens on the last complete month."""

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
        choices=[
            ("mese", _("Mese")),
            ("trimestre", _("Trimestre")),
            ("anno", _("Anno")),
            ("personalizzato", _("Personalizzato")),
        ],
        initial="mese",
    )
    mese = forms.CharField(
        label=_("Mese"),
        required=False,
        widget=forms.DateInput(attrs={"type": "month", "placeholder": "AAAA-MM"}),
        help_text=_("per il periodo «Mese», nel formato AAAA-MM"),
    )
    trimestre = forms.TypedChoiceField(
        label=_("Trimestre"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[
            (1, _("1° (gen–mar)")),
            (2, _("2° (apr–giu)")),
            (3, _("3° (lug–set)")),
            (4, _("4° (ott–dic)")),
        ],
        help_text=_("per il periodo «Trimestre», con l'anno"),
    )
    anno = forms.IntegerField(
        label=_("Anno"),
        required=False,
        min_value=MIN_YEAR,
        max_value=MAX_YEAR,
        help_text=_("per i periodi «Trimestre» e «Anno»"),
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
                period = None
                self.add_error(
                    "mese", _("Indica il mese nel formato AAAA-MM, per esempio 2026-03.")
                )
        elif kind == "trimestre":
            if data.get("anno") is None and "anno" not in self.errors:
                self.add_error("anno", _("Indica l'anno."))
            if data.get("trimestre") is None and "trimestre" not in self.errors:
                self.add_error("trimestre", _("Scegli il trimestre."))
            if data.get("anno") is not None and data.get("trimestre") is not None:
                period = Period.quarter(data["anno"], data["trimestre"])
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
        if period is not None and period.start > timezone.localdate():
            field = {"mese": "mese", "personalizzato": "dal"}.get(str(kind), "anno")
            self.add_error(
                field, _("Il periodo scelto non è ancora iniziato: scegline uno passato.")
            )
            period = None
        data["period"] = period
        return data


def period_form(params: Any, *, default: str = "anno") -> PeriodForm:
    """The form bound to the query string or, when nothing was chosen, to the default: the last
    complete month (`default="mese"`, the monthly report) or this year (the dashboards)."""
    if "periodo" not in params:
        today = timezone.localdate()
        month = Period.last_complete_month(today)
        return PeriodForm(
            {
                "periodo": default,
                "anno": today.year if default == "anno" else month.start.year,
                "trimestre": (month.start.month - 1) // 3 + 1,
                "mese": f"{month.start:%Y-%m}",
            }
        )
    return PeriodForm(params)
