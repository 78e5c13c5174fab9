"""The inbox's columns: which there are, the default set and order, and how one operator's
choice (`web.models.InboxLayout`) is read back. The case code is always shown, first: it is the
link that opens the case."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ascolto.web.models import InboxLayout

COLUMNS: dict[str, object] = {
    "citizen": gettext_lazy("Cittadino"),
    "subject": gettext_lazy("Oggetto"),
    "channel": gettext_lazy("Canale"),
    "theme": gettext_lazy("Tema"),
    "office": gettext_lazy("Ufficio / team"),
    "assignee": gettext_lazy("Assegnatario"),
    "status": gettext_lazy("Stato"),
    "sla": gettext_lazy("Scadenza"),
    "activity": gettext_lazy("Ultima attività"),
    "kind": gettext_lazy("Tipo"),
    "created": gettext_lazy("Aperto il"),
}
DEFAULT = [
    "citizen",
    "subject",
    "channel",
    "theme",
    "office",
    "assignee",
    "status",
    "sla",
    "activity",
]
DENSITIES = {InboxLayout.Density.COMPACT, InboxLayout.Density.COMFORTABLE}

# The Bootstrap Italia sprite icon of each channel kind.
CHANNEL_ICONS = {
    "web": "it-pencil",
    "email": "it-mail",
    "phone": "it-telephone",
    "whatsapp": "it-whatsapp",
    "messenger": "it-facebook",
    "facebook": "it-facebook",
    "instagram": "it-instagram",
    "api": "it-plug",
}


def parse(stored: str) -> list[str]:
    """The known columns of a stored (comma-separated) choice, in order, each once; the
    default set when nothing known is left."""
    seen: dict[str, None] = {}
    for key in stored.split(","):
        key = key.strip()
        if key in COLUMNS:
            seen.setdefault(key, None)
    return list(seen) or list(DEFAULT)


def layout_of(user_id: int) -> tuple[list[str], str]:
    """The columns and the density `user_id` chose (the defaults when they never did)."""
    layout = InboxLayout.objects.filter(user_id=user_id).only("columns", "density").first()
    if layout is None:
        return list(DEFAULT), InboxLayout.Density.COMPACT
    density = layout.density if layout.density in DENSITIES else InboxLayout.Density.COMPACT
    return parse(layout.columns), density


def remaining(due_at: datetime | None, now: datetime) -> str:
    """How long until `due_at`, or since it passed, in a few characters ("2 g 3 h", "40 min",
    "scaduto da 5 h")."""
    if due_at is None:
        return ""
    delta = due_at - now
    late = delta < timedelta(0)
    span = _span(-delta if late else delta)
    return _("scaduto da %(span)s") % {"span": span} if late else span


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return (
            _("%(d)d g %(h)d h") % {"d": days, "h": hours} if hours else _("%(d)d g") % {"d": days}
        )
    if hours:
        return _("%(h)d h") % {"h": hours}
    return _("%(m)d min") % {"m": minutes}
