"""The password policy's own wording where Django's Italian translation lacks it.

Django's minimum-length messages have no Italian translation (its catalogue leaves them empty),
so a too-short password was refused in English; this validator says the same in Italian first,
translated to English by our catalogue. The rule itself is Django's.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import MinimumLengthValidator
from django.core.exceptions import ValidationError
from django.utils.translation import ngettext


class MinimumLength(MinimumLengthValidator):
    def validate(self, password: str, user: Any = None) -> None:
        if len(password) < self.min_length:
            raise ValidationError(self.get_error_message(), code="password_too_short")

    def get_error_message(self) -> str:
        return ngettext(
            "Questa password è troppo corta: deve avere almeno %(min_length)d carattere.",
            "Questa password è troppo corta: deve avere almeno %(min_length)d caratteri.",
            self.min_length,
        ) % {"min_length": self.min_length}

    def get_help_text(self) -> str:
        return ngettext(
            "Almeno %(min_length)d carattere: una frase di più parole va benissimo.",
            "Almeno %(min_length)d caratteri: una frase di più parole va benissimo.",
            self.min_length,
        ) % {"min_length": self.min_length}
