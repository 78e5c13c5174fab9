"""Validated configuration of each channel kind.

One `Channel` table holds every configured channel; its `config` JSON is checked against the
schema of its kind here, so a typo in a WhatsApp phone-number id is refused when it is saved, not
discovered when the first message is lost. Secrets (tokens, app secrets) are never stored here:
the config names the environment variable that holds them.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ascolto.core.errors import InvalidInput


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Hours during which a new message from the same handle continues the same conversation.
    # 0: every inbound message that carries no thread id starts a conversation of its own.
    session_hours: int = Field(default=0, ge=0, le=24 * 30)
    # Whether an inbound message that starts a conversation also opens a case. Social channels
    # and the chatbot say no: only what an operator takes up becomes a case.
    opens_cases: bool = True


class WebConfig(_Config):
    """Scrivi, the web request form; replies go to the citizen's email address."""


class EmailConfig(_Config):
    address: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)


class PhoneConfig(_Config):
    number: str = Field(min_length=3, max_length=20)
    queues: list[str] = Field(default_factory=list)


class WhatsAppConfig(_Config):
    session_hours: int = Field(default=24, ge=0, le=24 * 30)
    opens_cases: bool = False
    phone_number_id: str = Field(pattern=r"^[0-9]{5,32}$")
    display_phone_number: str = ""
    access_token_env: str = "ASCOLTO_WHATSAPP_TOKEN"  # noqa: S105 (a variable name)
    app_secret_env: str = "ASCOLTO_META_APP_SECRET"  # noqa: S105 (a variable name)


class MetaPageConfig(_Config):
    session_hours: int = Field(default=24, ge=0, le=24 * 30)
    opens_cases: bool = False
    page_id: str = Field(pattern=r"^[0-9]{5,32}$")
    access_token_env: str = "ASCOLTO_META_PAGE_TOKEN"  # noqa: S105 (a variable name)
    app_secret_env: str = "ASCOLTO_META_APP_SECRET"  # noqa: S105 (a variable name)


class ApiConfig(_Config):
    """Another system of the municipality creating cases through the API (e.g. Open311)."""


SCHEMAS: dict[str, type[_Config]] = {
    "web": WebConfig,
    "email": EmailConfig,
    "phone": PhoneConfig,
    "whatsapp": WhatsAppConfig,
    "messenger": MetaPageConfig,
    "facebook": MetaPageConfig,
    "instagram": MetaPageConfig,
    "api": ApiConfig,
}


# Pydantic's own wording is English; the problems an administrator meets most, in Italian.
_PROBLEMS = {
    "missing": gettext_lazy("campo obbligatorio"),
    "extra_forbidden": gettext_lazy("campo non previsto"),
    "string_pattern_mismatch": gettext_lazy("formato non valido"),
    "value_error": gettext_lazy("valore non valido"),
    "greater_than_equal": gettext_lazy("valore troppo piccolo"),
    "less_than_equal": gettext_lazy("valore troppo grande"),
    "string_too_short": gettext_lazy("testo troppo corto"),
    "string_too_long": gettext_lazy("testo troppo lungo"),
    "string_type": gettext_lazy("deve essere un testo"),
    "int_parsing": gettext_lazy("deve essere un numero intero"),
    "bool_parsing": gettext_lazy("deve essere vero o falso"),
    "list_type": gettext_lazy("deve essere un elenco"),
}


def validate_config(kind: str, config: dict[str, Any]) -> dict[str, Any]:
    """Return `config` completed with defaults; raise `InvalidInput` naming each wrong field."""
    schema = SCHEMAS.get(kind)
    if schema is None:
        raise InvalidInput(
            _("Tipo di canale sconosciuto: «%(kind)s».") % {"kind": kind}, field="kind"
        )
    try:
        return schema.model_validate(config or {}).model_dump(mode="json")
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'config'}: "
            f"{_PROBLEMS.get(err['type'], err['msg'])}"
            for err in exc.errors()
        )
        raise InvalidInput(
            _("Configurazione del canale %(kind)s non valida: %(problems)s")
            % {"kind": kind, "problems": problems},
            field="config",
        ) from exc
