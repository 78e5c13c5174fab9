"""Validated configuration of each channel kind.

One `Channel` table holds every configured channel; its `config` JSON is checked against the
schema of its kind here, so a typo in a WhatsApp phone-number id is refused when it is saved, not
discovered when the first message is lost. Secrets (tokens, app secrets) are never stored here:
the config names the environment variable that holds them, read by `secret()` from the variable
or from the file named by the variable with `_FILE` appended (Docker and systemd credentials).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

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


_ADDRESS = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
_ENV_NAME = r"^[A-Z_][A-Z0-9_]{0,100}$"
# ssl: TLS from the first byte (IMAPS 993, SMTPS 465); starttls: plain, then STARTTLS (143,
# 587); none: no encryption at all, only for a server on the loopback (the tests).
TlsMode = Literal["ssl", "starttls", "none"]


class EmailConfig(_Config):
    """A mailbox: its address, where its mail is read (IMAP) and how replies leave (SMTP).

    Without `imap_host` the mailbox is not polled (replies still go out from its address). The
    passwords are never here: `imap_password_env` and `smtp_password_env` name the environment
    variables (or, with `_FILE` appended, the files) that hold them.
    """

    address: str = Field(pattern=_ADDRESS, max_length=254)
    imap_host: str = Field(default="", max_length=253)
    imap_port: int = Field(default=993, ge=1, le=65535)
    imap_tls: TlsMode = "ssl"
    imap_user: str = Field(default="", max_length=254)
    imap_password_env: str = Field(default="", pattern=r"^$|" + _ENV_NAME)
    folder: str = Field(default="INBOX", min_length=1, max_length=200)
    # Where a message goes once taken in; empty: it stays in `folder`, marked seen.
    processed_folder: str = Field(default="", max_length=200)
    smtp_host: str = Field(default="", max_length=253)  # empty: the server of ASCOLTO_EMAIL_URL
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_tls: TlsMode = "starttls"
    smtp_user: str = Field(default="", max_length=254)
    smtp_password_env: str = Field(default="", pattern=r"^$|" + _ENV_NAME)
    # Case hints of every message this mailbox opens a case for (a campaign's own address).
    theme: str = Field(default="", max_length=64)
    campaign: str = Field(default="", max_length=64)
    # Seconds between two polls of a server that has no IMAP IDLE (and IDLE's own timeout).
    poll_seconds: int = Field(default=60, ge=5, le=3600)
    # A message larger than this is not read: it becomes a case that says so (default 25 MB).
    max_message_bytes: int = Field(default=25 * 1024 * 1024, ge=1024, le=200 * 1024 * 1024)


def secret(env_name: str) -> str:
    """The secret held by the environment variable `env_name`, or by the file that
    `env_name + "_FILE"` names; empty when neither is set."""
    if not env_name:
        return ""
    path = os.environ.get(f"{env_name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return os.environ.get(env_name, "")


class PhoneConfig(_Config):
    number: str = Field(min_length=3, max_length=20)
    queues: list[str] = Field(default_factory=list)


_PLACEHOLDER = re.compile(r"\{\{\s*(\d+)\s*\}\}")


class WhatsAppTemplate(BaseModel):
    """A message template Meta approved for the number (WhatsApp Manager), as the console offers
    it when the 24-hour window is closed: its `name` and `language` as approved, a `label` for
    the operators, and its `body` with the {{1}}, {{2}}… placeholders the operator fills in (the
    text shown on the case; Meta renders its own approved copy)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[a-z0-9_]{1,512}$")
    language: str = Field(default="it", pattern=r"^[a-z]{2,3}(_[A-Z]{2})?$")
    label: str = Field(default="", max_length=100)
    body: str = Field(min_length=1, max_length=1024)

    @field_validator("body")
    @classmethod
    def _numbered_in_order(cls, body: str) -> str:
        numbers = sorted({int(n) for n in _PLACEHOLDER.findall(body)})
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError("placeholders must be {{1}}, {{2}}… without gaps")
        return body

    @property
    def parameter_count(self) -> int:
        return len(set(_PLACEHOLDER.findall(self.body)))

    def render(self, parameters: Sequence[str]) -> str:
        """The body with its placeholders replaced by `parameters` (as many as it has)."""
        return _PLACEHOLDER.sub(lambda m: parameters[int(m.group(1)) - 1], self.body)


class WhatsAppConfig(_Config):
    session_hours: int = Field(default=24, ge=0, le=24 * 30)
    opens_cases: bool = False
    phone_number_id: str = Field(pattern=r"^[0-9]{5,32}$")
    display_phone_number: str = ""
    access_token_env: str = "ASCOLTO_WHATSAPP_TOKEN"  # noqa: S105 (a variable name)
    app_secret_env: str = "ASCOLTO_META_APP_SECRET"  # noqa: S105 (a variable name)
    # The token typed in the Meta app's webhook settings, echoed back by the verification.
    verify_token_env: str = Field(default="ASCOLTO_META_VERIFY_TOKEN", pattern=_ENV_NAME)
    # The approved templates the console offers once the 24-hour window is closed.
    templates: list[WhatsAppTemplate] = Field(default_factory=list, max_length=100)
    # The code of the virtual assistant's menu that answers this number ("" for none): its
    # messages go to the assistant before intake (channels.assistants, docs/assistant.md).
    assistant_menu: str = Field(default="", pattern=r"^[-a-zA-Z0-9_]{0,50}$")

    @field_validator("templates")
    @classmethod
    def _one_per_name_and_language(
        cls, templates: list[WhatsAppTemplate]
    ) -> list[WhatsAppTemplate]:
        keys = [(t.name, t.language) for t in templates]
        if len(keys) != len(set(keys)):
            raise ValueError("two templates with the same name and language")
        return templates


class MetaPageConfig(_Config):
    session_hours: int = Field(default=24, ge=0, le=24 * 30)
    opens_cases: bool = False
    page_id: str = Field(pattern=r"^[0-9]{5,32}$")
    access_token_env: str = "ASCOLTO_META_PAGE_TOKEN"  # noqa: S105 (a variable name)
    app_secret_env: str = "ASCOLTO_META_APP_SECRET"  # noqa: S105 (a variable name)
    verify_token_env: str = Field(default="ASCOLTO_META_VERIFY_TOKEN", pattern=_ENV_NAME)
    # The Page has Meta's "Human Agent" permission: a person may answer on Messenger or
    # Instagram up to 7 days after the citizen's last message (tag HUMAN_AGENT), not only 24 h.
    human_agent: bool = False


def whatsapp_templates(config: dict[str, Any]) -> list[WhatsAppTemplate]:
    """The approved templates of a WhatsApp channel's configuration (one saved without the
    admin's validation may hold a wrong one: it is left out, not shown broken)."""
    templates = []
    for item in config.get("templates") or []:
        try:
            templates.append(WhatsAppTemplate.model_validate(item))
        except ValidationError:
            continue
    return templates


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
    "too_long": gettext_lazy("elenco troppo lungo"),
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
