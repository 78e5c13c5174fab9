"""The assistant's engine (being written)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ascolto.assistant.models import MenuVersion


@dataclass(frozen=True)
class Choice:
    """One choice offered: `id` comes back when tapped (`node:<key>`, `menu`, `back`, ...)."""

    id: str
    title: str
    description: str = ""


@dataclass(frozen=True)
class Out:
    """One message of the bot: `style` "list" (≤ 10 rows, opened by `button`), "buttons"
    (≤ 3) or "text" (the choices, if any, are lettered lines of `text`)."""

    text: str
    choices: tuple[Choice, ...] = ()
    style: str = "text"
    button: str = ""
    header: str = ""
    footer: str = ""
    kind: str = "reply"
    extra: dict[str, str] = field(default_factory=dict)


def simulate(version: MenuVersion, texts: Sequence[str], at: datetime | None = None) -> list[Out]:
    raise NotImplementedError
