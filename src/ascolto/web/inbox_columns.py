"""The inbox's columns: which there are, the default set and order, and how one operator's
choice (`web.models.InboxLayout`) is read back. The case code is always shown, first: it is the
link that opens the case."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.templatetags.static import static
from django.utils import dateformat
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime
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


# --- The rows, made in Python ----------------------------------------------------------------
# A template include per row with a branch per cell costs ~0.3 ms a row; the inbox's budget
# (p95 ≤ 50 ms for the whole page over a million cases) leaves no room for it.


def _cell(row: dict[str, Any], key: str, sprite: str) -> SafeString:
    t = row["ticket"]
    if key == "citizen":
        return format_html('<td class="inbox-trunc" style="--w: 11rem">{}</td>', t.citizen or "—")
    if key == "subject":
        text = t.subject or t.description
        short = text if len(text) <= 120 else text[:119] + "…"
        return format_html('<td class="inbox-trunc inbox-subject">{}</td>', short)
    if key == "channel":
        return format_html(
            '<td><svg class="icon icon-sm" role="img" aria-label="{}"><title>{}</title>'
            '<use href="{}#{}"></use></svg></td>',
            t.channel.get_kind_display(),
            t.channel.name,
            sprite,
            row["icon"],
        )
    if key == "theme":
        return format_html(
            '<td class="inbox-trunc" style="--w: 9rem">{}</td>', t.theme.name if t.theme else "—"
        )
    if key == "office":
        office = t.office.name if t.office else "—"
        team = f" · {t.team.name}" if t.team else ""
        return format_html('<td class="inbox-trunc" style="--w: 10rem">{}{}</td>', office, team)
    if key == "assignee":
        return format_html('<td class="inbox-trunc" style="--w: 9rem">{}</td>', t.assignee or "—")
    if key == "status":
        return format_html("<td>{}</td>", t.get_status_display())
    if key == "sla":
        title = (
            format_html(' title="{}"', dateformat.format(localtime(t.due_at), "d/m/Y H:i"))
            if t.due_at
            else ""
        )
        inner: str
        if row["sla"] == "breached":
            inner = format_html('<span class="sla-chip sla-breached">{}</span>', row["remaining"])
        elif row["sla"] == "due_soon":
            inner = format_html('<span class="sla-chip sla-soon">{}</span>', row["remaining"])
        else:
            inner = row["remaining"] or "—"
        return format_html("<td{}>{}</td>", title, inner)
    if key == "activity":
        updated = localtime(t.updated_at)
        return format_html(
            '<td><time datetime="{}">{}</time></td>',
            updated.isoformat(),
            dateformat.format(updated, "d/m H:i"),
        )
    if key == "kind":
        return format_html("<td>{}</td>", t.get_kind_display())
    if key == "created":
        return format_html("<td>{}</td>", dateformat.format(localtime(t.created_at), "d/m/Y H:i"))
    return mark_safe("<td></td>")  # noqa: S308 (a constant)


def rows_html(rows: list[dict[str, Any]], columns: list[str], *, oob: bool = False) -> SafeString:
    """The `<tr>`s of the inbox's rows: a tick box, the code linking to the case, then `columns`.
    With `oob`, each row replaces the one of the same id on the page (the live look)."""
    sprite = static("vendor/bootstrap-italia/svg/sprites.svg")
    swap = mark_safe(' hx-swap-oob="outerHTML"') if oob else ""  # noqa: S308 (a constant)
    parts = []
    for row in rows:
        t = row["ticket"]
        cells = SafeString("".join(_cell(row, key, sprite) for key in columns))
        parts.append(
            format_html(
                '<tr id="row-{pk}" data-pk="{pk}"{swap}>'
                '<td class="inbox-pick"><input type="checkbox" class="inbox-check"'
                ' name="tickets" value="{pk}" id="pick-{pk}" form="bulk-form"'
                ' aria-label="{pick}"></td>'
                '<th scope="row"><a href="{url}" class="inbox-open">{code}</a></th>{cells}</tr>\n',
                pk=t.pk,
                swap=swap,
                pick=_("Seleziona il caso %(code)s") % {"code": t.code},
                url=row["url"],
                code=t.code,
                cells=cells,
            )
        )
    return SafeString("".join(parts))
