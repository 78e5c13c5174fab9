"""Forms of the citizen pages: the request form ("Richiesta di assistenza" of Designers Italia),
the status-page code form and the page rating."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.utils.translation import gettext_lazy as _

from ascolto.channels.files import (
    MAX_FILE_BYTES,
    MAX_FILES,
    accepted_type,
    display_name,
    sanitised,
)
from ascolto.citizens.handles import normalise_phone
from ascolto.core.errors import InvalidInput
from ascolto.core.text import one_newline_style
from ascolto.tickets import codes
from ascolto.tickets.models import Theme, Ticket

MAX_REQUEST_CHARS = 600  # Designers Italia: free text of at most 600 characters
MAX_COMPLAINT_CHARS = 4000  # a complaint tells a story: longer
# Files are checked on their content (channels/files.py, shared with the mailboxes).

KIND_CHOICES = [
    (Ticket.Kind.INFORMATION.value, _("Richiesta di informazioni o verifica")),
    (Ticket.Kind.SUGGESTION.value, _("Suggerimento")),
    (Ticket.Kind.COMPLAINT.value, _("Reclamo")),
    (Ticket.Kind.DISSERVICE.value, _("Segnalazione di disservizio")),
]


@dataclass(frozen=True)
class Taxonomy:
    """Areas and their themes, as the form offers them (codes and names)."""

    areas: list[tuple[str, str]]
    themes: dict[str, list[tuple[str, str]]]  # area code → [(theme code, name)]

    def area_of(self, theme: str) -> str | None:
        for area, themes in self.themes.items():
            if any(code == theme for code, _ in themes):
                return area
        return None


_taxonomy: tuple[float, Taxonomy] | None = None
TAXONOMY_SECONDS = 60.0


def taxonomy() -> Taxonomy:
    """The active areas and themes, kept in the process for a minute: the form's POST, the
    busiest request of the public site, then needs no query to check them."""
    global _taxonomy
    now = time.monotonic()
    if _taxonomy is not None and now - _taxonomy[0] < TAXONOMY_SECONDS:
        return _taxonomy[1]
    rows = list(
        Theme.objects.filter(is_active=True, level__lte=Theme.Level.THEME)
        .order_by("path")
        .values_list("code", "name", "level", "parent__code")
    )
    areas = [(code, name) for code, name, level, _parent in rows if level == Theme.Level.AREA]
    themes: dict[str, list[tuple[str, str]]] = {code: [] for code, _name in areas}
    for code, name, level, parent in rows:
        if level == Theme.Level.THEME and parent in themes:
            themes[parent].append((code, name))
    value = Taxonomy(areas, themes)
    _taxonomy = (now, value)
    return value


def forget_taxonomy() -> None:
    global _taxonomy
    _taxonomy = None


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented recipe)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


def sniff(upload: UploadedFile) -> str | None:
    """The file's type read from its first bytes, when it is one we accept."""
    upload.seek(0)
    head = upload.read(262)
    upload.seek(0)
    return accepted_type(head)


def check_attachments(files: list[UploadedFile]) -> list[UploadedFile]:
    """The uploads of a citizen's form, checked by number, size and content (`channels.files`),
    returned as they will be stored: images written again without their metadata (a pixel
    limit refuses decompression bombs), each named by its clean display name and typed by the
    type read from its bytes."""
    if len(files) > MAX_FILES:
        raise forms.ValidationError(_("Puoi allegare al massimo %(n)d file.") % {"n": MAX_FILES})
    cleaned: list[UploadedFile] = []
    for upload in files:
        name = display_name(upload.name)
        if (upload.size or 0) > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("Il file «%(name)s» è più grande di 10 MB.") % {"name": name}
            )
        mime = sniff(upload)
        if mime is None:
            raise forms.ValidationError(
                _("Il file «%(name)s» non è un'immagine o un PDF.") % {"name": name}
            )
        if mime == "application/pdf":
            upload.name = name
            upload.content_type = mime
            cleaned.append(upload)  # kept byte for byte: nothing to read twice
            continue
        upload.seek(0)
        try:
            data = sanitised(upload.read(), mime, name)
        except InvalidInput as exc:
            raise forms.ValidationError(exc.message) from exc
        cleaned.append(SimpleUploadedFile(name, data, content_type=mime))
    return cleaned


