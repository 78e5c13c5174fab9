"""Which external system the work now running is done for: `acting_system(name)`.

A system of the city (the portal, the waste company's software) acts through the API with its
token, not as a member of staff: no user is the actor of what it does. Around the actions it
asks for (`api.auth.Caller.acting`), `acting_system(its name)` lets what they record without an
actor name it instead: a case's events (`tickets.events`, `data["system"]`) and the replies and
notes they write (`channels.models.Message.system`). A context variable, like
`core.appendonly`'s escapes, so the actions between need no extra argument.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

MAX_NAME = 200  # as `api.models.ApiToken.name`

# The external system on whose behalf the actions now running act.
_system: ContextVar[str] = ContextVar("ascolto_acting_system", default="")


@contextmanager
def acting_system(name: str) -> Iterator[None]:
    """Within this block, what is recorded without an actor names the system `name` (an
    external system's API token) as who made it."""
    reset = _system.set(name[:MAX_NAME])
    try:
        yield
    finally:
        _system.reset(reset)


def current_system() -> str:
    """The system the work now running is done for; "" outside `acting_system`."""
    return _system.get()
