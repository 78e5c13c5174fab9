"""Forms of the case page's actions: one per action, each posted to its own URL.

Every form carries a hidden `confirmed` field: a post without it shows a confirmation step (the
no-JavaScript path); the page's script sets it once the browser's confirmation was accepted.
The forms check the input; the rules of the workflow stay in `tickets.actions`.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, cast

from django import forms
from django.conf import settings
from django.core import signing
from django.db.models import QuerySet
from django.forms.models import ModelChoiceIterator, ModelChoiceIteratorValue
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ascolto.channels import attachments as reply_files
from ascolto.channels.files import ALLOWED_TYPES, MAX_FILES
from ascolto.channels.inbound import Attachment
from ascolto.core import access
from ascolto.core.errors import InvalidInput
from ascolto.organisation.models import Office, Team, User
from ascolto.tickets.codes import normalise_code
from ascolto.tickets.models import Campaign, Tag, Theme, Ticket, TicketEvent
from ascolto.web.forms.scrivi import MultipleFileField, MultipleFileInput
from ascolto.web.forms.widgets import QuickHiddenInput, QuickSelect, QuickTextarea

MAX_TEXT = settings.ASCOLTO_MAX_MESSAGE_CHARS


def _text(label: Any, *, required: bool = True, rows: int = 4, limit: int = MAX_TEXT) -> Any:
    return forms.CharField(
        label=label,
        required=required,
        max_length=limit,
        widget=QuickTextarea(attrs={"rows": rows}),
        error_messages={
            "required": _("Questo campo è obbligatorio: scrivi il testo."),
            "max_length": _("Il testo è troppo lungo: al massimo %(limit_value)d caratteri."),
        },
    )


class CaseActionForm(forms.Form):
    """Base of the action forms: the case and the user it acts for, and the confirmation flag."""

    confirmed = forms.BooleanField(required=False, widget=QuickHiddenInput)

    def __init__(
        self,
        *args: Any,
        ticket: Ticket,
        user: Any,
        can_reply: bool,
        route: Any = None,
        **kwargs: Any,
    ):
        self.ticket, self.user, self.can_reply = ticket, user, can_reply
        self._route = route  # the page's `reply_route`, asked once for all its forms
        # Several action forms share field names on one page: ids must stay unique.
        kwargs.setdefault("auto_id", f"id_{type(self).__name__.lower()}_%s")
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.Textarea | forms.TextInput):
                field.widget.attrs.setdefault("class", "form-control")

    def reply_route(self) -> Any:
        """Where a reply to the case goes (`tickets.actions.reply_route`): the page's, given
        when the form was made, or asked now."""
        if self._route is None:
            from ascolto.tickets.actions import reply_route

            self._route = reply_route(self.ticket)
        return self._route

    def full_clean(self) -> None:
        """Validate, then point each invalid field at its message (for screen readers)."""
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["aria-describedby"] = f"{self[name].auto_id}-error"
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


STAGED_SALT = "ascolto.console.reply-files"
STAGED_MAX_AGE = 86400  # a day, the grace the sweep of unclaimed files gives them


def staged_token(ticket: Ticket, user: Any, files: Sequence[Attachment]) -> str:
    """The signed list of files kept for a reply awaiting its confirmation (the page without
    JavaScript posts the text again, not the files): only this case and this user may use it."""
    return signing.dumps(
        {"case": ticket.pk, "user": user.pk, "files": [dataclasses.astuple(f) for f in files]},
        salt=STAGED_SALT,
        compress=True,
    )


def staged_files(token: str, ticket: Ticket, user: Any) -> list[Attachment]:
    """The files a `staged_token` names; `forms.ValidationError` when it is not valid here."""
    try:
        data: Any = signing.loads(token, salt=STAGED_SALT, max_age=STAGED_MAX_AGE)
    except signing.BadSignature as exc:
        raise forms.ValidationError(
            _("I file allegati non sono più disponibili: allegali di nuovo.")
        ) from exc
    if not isinstance(data, dict) or data.get("case") != ticket.pk or data.get("user") != user.pk:
        raise forms.ValidationError(_("I file allegati non sono di questa risposta."))
    return [Attachment(str(n), str(t), int(z), str(u)) for n, t, z, u in data.get("files") or []]


class ReplyForm(CaseActionForm):
    """The reply, and the files attached to it (`channels.attachments`); `staged` names the
    files of the first post when the server's confirmation page asks again (no JavaScript)."""

    text = _text(_("Risposta al cittadino"), rows=6)
    attachments = MultipleFileField(
        label=_("Allegati (facoltativi)"),
        required=False,
        help_text=_("Immagini (JPEG, PNG, GIF, WebP) o PDF, al massimo 10 MB ciascuno, fino a 5."),
        widget=MultipleFileInput(
            attrs={"class": "form-control", "accept": ",".join(ALLOWED_TYPES)}
        ),
    )
    staged = forms.CharField(required=False, widget=QuickHiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        route = self.reply_route()
        # Why this reply cannot carry files ("" when it can): the composer says it instead.
        self.attachments_refusal = route.attachments_refusal if not route.refusal else ""
        if route.refusal or self.attachments_refusal:
            del self.fields["attachments"]
            del self.fields["staged"]
        else:
            self.fields["attachments"].widget.attrs["aria-describedby"] = (
                self["attachments"].auto_id + "-help"
            )

    def clean_attachments(self) -> list[Any]:
        files = self.cleaned_data.get("attachments") or []
        try:
            reply_files.check_uploads(files)
        except InvalidInput as exc:
            raise forms.ValidationError(exc.message) from exc
        return list(files)

    def clean_staged(self) -> list[Attachment]:
        token = str(self.cleaned_data.get("staged") or "")
        try:
            return staged_files(token, self.ticket, self.user) if token else []
        except forms.ValidationError as exc:
            self.add_error(None, exc)  # a hidden field: said above the form
            return []

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if len(data.get("attachments") or []) + len(data.get("staged") or []) > MAX_FILES:
            self.add_error(
                "attachments",
                _("Puoi allegare al massimo %(n)d file a una risposta.") % {"n": MAX_FILES},
            )
        return data

    def kept_files(self) -> list[Attachment]:
        """The files kept from an earlier post (shown by the composer), none if not valid."""
        token = str(self.data.get("staged") or "") if self.is_bound else ""
        try:
            return staged_files(token, self.ticket, self.user) if token else []
        except forms.ValidationError:
            return []


class TemplateForm(CaseActionForm):
    """An approved WhatsApp template and the values of its {{1}}, {{2}}… placeholders: the
    reply once the 24-hour window of free-form replies is closed."""

    template = forms.ChoiceField(
        label=_("Modello approvato"),
        widget=QuickSelect,
        error_messages={
            "required": _("Scegli il modello da inviare."),
            "invalid_choice": _("Il modello scelto non è tra quelli approvati."),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.templates = self.reply_route().templates
        field = self.fields["template"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 (declared above)
        field.choices = [
            (f"{t.name}:{t.language}", f"{t.label or t.name} ({t.language}): {t.body}")
            for t in self.templates
        ]
        field.widget.attrs["class"] = "form-select"
        for number in range(1, max((t.parameter_count for t in self.templates), default=0) + 1):
            self.fields[f"parameter_{number}"] = forms.CharField(
                label=_("Valore di {{%(number)d}}") % {"number": number},
                required=False,
                max_length=1024,
                widget=forms.TextInput(attrs={"class": "form-control"}),
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        choice = str(data.get("template") or "")
        name, _sep, language = choice.partition(":")
        values = [
            str(data.get(f"parameter_{n}") or "").strip()
            for n in range(1, len(self.fields))
            if f"parameter_{n}" in self.fields
        ]
        while values and not values[-1]:
            values.pop()
        data.update(name=name, language=language, parameters=values)
        return data


class CallbackForm(CaseActionForm):
    """A slot in which to call the citizen back: the answer to a call that left no email."""

    slot = forms.ChoiceField(
        label=_("Fascia di richiamata"),
        widget=QuickSelect,
        error_messages={
            "required": _("Scegli la fascia in cui richiamare il cittadino."),
            "invalid_choice": _("La fascia scelta non è più libera: scegline un'altra."),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from ascolto.contactcenter.actions import callback_phone, free_callback_slots

        super().__init__(*args, **kwargs)
        field = self.fields["slot"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 (declared above)
        field.choices = [
            (
                slot.start.isoformat(),
                _("%(day)s, %(start)s–%(end)s (%(free)d posti liberi)")
                % {
                    "day": f"{timezone.localtime(slot.start):%d/%m}",
                    "start": f"{timezone.localtime(slot.start):%H:%M}",
                    "end": f"{timezone.localtime(slot.end):%H:%M}",
                    "free": slot.free,
                },
            )
            for slot in free_callback_slots()
        ]
        field.widget.attrs["class"] = "form-select"
        field.help_text = _("Il cittadino sarà richiamato al numero %(phone)s.") % {
            "phone": callback_phone(self.ticket)
        }
        field.widget.attrs["aria-describedby"] = self["slot"].auto_id + "-help"

    def clean_slot(self) -> datetime:
        return datetime.fromisoformat(self.cleaned_data["slot"])


class ResendForm(CaseActionForm):
    """Send again a reply that was not delivered (the button next to it in the thread)."""

    message = forms.IntegerField(
        widget=forms.HiddenInput,
        error_messages={"required": _("Scegli la risposta da inviare di nuovo.")},
    )


class NoteForm(CaseActionForm):
    text = _text(_("Nota interna (visibile solo agli operatori)"))


def _teams(user: Any) -> QuerySet[Team]:
    return access.visible(
        Team.objects.filter(is_active=True).select_related("office"), user
    ).order_by("office__path", "name")


def _operators(user: Any) -> QuerySet[User]:
    staff = User.objects.filter(
        is_active=True, role__in=sorted(access.CASE_HANDLERS)
    ).select_related("office")
    if not access.sees_every_office(user):
        staff = access.visible(staff, user)
    return staff.order_by("last_name", "first_name", "username")


# The case page's choice lists (operators, teams, offices, campaigns, the taxonomy) change a few
# times a year and are read on every look at a case: their rows are kept in the process for a
# minute, keyed by the query (an office operator's scope is in it), and forgotten at once when
# one of those models is saved or deleted in this process (`web.receivers`). Only what is shown
# comes from this copy: what is posted is checked against the database (the field's queryset).
CHOICE_ROWS_SECONDS = 60.0


@dataclasses.dataclass
class _KeptRows:
    at: float  # time.monotonic() when read
    rows: list[dict[str, Any]]
    # The options made of them, per field class and language (their labels are translated).
    options: dict[tuple[type, str], list[tuple[Any, str]]]


_choice_rows: dict[tuple[Any, ...], _KeptRows] = {}


def _kept_rows(queryset: QuerySet[Any], columns: tuple[str, ...]) -> _KeptRows:
    sql, params = queryset.query.sql_with_params()
    key = (queryset.db, sql, tuple(params), columns)
    now = time.monotonic()
    kept = _choice_rows.get(key)
    if kept is None or now - kept.at >= CHOICE_ROWS_SECONDS:
        kept = _KeptRows(now, list(queryset.values(*columns)), {})
        _choice_rows[key] = kept
    return kept


def choice_rows(queryset: QuerySet[Any], columns: tuple[str, ...]) -> list[dict[str, Any]]:
    """The rows of `queryset`'s `columns`, read at most once a minute in this process."""
    return _kept_rows(queryset, columns).rows


def forget_choice_rows(**_signal: Any) -> None:
    """The next choice list is read from the database (a receiver of `post_save`)."""
    _choice_rows.clear()


class RowChoiceIterator(ModelChoiceIterator):
    """The options of a `RowChoiceField`: one row of its `columns` each, no model instance;
    labelled once per language while the rows are kept."""

    field: RowChoiceField

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        kept = _kept_rows(self.queryset, self.field.columns)
        made = (type(self.field), get_language())
        options = kept.options.get(made)
        if options is None:
            label = self.field.label_from_row
            # The row stands for the instance (`option.instance` in a template: not used here).
            options = [
                (ModelChoiceIteratorValue(r["pk"], cast(Any, r)), label(r)) for r in kept.rows
            ]
            kept.options[made] = options
        yield from options


class RowChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A choice of a model's rows whose options are read as plain rows (`columns`, labelled by
    `label_from_row`, kept a minute: `choice_rows`): the case page lists every operator, team,
    office and theme on each view, and a model instance per option cost more than the rest of
    its forms. What is posted is checked against the queryset as usual, and `cleaned_data`
    holds the instance."""

    iterator = RowChoiceIterator
    columns: tuple[str, ...] = ("pk", "name")

    def label_from_row(self, row: dict[str, Any]) -> str:
        return str(row["name"])


class TeamChoiceField(RowChoiceField):
    columns = ("pk", "name", "office__name")

    def label_from_row(self, row: dict[str, Any]) -> str:
        return f"{row['name']} ({row['office__name']})"


ROLE_LABELS = dict(User.Role.choices)  # lazy labels, said in the language of each page


class OperatorChoiceField(RowChoiceField):
    columns = ("pk", "first_name", "last_name", "username", "role", "office__name")

    def label_from_row(self, row: dict[str, Any]) -> str:
        # As `str(user)` and `get_role_display()` would say it.
        name = f"{row['first_name']} {row['last_name']}".strip() or row["username"]
        role = str(ROLE_LABELS.get(row["role"], row["role"]))
        where = f" · {row['office__name']}" if row["office__name"] is not None else ""
        return f"{name} ({role}{where})"


class AssignForm(CaseActionForm):
    team = TeamChoiceField(
        label=_("Team"),
        queryset=Team.objects.none(),
        required=False,
        empty_label=_("— nessuno —"),
        widget=QuickSelect,
    )
    assignee = OperatorChoiceField(
        label=_("Operatore"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("— nessuno —"),
        widget=QuickSelect,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = _teams(self.user)  # type: ignore[attr-defined]
        self.fields["assignee"].queryset = _operators(self.user)  # type: ignore[attr-defined]
        self.fields["team"].initial = self.ticket.team_id
        self.fields["assignee"].initial = self.ticket.assignee_id

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("team") and not data.get("assignee") and not self.errors:
            raise forms.ValidationError(_("Scegli un operatore o un team a cui assegnare il caso."))
        return data


class EscalateForm(CaseActionForm):
    office = RowChoiceField(
        label=_("Ufficio"),
        queryset=Office.objects.filter(is_active=True).order_by("path"),
        empty_label=_("— scegli un ufficio —"),
        widget=QuickSelect,
        error_messages={"required": _("Scegli l'ufficio a cui passare il caso.")},
    )
    team = TeamChoiceField(
        label=_("Team dell'ufficio (facoltativo)"),
        queryset=Team.objects.filter(is_active=True).select_related("office"),
        required=False,
        empty_label=_("— nessuno —"),
        widget=QuickSelect,
    )
    note = _text(_("Nota per l'ufficio (facoltativa)"), required=False, rows=3)


class SendBackForm(CaseActionForm):
    reason = _text(_("Motivo della restituzione"), rows=3, limit=2000)


class WaitForm(CaseActionForm):
    question = _text(_("Domanda al cittadino (facoltativa)"), required=False, rows=3)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.can_reply:
            del self.fields["question"]


class ResolveForm(CaseActionForm):
    """The resolution, and whether its text is sent to the citizen.

    Sent, it leaves as a reply on the case's channel (an email for Scrivi) and, like every
    reply, shows on the request's public status page; not sent, it stays among the operators
    and the citizen sees the status «Risolta». The form says so, and after a reply that came
    after the citizen's last message it proposes not to write a second time."""

    SEND, SILENT = "send", "silent"

    resolution = _text(_("Risoluzione"), rows=5)
    notify = forms.ChoiceField(
        label=_("Messaggio al cittadino"),
        choices=[
            (
                SEND,
                _(
                    "Invia questo testo al cittadino: lo riceve come risposta sul canale del "
                    "caso e compare nella pagina pubblica della richiesta («Segui la tua "
                    "richiesta»)"
                ),
            ),
            (
                SILENT,
                _(
                    "Risolvi senza inviare messaggi: il testo resta interno agli operatori; "
                    "nella pagina della richiesta il cittadino vede lo stato «Risolta» e le "
                    "risposte già inviate"
                ),
            ),
        ],
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Scegli se inviare il testo al cittadino o risolvere senza messaggio.")
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.can_reply:
            del self.fields["notify"]
            self.fields["resolution"].help_text = _(
                "Il testo resta interno agli operatori: su questo canale non si può inviare. "
                "Nella pagina della richiesta il cittadino vede lo stato «Risolta»."
            )
            self.fields["resolution"].widget.attrs["aria-describedby"] = (
                self["resolution"].auto_id + "-help"
            )
            return
        if _answered(self.ticket):
            self.fields["notify"].initial = self.SILENT
            self.fields["notify"].help_text = _(
                "Il cittadino ha già ricevuto una risposta dopo il suo ultimo messaggio: "
                "risolvendo senza messaggio non gliene arriva una seconda."
            )
        else:
            self.fields["notify"].initial = self.SEND


def _answered(ticket: Ticket) -> bool:
    """Whether an operator replied on the case since the citizen last wrote (the timeline's
    'replied' after its last 'opened' or 'message'). The automatic acknowledgement is no reply:
    it records no event."""
    K = TicketEvent.Kind
    last = (
        ticket.events.filter(kind__in=[K.OPENED, K.MESSAGE, K.REPLIED])
        .order_by("-at", "-pk")
        .values_list("kind", flat=True)
        .first()
    )
    return last == K.REPLIED


class CloseForm(CaseActionForm):
    pass


class ReopenForm(CaseActionForm):
    reason = _text(_("Motivo della riapertura (facoltativo)"), required=False, rows=2, limit=2000)


class CancelForm(CaseActionForm):
    reason = _text(_("Motivo dell'annullamento"), rows=2, limit=2000)


class MergeForm(CaseActionForm):
    KEEP_THIS, KEEP_OTHER = "this", "other"

    code = forms.CharField(
        label=_("Codice dell'altro caso"),
        max_length=20,
        error_messages={"required": _("Scrivi il codice dell'altro caso, es. K7Q2-9XHD-3FPA.")},
    )
    keep = forms.ChoiceField(
        label=_("Quale caso resta"),
        choices=[
            (KEEP_THIS, _("Resta questo caso: l'altro è il duplicato")),
            (KEEP_OTHER, _("Resta l'altro caso: questo è il duplicato")),
        ],
        initial=KEEP_THIS,
        widget=forms.RadioSelect,
    )

    def clean_code(self) -> Ticket:
        code = normalise_code(self.cleaned_data["code"])
        other = access.visible(Ticket.objects.all(), self.user).filter(code=code).first()
        if other is None:
            raise forms.ValidationError(
                _("Nessun caso con il codice %(code)s tra quelli che puoi vedere."),
                params={"code": code},
            )
        if other.pk == self.ticket.pk:
            raise forms.ValidationError(_("È il codice di questo stesso caso."))
        return other


class TagForm(CaseActionForm):
    add = forms.CharField(
        label=_("Etichette da aggiungere, separate da virgole"), required=False, max_length=500
    )
    remove = forms.ModelMultipleChoiceField(
        label=_("Etichette da togliere"),
        queryset=Tag.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["remove"].queryset = self.ticket.tags.all()  # type: ignore[attr-defined]

    def clean_add(self) -> list[str]:
        return [name.strip() for name in self.cleaned_data["add"].split(",") if name.strip()]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("add") and not data.get("remove") and not self.errors:
            raise forms.ValidationError(
                _("Scrivi un'etichetta da aggiungere o scegline una da togliere.")
            )
        return data


class CampaignForm(CaseActionForm):
    campaign = RowChoiceField(
        label=_("Campagna"),
        queryset=Campaign.objects.order_by("-starts_on", "name"),
        required=False,
        empty_label=_("— nessuna campagna —"),
        widget=QuickSelect,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["campaign"].initial = self.ticket.campaign_id


class ThemeChoiceField(RowChoiceField):
    columns = ("pk", "name", "level")

    def label_from_row(self, row: dict[str, Any]) -> str:
        return f"{'— ' * (row['level'] - 1)}{row['name']}"


class ClassifyForm(CaseActionForm):
    theme = ThemeChoiceField(
        label=_("Tema"),
        queryset=Theme.objects.filter(is_active=True).order_by("path"),
        required=False,
        empty_label=_("— invariato —"),
        widget=QuickSelect,
    )
    kind = forms.ChoiceField(
        label=_("Tipo di richiesta"), choices=Ticket.Kind.choices, widget=QuickSelect
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["theme"].initial = self.ticket.theme_id
        self.fields["kind"].initial = self.ticket.kind