def text_limit(kind: str) -> int:
    """How long a citizen's text may be: a complaint tells a story, the rest is short."""
    return MAX_COMPLAINT_CHARS if kind == Ticket.Kind.COMPLAINT else MAX_REQUEST_CHARS


class RequestForm(forms.Form):
    """What the citizen writes to the municipality."""

    kind = forms.ChoiceField(
        label=_("Tipo di richiesta"),
        choices=KIND_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": _("Scegli il tipo di richiesta.")},
    )
    # Checked against the taxonomy kept in memory (`clean_area`, `clean_service`): a ChoiceField
    # would rebuild its choices on every request, a noticeable share of the POST's cost.
    area = forms.CharField(
        label=_("Categoria"),
        max_length=64,
        error_messages={"required": _("Scegli la categoria della richiesta.")},
    )
    service = forms.CharField(label=_("Servizio"), required=False, max_length=64)
    description = forms.CharField(
        label=_("Descrizione"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=MAX_COMPLAINT_CHARS,
        error_messages={
            "required": _("Descrivi la tua richiesta."),
            "max_length": _("Il testo è troppo lungo: al massimo %(limit_value)d caratteri."),
        },
    )
    place = forms.CharField(
        label=_("Luogo (indirizzo)"),
        required=False,
        max_length=255,
        help_text=_("Per una segnalazione di disservizio: via e numero civico, o un punto noto."),
    )
    first_name = forms.CharField(
        label=_("Nome"),
        max_length=100,
        error_messages={"required": _("Scrivi il tuo nome.")},
    )
    last_name = forms.CharField(
        label=_("Cognome"),
        max_length=100,
        error_messages={"required": _("Scrivi il tuo cognome.")},
    )
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        error_messages={
            "required": _("Scrivi il tuo indirizzo email: lì riceverai la risposta."),
            "invalid": _("L'indirizzo email non è valido (esempio: nome@dominio.it)."),
        },
    )
    phone = forms.CharField(label=_("Telefono (facoltativo)"), required=False, max_length=40)
    attachments = MultipleFileField(
        label=_("Allegati (facoltativi)"),
        required=False,
        help_text=_("Immagini (JPEG, PNG, GIF, WebP) o PDF, al massimo 10 MB ciascuno, fino a 5."),
    )
    privacy = forms.BooleanField(
        label=_("Ho letto e compreso l'informativa sulla privacy"),
        error_messages={"required": _("Per inviare la richiesta devi accettare l'informativa.")},
    )
    # The honeypot: hidden from people, filled in by form-filling robots.
    website = forms.CharField(label=_("Lascia vuoto questo campo"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tree = taxonomy()

    def _service_choices(self) -> list[Any]:
        """Without JavaScript every area's services are offered, grouped; HTMX narrows them."""
        names = dict(self.tree.areas)
        return [(names[area], themes) for area, themes in self.tree.themes.items() if themes]

    @property
    def service_groups(self) -> list[Any]:
        return self._service_choices()

    def selected_area(self) -> str:
        value = self.data.get("area", "") if self.is_bound else self.initial.get("area", "")
        return str(value or "")

    def service_options(self) -> list[tuple[str, str]]:
        """The services of the chosen area (for the narrowed select)."""
        return self.tree.themes.get(self.selected_area(), [])

    def clean_area(self) -> str:
        area: str = self.cleaned_data.get("area", "")
        if area not in self.tree.themes:
            raise forms.ValidationError(_("Scegli una delle categorie proposte."))
        return area

    def clean_service(self) -> str:
        service: str = self.cleaned_data.get("service", "")
        if service and self.tree.area_of(service) is None:
            raise forms.ValidationError(_("Scegli uno dei servizi proposti."))
        return service

    def clean_description(self) -> str:
        # Browsers send line breaks as CRLF: one character each, as the page counted them.
        return one_newline_style(self.cleaned_data.get("description", ""))

    def clean_phone(self) -> str:
        raw: str = self.cleaned_data.get("phone", "").strip()
        if not raw:
            return ""
        try:
            return normalise_phone(raw)
        except InvalidInput as exc:
            raise forms.ValidationError(
                _("Il numero di telefono non è valido (esempio: 333 1234567).")
            ) from exc

    def clean_attachments(self) -> list[UploadedFile]:
        return check_attachments(self.cleaned_data.get("attachments") or [])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        description: str = data.get("description", "")
        limit = text_limit(str(kind or ""))
        if description and len(description) > limit:
            self.add_error(
                "description",
                _("Il testo è lungo %(n)d caratteri: al massimo %(limit)d per questo tipo.")
                % {"n": len(description), "limit": limit},
            )
        if kind == Ticket.Kind.DISSERVICE and not data.get("place", "").strip():
            self.add_error("place", _("Indica dove hai riscontrato il disservizio."))
        area, service = data.get("area"), data.get("service")
        if area and service and self.tree.area_of(service) not in (None, area):
            self.add_error("service", _("Il servizio scelto non appartiene alla categoria."))
        return data

    @property
    def theme_code(self) -> str:
        return str(self.cleaned_data.get("service") or self.cleaned_data.get("area") or "")

    @property
    def is_spam(self) -> bool:
        return bool(self.cleaned_data.get("website", "").strip())


class CodeForm(forms.Form):
    """The tracking code of a request, as the citizen types it."""

    codice = forms.CharField(
        label=_("Codice della pratica"),
        max_length=40,
        help_text=_("Lo trovi nella pagina di conferma e nell'email: per esempio K7Q2-9XHD-3FPA."),
        error_messages={"required": _("Scrivi il codice della pratica.")},
    )

    def clean_codice(self) -> str:
        code = codes.normalise_code(self.cleaned_data["codice"])
        if not codes.is_code(code):
            raise forms.ValidationError(
                _("Il codice non ha la forma attesa: 12 caratteri, come K7Q2-9XHD-3FPA.")
            )
        return code


class AnswerForm(forms.Form):
    """The citizen's answer to a question of the city, on the status page: as long as the
    Scrivi form allows for the case's kind, with the same attachments."""

    text = forms.CharField(
        label=_("La tua risposta"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=MAX_COMPLAINT_CHARS,
        error_messages={
            "required": _("Scrivi la tua risposta."),
            "max_length": _("Il testo è troppo lungo: al massimo %(limit_value)d caratteri."),
        },
    )
    attachments = MultipleFileField(
        label=_("Allegati (facoltativi)"),
        required=False,
        help_text=_("Immagini (JPEG, PNG, GIF, WebP) o PDF, al massimo 10 MB ciascuno, fino a 5."),
    )

    def __init__(self, *args: Any, kind: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit = text_limit(kind)

    def clean_text(self) -> str:
        text = one_newline_style(self.cleaned_data.get("text", ""))
        if len(text) > self.limit:
            raise forms.ValidationError(
                _("Il testo è lungo %(n)d caratteri: al massimo %(limit)d.")
                % {"n": len(text), "limit": self.limit}
            )
        return text

    def clean_attachments(self) -> list[UploadedFile]:
        return check_attachments(self.cleaned_data.get("attachments") or [])


SCORE_CHOICES = [(str(n), str(n)) for n in range(1, 6)]


class RatingForm(forms.Form):
    """One step of the page rating (score, then the follow-up answer, then the comment)."""

    page = forms.CharField(max_length=300)
    step = forms.IntegerField(min_value=1, max_value=3)
    score = forms.TypedChoiceField(
        choices=SCORE_CHOICES,
        coerce=int,
        required=False,
        error_messages={"invalid_choice": _("Scegli da 1 a 5 stelle.")},
    )
    # Checked against the score by `surveys.actions`, which says what is wrong.
    reason = forms.CharField(max_length=20, required=False)
    comment = forms.CharField(max_length=2000, required=False)
    token = forms.CharField(required=False, max_length=200)
