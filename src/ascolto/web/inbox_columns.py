"""The inbox's columns: which there are, the default set and order, and how one operator's
choice (`web.models.InboxLayout`) is read back. The case code is always shown, first: it is the
link that opens the case."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.templatetags.static import static
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ascolto.core.text import html_escape as escape
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


def layout_rows_html(columns: list[str]) -> SafeString:
    """The rows of the column chooser: every column, whether it is shown, and its position
    (the shown ones in their order, then the others). Made here like the case rows: as a
    template loop it cost ~2 ms a page (`benchmarks/inbox.py`)."""
    order = {key: i for i, key in enumerate(columns, start=1)}
    hidden_from = len(columns) + 1
    rows = []
    for i, (key, label) in enumerate(COLUMNS.items()):
        k, name = escape(key), escape(str(label))
        position = order.get(key, hidden_from + i)
        checked = " checked" if key in order else ""
        where = escape(_("Posizione di %(c)s") % {"c": label})
        rows.append(
            f'<tr><th scope="row"><label for="col-{k}">{name}</label></th>'
            f'<td><input type="checkbox" name="columns" value="{k}" id="col-{k}"{checked}></td>'
            f'<td><label for="pos-{k}" class="visually-hidden">{where}</label>'
            f'<input type="number" min="1" max="20" name="position-{k}" id="pos-{k}"'
            f' value="{position}" class="form-control form-control-sm inbox-pos">'
            f'<input type="hidden" name="was-{k}" value="{position}"></td></tr>\n'
        )
    return mark_safe("".join(rows))  # noqa: S308 (each value escaped above)


def _labels() -> dict[str, dict[str, str]]:
    """The labels of the choices the cells show (status, ticket kind, channel kind), translated
    once for the page. Django's `get_FOO_display` hashes every choice's lazy label, translating
    each, on every call: ~100 calls a page cost ~6 ms of CPU (cProfile, `benchmarks/inbox.py`)."""
    from ascolto.channels.models import Channel
    from ascolto.tickets.models import Ticket

    def of(choices: Any) -> dict[str, str]:
        return {str(value): str(label) for value, label in choices}

    return {
        "status": of(Ticket._meta.get_field("status").flatchoices),
        "kind": of(Ticket._meta.get_field("kind").flatchoices),
        "channel": of(Channel._meta.get_field("kind").flatchoices),
    }


def _cell(row: dict[str, Any], key: str, sprite: str, labels: dict[str, dict[str, str]]) -> str:
    """One `<td>`; every value from the database goes through `escape`. Written
    with f-strings rather than `format_html`: 225 cells a page through `format_html` cost ~6 ms
    of CPU, an eighth of the page's budget (cProfile, `benchmarks/inbox.py`)."""
    t = row["ticket"]
    e = escape
    if key == "citizen":
        return f'<td class="inbox-trunc inbox-w11">{e(t.citizen or "—")}</td>'
    if key == "subject":
        text = t.subject or t.description
        short = text if len(text) <= 120 else text[:119] + "…"
        return f'<td class="inbox-trunc inbox-subject">{e(short)}</td>'
    if key == "channel":
        return (
            '<td><svg class="icon icon-sm" role="img"'
            f' aria-label="{e(labels["channel"].get(t.channel.kind, t.channel.kind))}">'
            f"<title>{e(t.channel.name)}</title>"
            f'<use href="{e(sprite)}#{e(row["icon"])}"></use></svg></td>'
        )
    if key == "theme":
        theme = t.theme.name if t.theme else "—"
        return f'<td class="inbox-trunc inbox-w9">{e(theme)}</td>'
    if key == "office":
        office = t.office.name if t.office else "—"
        team = f" · {t.team.name}" if t.team else ""
        return f'<td class="inbox-trunc inbox-w10">{e(office)}{e(team)}</td>'
    if key == "assignee":
        return f'<td class="inbox-trunc inbox-w9">{e(t.assignee or "—")}</td>'
    if key == "status":
        return f"<td>{e(labels['status'].get(t.status, t.status))}</td>"
    if key == "sla":
        title = f' title="{e(localtime(t.due_at).strftime("%d/%m/%Y %H:%M"))}"' if t.due_at else ""
        remaining = e(row["remaining"] or "—")
        if row["sla"] == "breached":
            inner = f'<span class="sla-chip sla-breached">{remaining}</span>'
        elif row["sla"] == "due_soon":
            inner = f'<span class="sla-chip sla-soon">{remaining}</span>'
        else:
            inner = remaining
        return f"<td{title}>{inner}</td>"
    if key == "activity":
        updated = localtime(t.updated_at)
        return (
            f'<td><time datetime="{e(updated.isoformat())}">'
            f"{e(updated.strftime('%d/%m %H:%M'))}</time></td>"
        )
    if key == "kind":
        return f"<td>{e(labels['kind'].get(t.kind, t.kind))}</td>"
    if key == "created":
        return f"<td>{e(localtime(t.created_at).strftime('%d/%m/%Y %H:%M'))}</td>"
    return "<td></td>"


def rows_html(rows: list[dict[str, Any]], columns: list[str], *, oob: bool = False) -> SafeString:
    """The `<tr>`s of the inbox's rows: a tick box, the code linking to the case, then `columns`.
    With `oob`, each row replaces the one of the same id on the page (the live look)."""
    sprite = static("vendor/bootstrap-italia/svg/sprites.svg")
    swap = ' hx-swap-oob="outerHTML"' if oob else ""
    parts = []
    labels = _labels()
    pick_label = _("Seleziona il caso %(code)s")
    for row in rows:
        t = row["ticket"]
        pk = t.pk
        cells = "".join(_cell(row, key, sprite, labels) for key in columns)
        pick = escape(pick_label % {"code": t.code})
        parts.append(
            f'<tr id="row-{pk}" data-pk="{pk}"{swap}>'
            '<td class="inbox-pick"><input type="checkbox" class="inbox-check"'
            f' name="tickets" value="{pk}" id="pick-{pk}" form="bulk-form"'
            f' aria-label="{pick}"></td>'
            f'<th scope="row"><a href="{escape(row["url"])}" class="inbox-open">'
            f"{escape(t.code)}</a></th>{cells}</tr>\n"
        )
    return mark_safe("".join(parts))  # noqa: S308 (each value escaped above)
