"""The form the editorial team writes a knowledge article or a reply template with (console
"Conoscenza")."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from ascolto.core.roles import Role
from ascolto.knowledge.models import Article

FIELDS = (
    "title",
    "kind",
    "audience",
    "summary",
    "body",
    "keywords",
    "theme",
    "url",
    "owner",
    "owner_office",
    "is_published",
)


class ArticleForm(forms.ModelForm):  # type: ignore[type-arg]
    """Title, kind, audience, text and owner of an article; the slug is made from the title."""

    url = forms.URLField(
        label=_("Pagina del portale"), required=False, assume_scheme="https", max_length=200
    )

    class Meta:
        model = Article
        fields = FIELDS
        labels = {
            "title": _("Titolo"),
            "kind": _("Tipo"),
            "audience": _("Destinatari"),
            "summary": _("In breve"),
            "body": _("Testo"),
            "keywords": _("Parole chiave"),
            "theme": _("Tema"),
            "url": _("Pagina del portale"),
            "owner": _("Responsabile"),
            "owner_office": _("Ufficio responsabile"),
            "is_published": _("Pubblicato"),
        }
        help_texts = {
            "body": _(
                "Nei modelli di risposta si possono usare i segnaposto {saluto}, {nome}, "
                "{codice}, {scadenza}, {ufficio}."
            ),
            "keywords": _("Separate da virgole: le parole con cui operatori e cittadini cercano."),
            "audience": _("Gli articoli «Solo operatori» non arrivano mai ai cittadini."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        if isinstance(owner, forms.ModelChoiceField):
            owner.queryset = (
                get_user_model().objects.filter(is_active=True).exclude(role=Role.ANALYST)
            )
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")
            if name == "body":
                widget.attrs["rows"] = 10
