"""Forms of the console's survey builder ("Questionari"): a survey's settings and one question.

They turn what is typed into the values `surveys.building` takes; the rules (codes, choices,
scales, branching) are the actions', whose refusals are put back on the field they name.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from ascolto.channels.models import Channel
from ascolto.core.errors import DomainError
from ascolto.organisation.models import Office
from ascolto.surveys.models import Question, Service, Survey
from ascolto.tickets.models import Theme
from ascolto.web.forms.calls import theme_choices

TEXT = {"class": "form-control"}


def _text(label: Any, *, required: bool = False, max_length: int = 200, **kw: Any) -> Any:
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        widget=forms.TextInput(attrs=TEXT),
        **kw,
    )


def _area(label: Any, **kw: Any) -> Any:
    return forms.CharField(
        label=label, required=False, widget=forms.Textarea(attrs={**TEXT, "rows": 3}), **kw
    )


def _number(label: Any, *, required: bool = True, **kw: Any) -> Any:
    return forms.IntegerField(
        label=label, required=required, widget=forms.NumberInput(attrs=TEXT), **kw
    )


class DomainErrorsMixin(forms.Form):
    def add_domain_error(self, error: DomainError) -> None:
        """Put an action's refusal on the field it names, or on the whole form."""
        field = error.field if error.field in self.fields else None
        self.add_error(field, error.message)


class SurveyForm(DomainErrorsMixin):
    """A survey's settings. The code is chosen once, when the survey is created; anonymity
    until its first publication (decision 0022)."""

    code = forms.SlugField(
        label=_("Codice"),
        max_length=64,
        widget=forms.TextInput(attrs=TEXT),
        help_text=_("Lettere minuscole, cifre e trattini, per esempio «soddisfazione-anagrafe»."),
    )
    title = _text(_("Titolo"), required=True)
    title_en = _text(_("Titolo (inglese)"))
    intro = _area(_("Introduzione"))
    intro_en = _area(_("Introduzione (inglese)"))
    kind = forms.ChoiceField(label=_("Tipo"), choices=Survey.Kind.choices)
    trigger = forms.ChoiceField(label=_("Quando si invita"), choices=Survey.Trigger.choices)
    service = forms.ModelChoiceField(
        label=_("Servizio"),
        queryset=Service.objects.filter(is_active=True),
        required=False,
        help_text=_("Per i questionari dopo un servizio online."),
    )
    office = forms.ModelChoiceField(
        label=_("Ufficio titolare"), queryset=Office.objects.all(), required=False
    )
    anonymous = forms.BooleanField(
        label=_("Anonimo: le risposte non sono collegate al cittadino né alla pratica"),
        required=False,
    )
    sample_percent = _number(_("Quota invitata (%)"), min_value=0, max_value=100)
    fatigue_days = _number(_("Giorni tra due inviti alla stessa persona"), min_value=0)
    valid_days = _number(_("Validità dell'invito (giorni)"), min_value=1)
    channels = forms.MultipleChoiceField(
        label=_("Canali delle pratiche invitate"),
        choices=Channel.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Nessuno: tutti. Ricevono l'invito le pratiche arrivate per email, telefono (con un "
            "indirizzo email), WhatsApp e Scrivi."
        ),
    )
    themes = forms.MultipleChoiceField(
        label=_("Temi delle pratiche invitate"),
        choices=(),
        required=False,
        widget=forms.SelectMultiple(attrs={"class": "form-select", "size": 8}),
        help_text=_(
            "Con i loro sotto-temi. Nessuno: tutti. Per sceglierne più di uno tieni premuto Ctrl "
            "(Cmd sul Mac)."
        ),
    )

    def __init__(self, *args: Any, survey: Survey | None = None, **kwargs: Any) -> None:
        if survey is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                name: getattr(survey, name)
                for name in ("code", *SETTINGS)
                if name not in ("service", "office")
            } | {
                "service": survey.service_id,
                "office": survey.office_id,
                "themes": [theme.code for theme in survey.themes.all()],
            }
        elif "initial" not in kwargs:
            kwargs["initial"] = {
                "anonymous": True,
                "sample_percent": 100,
                "fatigue_days": 30,
                "valid_days": 30,
            }
        super().__init__(*args, **kwargs)
        for name in ("kind", "trigger", "service", "office"):
            self.fields[name].widget.attrs["class"] = "form-select"
        themes = self.fields["themes"]
        assert isinstance(themes, forms.MultipleChoiceField)  # noqa: S101
        themes.choices = theme_choices()[1:]
        self.survey = survey
        if survey is not None:
            # The code names the survey in links and exports: it does not change.
            del self.fields["code"]
            if survey.versions.filter(published_at__isnull=False).exists():
                self.fields["anonymous"].disabled = True
                self.fields["anonymous"].help_text = _(
                    "Scelto prima della pubblicazione, non cambia più."
                )

    def clean_themes(self) -> list[Theme]:
        codes = self.cleaned_data.get("themes") or []
        return list(Theme.objects.filter(code__in=codes, is_active=True).order_by("path"))

    def settings(self) -> dict[str, Any]:
        """The fields `surveys.building` takes (after `is_valid()`), the themes included."""
        data = {name: self.cleaned_data[name] for name in SETTINGS}
        data["themes"] = self.cleaned_data["themes"]
        if self.fields["anonymous"].disabled and self.survey is not None:
            data["anonymous"] = self.survey.anonymous
        return data


