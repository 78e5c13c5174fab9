"""What the case page does to cost less (issue 19) changes nothing it shows.

- Its choice lists (operators, teams, offices, campaigns, the taxonomy) are read as plain rows
  and written without the form renderer's templates (`web.forms.widgets.QuickSelect`,
  `web.forms.case.RowChoiceField`): they say exactly what Django's own fields and widgets
  would, selected option and attributes included, and still post a model instance.
- Those lists' rows are kept in the process for a minute, forgotten when one of their models is
  saved or deleted in it; a post is checked against the database, never against the copy.
- A mail's HTML is cleaned once per process for a given text (`web.templatetags.mail`): what
  is shown is still `nh3`'s cleaning of the stored text, the first time and the next ones."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django import forms
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext

from ascolto.organisation.models import Office, User
from ascolto.tickets import actions
from ascolto.tickets.models import Campaign, Theme, Ticket
from ascolto.web.forms import case as case_forms
from ascolto.web.forms.widgets import (
    QuickHiddenInput,
    QuickSelect,
    QuickTextarea,
    QuickTextInput,
)
from ascolto.web.templatetags import mail
from tests import factories, personas

pytestmark = pytest.mark.django_db


def _flat(html: str) -> str:
    """The markup without the whitespace between tags (the templates' line breaks)."""
    return re.sub(r">\s+<", "><", str(html)).strip()


class _Reference(forms.ModelChoiceField):  # type: ignore[type-arg]
    """Django's own field and widget, labelled as the case page's fields were before."""

    def __init__(self, label: Any, **kwargs: Any) -> None:
        self.label_of = label
        super().__init__(**kwargs)

    def label_from_instance(self, obj: Any) -> str:
        return str(self.label_of(obj))


def _operator(obj: Any) -> str:
    where = f" · {obj.office.name}" if obj.office_id else ""
    return f"{obj} ({obj.get_role_display()}{where})"


LABELS = {
    ("AssignForm", "team"): lambda t: f"{t.name} ({t.office.name})",
    ("AssignForm", "assignee"): _operator,
    ("EscalateForm", "office"): str,
    ("EscalateForm", "team"): lambda t: f"{t.name} ({t.office.name})",
    ("CampaignForm", "campaign"): str,
    ("ClassifyForm", "theme"): lambda t: f"{'— ' * (t.level - 1)}{t.name}",
}


def test_the_choice_lists_say_what_djangos_own_widgets_say(cast: personas.Cast) -> None:
    Campaign.objects.create(
        code="tari-2026", name="TARI <2026> & co", starts_on="2026-01-01", ends_on="2026-12-31"
    )
    User.objects.create_user(username="senza.ufficio", role=User.Role.FIRST_LEVEL)
    ticket = factories.open_case("Avviso TARI sbagliato.")
    actions.assign_ticket(ticket, actor=cast.operator, assignee=cast.operator, team=cast.cc_team)
    ticket = Ticket.objects.select_related("theme").get(pk=ticket.pk)
    assert ticket.assignee_id and ticket.team_id
    for (form_name, name), label in LABELS.items():
        form = getattr(case_forms, form_name)(ticket=ticket, user=cast.operator, can_reply=True)
        ours = form.fields[name]
        assert isinstance(ours.widget, QuickSelect)
        queryset: QuerySet[Any] = ours.queryset
        reference = _Reference(
            label, queryset=queryset, required=ours.required, empty_label=ours.empty_label
        )
        reference.widget.attrs = dict(ours.widget.attrs)
        form.fields[name] = reference
        expected = _flat(str(form[name]))
        form.fields[name] = ours
        got = _flat(str(form[name]))
        assert got == expected, f"{form_name}.{name}"
        assert got.count("<option") == queryset.count() + 1
    # What is selected is the case's own: its team and assignee.
    assign = _flat(str(case_forms.AssignForm(ticket=ticket, user=cast.operator, can_reply=True)))
    assert f'<option value="{cast.operator.pk}" selected>' in assign
    assert f'<option value="{cast.cc_team.pk}" selected>' in assign
    # Escaped once, as the template escapes it.
    campaign = str(case_forms.CampaignForm(ticket=ticket, user=cast.operator, can_reply=True))
    assert "TARI &lt;2026&gt; &amp; co" in campaign


def test_a_plain_choice_and_a_required_select_render_as_djangos() -> None:
    choices = [("", "—"), ("a", "Alfa «1»"), ("b", "Beta & Gamma"), ("a", "Alfa again")]
    for value in ("", "a", "b", None):
        for required in (True, False):
            attrs = {"id": "id_x", "class": "form-select", "required": required}
            ours = QuickSelect(choices=choices).render("x", value, attrs=attrs)
            django = forms.Select(choices=choices).render("x", value, attrs=attrs)
            assert _flat(ours) == _flat(django)
    # Grouped choices keep Django's own rendering.
    grouped = [("Gruppo", [("a", "Alfa")]), ("b", "Beta")]
    assert _flat(QuickSelect(choices=grouped).render("x", "a")) == _flat(
        forms.Select(choices=grouped).render("x", "a")
    )


def test_inputs_and_text_areas_render_as_djangos() -> None:
    pairs = [
        (QuickHiddenInput, forms.HiddenInput),
        (QuickTextInput, forms.TextInput),
        (QuickTextarea, forms.Textarea),
    ]
    values = (None, "", "0", True, 12, "Via «Roma» & <b>1</b>\nseconda riga")
    attrs = {"id": "id_x", "class": "form-control", "rows": 4, "required": True, "x": False}
    for ours, django in pairs:
        for value in values:
            assert str(ours(attrs={"data-a": "b"}).render("x", value, attrs=attrs)) == str(
                django(attrs={"data-a": "b"}).render("x", value, attrs=attrs)
            ), (ours, value)


def test_a_posted_choice_is_the_models_instance(cast: personas.Cast) -> None:
    ticket = factories.open_case("Avviso TARI sbagliato.")
    office = Office.objects.get(pk=cast.tari.pk)
    form = case_forms.EscalateForm(
        {"office": str(office.pk), "team": str(cast.tari_team.pk), "note": ""},
        ticket=ticket,
        user=cast.operator,
        can_reply=True,
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["office"] == office
    assert form.cleaned_data["team"] == cast.tari_team
    theme = Theme.objects.filter(level=Theme.Level.THEME).first()
    assert theme is not None
    classify = case_forms.ClassifyForm(
        {"theme": str(theme.pk), "kind": "complaint"}, ticket=ticket, user=cast.operator,
        can_reply=True,
    )  # fmt: skip
    assert classify.is_valid(), classify.errors
    assert classify.cleaned_data["theme"] == theme


def test_a_mails_html_is_cleaned_the_same_the_first_time_and_the_next() -> None:
    dirty = '<p onclick="x()">Buongiorno <script>alert(1)</script><a href="javascript:x">a</a></p>'
    first, again = mail.mail_html(dirty), mail.mail_html(dirty)
    assert first == again == '<p>Buongiorno <a rel="noopener noreferrer nofollow">a</a></p>'
    long = dirty * (mail.CACHED_UP_TO // len(dirty) + 1)
    assert len(long) > mail.CACHED_UP_TO
    assert mail.mail_html(long) == first * (mail.CACHED_UP_TO // len(dirty) + 1)
    assert mail.mail_html(None) == ""


def test_the_choice_lists_are_kept_a_minute_and_forgotten_when_changed(
    cast: personas.Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket = factories.open_case("Avviso TARI sbagliato.")

    def offices() -> str:
        form = case_forms.EscalateForm(ticket=ticket, user=cast.operator, can_reply=True)
        with CaptureQueriesContext(connection) as read:
            html = str(form["office"])
        return html if read.captured_queries else "kept:" + html

    first = offices()
    assert not first.startswith("kept:") and offices() == "kept:" + first
    # Saved here: forgotten at once.
    Office.objects.create(name="Ufficio Nuovo", code="nuovo", kind=cast.tari.kind)
    assert "Ufficio Nuovo" in offices()
    # Changed by another process (no signal here): shown within the minute…
    Office.objects.filter(code="nuovo").update(name="Ufficio Rinominato")
    assert "Ufficio Nuovo" in offices()
    monkeypatch.setattr(case_forms, "CHOICE_ROWS_SECONDS", 0.0)
    assert "Ufficio Rinominato" in offices()
    # … and a post is checked against the database: an office closed meanwhile is refused.
    monkeypatch.setattr(case_forms, "CHOICE_ROWS_SECONDS", 60.0)
    closed = Office.objects.get(code="nuovo")
    assert f'value="{closed.pk}"' in offices()
    Office.objects.filter(pk=closed.pk).update(is_active=False)
    assert f'value="{closed.pk}"' in offices()  # still in the copy
    form = case_forms.EscalateForm(
        {"office": str(closed.pk)}, ticket=ticket, user=cast.operator, can_reply=True
    )
    assert not form.is_valid() and "office" in form.errors


def test_a_kept_list_is_labelled_in_each_pages_language(cast: personas.Cast) -> None:
    from django.utils import translation

    ticket = factories.open_case("Avviso TARI sbagliato.")
    said = {}
    for language in ("it", "en", "it"):
        with translation.override(language):
            form = case_forms.AssignForm(ticket=ticket, user=cast.operator, can_reply=True)
            html = str(form["assignee"])
            role = str(cast.operator.get_role_display())
            assert f"{cast.operator} ({role} · {cast.operator.office.name})" in html
            said.setdefault(language, role)
    assert said["it"] != said["en"]
