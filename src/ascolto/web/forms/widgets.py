"""Widgets shared by the console's forms: Django's own, written in Python rather than through the
form renderer's templates (the same markup, in a fraction of the time). The case page renders
some thirty fields in a dozen forms on every look at a case; through the templates each cost
a few tenths of a millisecond, and a `<select>` one template per option."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe


class QuickSelect(forms.Select):
    """A `<select>` written in Python rather than through the form renderer's templates: the
    same markup as Django's `select.html` (attributes, the first matching option selected), in
    a tenth of the time. Django renders every `<option>` by including a template; a select of a
    few hundred options (operators, teams, offices, the taxonomy on the case page) then costs
    milliseconds on each page. Choices with groups fall back to the templates."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        final = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            final["multiple"] = True
        chosen = set(self.format_value(value))
        options: list[str] = []
        has_selected = False
        for option_value, label in self.choices:
            if isinstance(label, list | tuple):
                return super().render(name, value, attrs, renderer)
            text = "" if option_value is None else str(option_value)
            selected = (not has_selected or self.allow_multiple_selected) and text in chosen
            has_selected |= selected
            options.append(
                f'<option value="{conditional_escape(text)}"'
                f"{' selected' if selected else ''}>{conditional_escape(str(label))}</option>"
            )
        attributes = _attributes(final)
        return format_html(
            '<select name="{}"{}>\n  {}\n</select>',
            name,
            attributes,
            mark_safe("\n  ".join(options)),  # noqa: S308 (each part escaped above)
        )


def _attributes(attrs: dict[str, Any]) -> SafeString:
    """` name="value"` for each attribute, in their order, as Django's `attrs.html` writes them
    (`flatatt` sorts them): `True` the name alone, `False` left out."""
    return mark_safe(  # noqa: S308 (each part escaped here)
        "".join(
            f" {conditional_escape(key)}"
            if value is True
            else f' {conditional_escape(key)}="{conditional_escape(str(value))}"'
            for key, value in attrs.items()
            if value is not False
        )
    )


class _QuickInput(forms.widgets.Input):
    """Django's `input.html`."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        shown = self.format_value(value)
        return format_html(
            '<input type="{}" name="{}"{}{}>',
            self.input_type,
            name,
            format_html(' value="{}"', str(shown)) if shown is not None else "",
            _attributes(self.build_attrs(self.attrs, attrs)),
        )


class QuickHiddenInput(_QuickInput, forms.HiddenInput):
    pass


class QuickTextInput(_QuickInput, forms.TextInput):
    pass


class QuickTextarea(forms.Textarea):
    """Django's `textarea.html`."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        shown = self.format_value(value)
        return format_html(
            '<textarea name="{}"{}>\n{}</textarea>',
            name,
            _attributes(self.build_attrs(self.attrs, attrs)),
            shown if shown else "",
        )