SETTINGS = (
    "title",
    "title_en",
    "intro",
    "intro_en",
    "kind",
    "trigger",
    "service",
    "office",
    "anonymous",
    "sample_percent",
    "fatigue_days",
    "valid_days",
    "channels",
)


def choices_text(choices: list[dict[str, Any]]) -> str:
    """A question's options as the builder shows them: one a line, «valore | etichetta |
    English label»."""
    lines = []
    for choice in choices or []:
        parts = [str(choice.get("value", "")), str(choice.get("label", ""))]
        if choice.get("label_en"):
            parts.append(str(choice["label_en"]))
        lines.append(" | ".join(parts))
    return "\n".join(lines)


def parse_choices(text: str) -> list[dict[str, str]]:
    """The inverse of `choices_text`; a line with only a label takes its slug as value."""
    choices = []
    for line in (text or "").splitlines():
        parts = [part.strip() for part in line.split("|")]
        if not any(parts):
            continue
        if len(parts) == 1:
            parts = [slugify(parts[0])[:64], parts[0]]
        value, label, label_en = (parts + ["", ""])[:3]
        choices.append({"value": value, "label": label or value, "label_en": label_en})
    return choices


class QuestionForm(DomainErrorsMixin):
    """One question of the draft version: its kind, texts, options, scale and branching."""

    kind = forms.ChoiceField(label=_("Tipo di domanda"), choices=Question.Kind.choices)
    code = forms.SlugField(
        label=_("Codice"),
        max_length=64,
        widget=forms.TextInput(attrs=TEXT),
        help_text=_("Breve e unico nel questionario: nomina la domanda nei risultati."),
    )
    text = _text(_("Domanda"), required=True, max_length=500)
    text_en = _text(_("Domanda (inglese)"), max_length=500)
    help_text = _text(_("Aiuto"), max_length=300)
    help_text_en = _text(_("Aiuto (inglese)"), max_length=300)
    required = forms.BooleanField(label=_("Obbligatoria"), required=False)
    choices = forms.CharField(
        label=_("Opzioni"),
        required=False,
        widget=forms.Textarea(attrs={**TEXT, "rows": 4}),
        help_text=_(
            "Per le domande a scelta: una per riga, «valore | etichetta | etichetta inglese» "
            "(basta l'etichetta). Per una scala: le etichette dei punti, facoltative."
        ),
    )
    scale_min = _number(_("Minimo della scala"), required=False)
    scale_max = _number(_("Massimo della scala"), required=False)
    show_if = forms.ChoiceField(
        label=_("Mostra solo se la domanda"),
        required=False,
        help_text=_("Una domanda precedente, a scelta o con un voto."),
    )
    show_if_values = _text(
        _("ha una di queste risposte"),
        max_length=300,
        help_text=_("Valori separati da virgole, per esempio «1, 2» o «altro»."),
    )
    dimension = forms.ChoiceField(
        label=_("Dimensione del campione"),
        required=False,
        choices=Question.Dimension.choices,
        help_text=_("Per le indagini: genere, fascia d'età o municipio del rispondente."),
    )

    def __init__(
        self, *args: Any, earlier: list[Question], question: Question | None = None, **kwargs: Any
    ) -> None:
        if question is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "kind": question.kind,
                "code": question.code,
                "text": question.text,
                "text_en": question.text_en,
                "help_text": question.help_text,
                "help_text_en": question.help_text_en,
                "required": question.required,
                "choices": choices_text(question.choices),
                "scale_min": question.scale_min,
                "scale_max": question.scale_max,
                "show_if": question.show_if,
                "show_if_values": ", ".join(map(str, question.show_if_values)),
                "dimension": question.dimension,
            }
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["show_if"])
        field.choices = [("", _("Sempre")), *[(q.code, f"{q.code}: {q.text}") for q in earlier]]
        for name in ("kind", "show_if", "dimension"):
            self.fields[name].widget.attrs["class"] = "form-select"

    def question_fields(self) -> dict[str, Any]:
        """The fields `surveys.building` takes (after `is_valid()`)."""
        data = dict(self.cleaned_data)
        data["choices"] = parse_choices(data.get("choices") or "")
        data["show_if_values"] = [
            v.strip() for v in (data.get("show_if_values") or "").split(",") if v.strip()
        ]
        data["dimension"] = data.get("dimension") or ""
        return data
