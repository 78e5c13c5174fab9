"""The contact center's operating calendar, as the supervisor edits it on the planning page."""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from ascolto.contactcenter.forecasting import OperatingCalendar

WEEKDAYS = [
    ("0", gettext_lazy("lunedì")),
    ("1", gettext_lazy("martedì")),
    ("2", gettext_lazy("mercoledì")),
    ("3", gettext_lazy("giovedì")),
    ("4", gettext_lazy("venerdì")),
    ("5", gettext_lazy("sabato")),
    ("6", gettext_lazy("domenica")),
]
_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def parse_dates(text: str) -> tuple[date, ...]:
    """Dates one per line or separated by commas, as 31/12/2026 or 2026-12-31."""
    out = []
    for part in re.split(r"[\s,;]+", text.strip()):
        if not part:
            continue
        match = _DATE.match(part)
        try:
            if match:
                day, month, year = (int(g) for g in match.groups())
                out.append(date(year, month, day))
            else:
                out.append(date.fromisoformat(part))
        except ValueError:
            raise forms.ValidationError(
                _("«%(text)s» non è una data: scrivila come 31/12/2026.") % {"text": part}
            ) from None
    return tuple(sorted(set(out)))


def format_dates(days: tuple[date, ...]) -> str:
    return "\n".join(d.strftime("%d/%m/%Y") for d in days)


class CalendarForm(forms.Form):
    """Which days the line answers: weekdays, public holidays, patron day, closures, openings."""

    weekdays = forms.MultipleChoiceField(
        label=gettext_lazy("Giorni di apertura"),
        choices=WEEKDAYS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Nessuno: la previsione li impara dalle chiamate."),
    )
    country = forms.CharField(
        label=gettext_lazy("Festività nazionali del paese"),
        max_length=3,
        required=False,
        help_text=gettext_lazy("Codice ISO, per esempio IT. Vuoto: nessuna festività."),
    )
    subdivision = forms.CharField(
        label=gettext_lazy("Festività locali della provincia"),
        max_length=10,
        required=False,
        help_text=gettext_lazy("Sigla, per esempio MI (Sant'Ambrogio) o RM. Vuoto: nessuna."),
    )
    patron_day = forms.CharField(
        label=gettext_lazy("Santo patrono (giorno/mese)"),
        max_length=5,
        required=False,
        help_text=gettext_lazy("Per esempio 29/06, se la provincia non lo comprende già."),
    )
    closed_on_holidays = forms.BooleanField(
        label=gettext_lazy("Chiuso nei giorni festivi"), required=False
    )
    closed_dates = forms.CharField(
        label=gettext_lazy("Altri giorni di chiusura"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Uno per riga, per esempio 24/12/2026."),
    )
    open_dates = forms.CharField(
        label=gettext_lazy("Aperture straordinarie"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Uno per riga: giorni aperti anche se festivi o di chiusura."),
    )

    def text_fields(self) -> list[forms.BoundField]:
        """The one-line fields, in the order the page shows them."""
        return [self[name] for name in ("country", "subdivision", "patron_day")]

    def date_lists(self) -> list[forms.BoundField]:
        return [self[name] for name in ("closed_dates", "open_dates")]

    @classmethod
    def initial_from(cls, calendar: OperatingCalendar) -> dict[str, Any]:
        patron = calendar.patron_day
        return {
            "weekdays": [str(d) for d in calendar.weekdays or ()],
            "country": calendar.country or "",
            "subdivision": (calendar.subdiv or "") if calendar.country else "",
            "patron_day": f"{patron[1]:02d}/{patron[0]:02d}" if patron else "",
            "closed_on_holidays": calendar.closed_on_holidays,
            "closed_dates": format_dates(calendar.closed_dates),
            "open_dates": format_dates(calendar.open_dates),
        }

    def clean_patron_day(self) -> tuple[int, int] | None:
        text = self.cleaned_data["patron_day"].strip()
        if not text:
            return None
        match = re.match(r"^(\d{1,2})/(\d{1,2})$", text)
        if not match:
            raise forms.ValidationError(_("Scrivi il giorno del patrono come 29/06."))
        day, month = (int(g) for g in match.groups())
        return (month, day)

    def clean_closed_dates(self) -> tuple[date, ...]:
        return parse_dates(self.cleaned_data["closed_dates"])

    def clean_open_dates(self) -> tuple[date, ...]:
        return parse_dates(self.cleaned_data["open_dates"])

    def calendar(self) -> OperatingCalendar | None:
        """The calendar the form describes, or None with a form error on the part that cannot
        be (call after `is_valid`)."""
        from ascolto.contactcenter.forecasting import OperatingCalendar  # numpy: on use only

        data = self.cleaned_data
        country = data["country"].strip().upper() or None
        try:
            return OperatingCalendar(
                weekdays=tuple(int(d) for d in data["weekdays"]) or None,
                country=country,
                subdiv=(data["subdivision"].strip().upper() or None) if country else None,
                patron_day=data["patron_day"],
                closed_on_holidays=data["closed_on_holidays"],
                closed_dates=data["closed_dates"],
                open_dates=data["open_dates"],
            )
        except ValueError as exc:
            message = str(exc)
            if "subdivision" in message:
                field, text = "subdivision", _("La provincia «%(s)s» non è tra quelle note.")
            elif "country" in message:
                field, text = "country", _("Il paese «%(c)s» non è tra quelli noti.")
            else:
                field, text = "patron_day", _("Il giorno del patrono non esiste.")
            self.add_error(field, text % {"s": data["subdivision"], "c": data["country"]})
            return None
