"""The form the editorial team writes an alert on current topics with (console "Avvisi")."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ascolto.core.errors import InvalidInput
from ascolto.knowledge.alerts import AlertData, validate
from ascolto.knowledge.models import Alert
from ascolto.tickets.models import Theme
from ascolto.web.forms.calls import theme_choices

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def _when(label: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"],
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local", "class": "form-control"}, format=DATETIME_FORMAT
        ),
        error_messages={
            "required": _("Indica data e ora."),
            "invalid": _("Scrivi data e ora come 31/12/2026 18:30."),
        },
    )


class AlertForm(forms.Form):
    """What an alert says, where and when it shows; the rules are `knowledge.alerts.validate`."""

    title = forms.CharField(
        label=_("Titolo"),
        max_length=120,
        widget=forms.TextInput(attrs={"class": "form-control"}),
        help_text=_("Breve, come un titolo di giornale: «Emergenza neve», «Sciopero dei mezzi»."),
        error_messages={"required": _("Il titolo è obbligatorio.")},
    )
    text = forms.CharField(
        label=_("Testo"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}),
        help_text=_("Al massimo 1000 caratteri: che cosa succede e che cosa fare."),
        error_messages={"required": _("Il testo è obbligatorio.")},
    )
    link = forms.CharField(
        label=_("Link per saperne di più"),
        max_length=500,
        required=False,
        widget=forms.URLInput(attrs={"class": "form-control"}),
        help_text=_("Facoltativo: una pagina del portale, che inizia con https://."),
    )
    theme = forms.ChoiceField(label=_("Tema"), choices=(), required=False)
    starts_at = _when(_("Inizio"))
    ends_at = _when(_("Fine"))
    channels = forms.MultipleChoiceField(
        label=_("Dove si vede"),
        choices=Alert.Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    priority = forms.TypedChoiceField(
        label=_("Priorità"),
        choices=Alert.Priority.choices,
        coerce=int,
        initial=Alert.Priority.IMPORTANT,
        error_messages={"invalid_choice": _("Scegli una priorità tra quelle proposte.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        theme = self.fields["theme"]
        assert isinstance(theme, forms.ChoiceField)  # noqa: S101
        choices = theme_choices()
        theme.choices = [("", _("Nessun tema")), *choices[1:]]

    @classmethod
    def initial_from(cls, alert: Alert) -> dict[str, Any]:
        return {
            "title": alert.title,
            "text": alert.text,
            "link": alert.link,
            "theme": alert.theme.code if alert.theme else "",
            "starts_at": timezone.localtime(alert.starts_at),
            "ends_at": timezone.localtime(alert.ends_at),
            "channels": alert.channels,
            "priority": alert.priority,
        }

    def clean_theme(self) -> Theme | None:
        code = self.cleaned_data.get("theme")
        if not code:
            return None
        theme = Theme.objects.filter(code=code, is_active=True).first()
        if theme is None:
            raise forms.ValidationError(_("Il tema scelto non esiste più."))
        return theme

    def data_or_errors(self) -> AlertData | None:
        """The alert's data checked by the action's rules, or None with the form's errors."""
        if not self.is_valid():
            return None
        data = self.cleaned_data
        theme = data["theme"]
        alert = AlertData(
            title=data["title"],
            text=data["text"],
            link=data["link"],
            theme_id=theme.pk if theme else None,
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            channels=tuple(data["channels"]),
            priority=data["priority"],
        )
        try:
            return validate(alert)
        except InvalidInput as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)
            return None
