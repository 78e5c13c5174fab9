"""Widgets shared by the console's forms."""

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
        # In their order, as Django's `attrs.html` writes them (`flatatt` sorts them).
        attributes = mark_safe(  # noqa: S308 (each part escaped here)
            "".join(
                f" {conditional_escape(key)}"
                if v is True
                else f' {conditional_escape(key)}="{conditional_escape(v)}"'
                for key, v in final.items()
                if v is not False
            )
        )
        return format_html(
            '<select name="{}"{}>\n  {}\n</select>',
            name,
            attributes,
            mark_safe("\n  ".join(options)),  # noqa: S308 (each part escaped above)
        )
