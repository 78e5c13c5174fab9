"""The IVR of 020202: its menu tree as configuration, and the report of the paths callers take.

The tree (`IvrNode`) is edited in the admin or loaded from a JSON file (`load_ivr_tree`, the
`load_ivr` command). The telephony system writes the keys each caller pressed on the call record
(`CallRecord.ivr_path`, "1>3"); `ivr_report` counts, per month and per menu choice, the calls
that went through it, those whose IVR ended there, those that hung up before an operator
answered, those an operator answered and how long the operator talked. A choice that sends many
callers to an operator for short conversations is a question the IVR could answer with a
recording or a link by SMS (`NodeFigures.could_self_serve`). See docs/contact-center.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from ascolto.contactcenter.models import IVR_SEPARATOR, CallRecord, IvrNode
from ascolto.core.errors import InvalidInput

# An operator's answer this short is one a recording could have given (the city's own rule of
# thumb: the time to say an opening time, a document list or a deadline).
SHORT_TALK_SECONDS = 120
# A choice is flagged when at least this many of its callers reached an operator in the period
# and at least half of those conversations were short: fewer calls say nothing either way.
MIN_TRANSFERS = 20
SHORT_SHARE = 0.5
MAX_DEPTH = 6
KEY = re.compile(r"^[0-9*#]{1,8}$")


# --- The tree as configuration -------------------------------------------------------------


@dataclass
class LoadedTree:
    created: int = 0
    updated: int = 0
    deleted: int = 0


@transaction.atomic
def load_ivr_tree(menu: Any) -> LoadedTree:
    """Make the IVR tree the one described by `menu`: a list of choices, each an object with
    `code` (the key), `label`, and either `children` (a submenu) or `transfer` (a queue name,
    "operator" or "end"). Choices not in `menu` are deleted; nothing is written when any choice
    is wrong (`InvalidInput` says which and why)."""
    wanted: dict[str, tuple[str, str, str, str]] = {}  # path -> (parent path, code, label, to)
    _walk(menu, "", 1, wanted)
    if not wanted:
        raise InvalidInput("The IVR menu has no choice.")
    result = LoadedTree()
    existing = {node.path: node for node in IvrNode.objects.all()}
    stale = [node.pk for path, node in existing.items() if path not in wanted]
    result.deleted = len(stale)
    IvrNode.objects.filter(pk__in=stale).delete()
    saved: dict[str, IvrNode] = {}
    for path in sorted(wanted, key=_order):  # parents before their children
        parent_path, code, label, transfer = wanted[path]
        node = existing.get(path)
        if node is None:
            node = IvrNode(code=code)
            result.created += 1
        elif (node.label, node.transfer) != (label, transfer):
            result.updated += 1
        node.parent = saved[parent_path] if parent_path else None
        node.label, node.transfer = label, transfer
        node.save()
        saved[path] = node
    return result


def _walk(items: Any, parent: str, depth: int, into: dict[str, tuple[str, str, str, str]]) -> None:
    where = f"under {parent!r}" if parent else "at the top"
    if not isinstance(items, list):
        raise InvalidInput(f"The choices {where} must be a list.")
    if depth > MAX_DEPTH:
        raise InvalidInput(f"The IVR menu is deeper than {MAX_DEPTH} levels {where}.")
    for item in items:
        if not isinstance(item, dict):
            raise InvalidInput(f"Each choice {where} must be an object with code and label.")
        code = str(item.get("code", "")).strip()
        if not KEY.match(code):
            raise InvalidInput(f"Choice {code!r} {where}: the code is a phone key (0-9, *, #).")
        path = f"{parent}{IVR_SEPARATOR}{code}" if parent else code
        if path in into:
            raise InvalidInput(f"Choice {path!r} appears twice.")
        label = str(item.get("label", "")).strip()
        if not label or len(label) > 200:
            raise InvalidInput(f"Choice {path!r} needs a label of at most 200 characters.")
        transfer = str(item.get("transfer") or "").strip()
        children = item.get("children") or []
        if len(transfer) > 64:
            raise InvalidInput(f"Choice {path!r}: the transfer is at most 64 characters.")
        if children and transfer:
            raise InvalidInput(f"Choice {path!r} opens a submenu: it cannot also transfer.")
        if not children and not transfer:
            raise InvalidInput(
                f'Choice {path!r} needs a transfer (a queue, "operator" or "end") '
                "or a submenu (children)."
            )
        into[path] = (parent, code, label, transfer)
        if children:
            _walk(children, path, depth + 1, into)


def ivr_tree() -> list[dict[str, Any]]:
    """The tree as `load_ivr_tree` reads it (to save it to a file and load it elsewhere)."""
    nodes = sorted(IvrNode.objects.all(), key=lambda n: _order(n.path))
    made: dict[int, dict[str, Any]] = {}
    top: list[dict[str, Any]] = []
    for node in nodes:
        item: dict[str, Any] = {"code": node.code, "label": node.label}
        if node.transfer:
            item["transfer"] = node.transfer
        made[node.pk] = item
        if node.parent_id is None:
            top.append(item)
        else:
            made[node.parent_id].setdefault("children", []).append(item)
    return top


def _order(path: str) -> tuple[tuple[int, str], ...]:
    """Paths in menu order: "2" before "10", a menu before its choices."""
    return tuple(
        (int(key), "") if key.isdigit() else (10**9, key) for key in path.split(IVR_SEPARATOR)
    )


# --- The report ------------------------------------------------------------------------------


@dataclass
class NodeFigures:
    """What happened at one menu choice in one month (or in the whole period: `month` None)."""

    path: str
    label: str
    transfer: str
    configured: bool  # False: the telephony system reported a path the tree does not have
    month: date | None = None
    entries: int = 0  # calls that went through the choice
    exits: int = 0  # calls whose IVR ended at the choice
    abandoned: int = 0  # of those, hung up before an operator answered
    to_operator: int = 0  # of those, answered by an operator
    talk_seconds: int = 0  # the operators' talk time of those
    short_calls: int = 0  # of those, talks of at most SHORT_TALK_SECONDS

    @property
    def depth(self) -> int:
        return self.path.count(IVR_SEPARATOR) + 1

    @property
    def average_talk(self) -> int | None:
        return round(self.talk_seconds / self.to_operator) if self.to_operator else None

    @property
    def abandon_rate(self) -> float | None:
        return round(100 * self.abandoned / self.exits, 1) if self.exits else None

    @property
    def short_share(self) -> float | None:
        return round(100 * self.short_calls / self.to_operator, 1) if self.to_operator else None

    @property
    def could_self_serve(self) -> bool:
        """Many callers reach an operator from here, mostly for a short answer."""
        return (
            self.to_operator >= MIN_TRANSFERS and self.short_calls >= SHORT_SHARE * self.to_operator
        )

    def add(self, other: NodeFigures) -> None:
        for name in ("entries", "exits", "abandoned", "to_operator", "talk_seconds"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.short_calls += other.short_calls


@dataclass
class IvrReport:
    months: list[NodeFigures]  # per month, then per choice in menu order
    totals: list[NodeFigures]  # per choice over the whole period
    calls: int  # calls with an IVR path in the period
    without_path: int  # calls the telephony system reported with no IVR path


def ivr_report(since: datetime, until: datetime) -> IvrReport:
    """Per month and per menu choice, the calls that arrived in [since, until) (one aggregate
    query over the call records, grouped by month and path; the paths are few)."""
    answered = Q(abandoned=False, answered_at__isnull=False)
    calls = CallRecord.objects.filter(arrived_at__gte=since, arrived_at__lt=until)
    rows = (
        calls.exclude(ivr_path="")
        .annotate(month=TruncMonth("arrived_at", tzinfo=timezone.get_current_timezone()))
        .values("month", "ivr_path")
        .annotate(
            n_calls=Count("id"),
            n_abandoned=Count("id", filter=Q(abandoned=True)),
            n_operator=Count("id", filter=answered),
            n_talk=Sum("talk_seconds", filter=answered, default=0),
            n_short=Count("id", filter=answered & Q(talk_seconds__lte=SHORT_TALK_SECONDS)),
        )
        .order_by()
    )
    tree = {node.path: node for node in IvrNode.objects.all()}
    per_month: dict[tuple[date, str], NodeFigures] = {}
    total_calls = 0
    for row in rows:
        month = row["month"]
        month = month.date() if isinstance(month, datetime) else month
        path = _clean(row["ivr_path"])
        total_calls += row["n_calls"]
        keys = path.split(IVR_SEPARATOR)
        for depth in range(1, len(keys) + 1):
            node_path = IVR_SEPARATOR.join(keys[:depth])
            figures = per_month.get((month, node_path))
            if figures is None:
                figures = per_month[(month, node_path)] = _blank(tree, node_path, month)
            figures.entries += row["n_calls"]
        last = per_month[(month, path)]
        last.exits += row["n_calls"]
        last.abandoned += row["n_abandoned"]
        last.to_operator += row["n_operator"]
        last.talk_seconds += row["n_talk"]
        last.short_calls += row["n_short"]
    months = sorted(per_month.values(), key=lambda f: (f.month or date.min, _order(f.path)))
    totals: dict[str, NodeFigures] = {}
    for figures in months:
        total = totals.get(figures.path)
        if total is None:
            total = totals[figures.path] = _blank(tree, figures.path, None)
        total.add(figures)
    return IvrReport(
        months=months,
        totals=sorted(totals.values(), key=lambda f: _order(f.path)),
        calls=total_calls,
        without_path=calls.filter(ivr_path="").count(),
    )


def _clean(path: str) -> str:
    """A reported path without blanks or empty steps ("1> 3>" is "1>3")."""
    keys = [key.strip() for key in path.split(IVR_SEPARATOR)]
    return IVR_SEPARATOR.join(key for key in keys if key) or path.strip()


def _blank(tree: dict[str, IvrNode], path: str, month: date | None) -> NodeFigures:
    node = tree.get(path)
    return NodeFigures(
        path=path,
        label=node.label if node else "",
        transfer=node.transfer if node else "",
        configured=node is not None,
        month=month,
    )


def flagged(totals: Iterable[NodeFigures]) -> list[NodeFigures]:
    """The choices that send callers to an operator for answers the IVR could give, most
    short conversations first."""
    return sorted((f for f in totals if f.could_self_serve), key=lambda f: (-f.short_calls, f.path))
