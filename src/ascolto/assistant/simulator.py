"""The conversation simulator: the real engine on a transient session, sending nothing.

`simulate(version, texts, at=None)` plays `texts` (what a citizen would type, or a choice's
id such as `node:<key>`) against `version` (a draft too) and returns the bot's replies, in
order, as `engine.Out` (text, choices, style). Nothing is stored: the session, its turns and
its replies live inside a transaction rolled back at the end. The console's preview and the
tests use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ascolto.assistant.engine import Out
from ascolto.assistant.models import MenuVersion


def simulate(version: MenuVersion, texts: Sequence[str], at: datetime | None = None) -> list[Out]:
    """The replies the engine gives to `texts`, one after the other, on `version`."""
    from ascolto.assistant import engine

    return engine.simulate(version, texts, at=at)
