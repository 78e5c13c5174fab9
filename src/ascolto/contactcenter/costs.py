"""Cost allocation: what the contact center's calls cost each department, month by month.

Every handled (answered) call costs `ASCOLTO_COST_PER_CALL` (2 EUR by default, the city's own
figure). A call is charged to the theme of the case the operator logged for it, and the theme to
the budget line of the department that owns it: the theme's competent office (or its parent
theme's), walking up the office tree to the first office with a budget line. Calls with no case
or no theme, and themes with no owner, go to the line "non attribuito", so the total always
equals calls × cost.

The finance office reads it with `python -m ascolto call_costs` (docs/contact-center.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from django.conf import settings
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from ascolto.contactcenter.models import CallRecord
from ascolto.core.errors import InvalidInput
from ascolto.organisation.models import Office
from ascolto.tickets.models import Theme

UNALLOCATED = "non attribuito"


@dataclass(frozen=True)
class CostLine:
    month: date
    budget_line: str
    office: str
    calls: int
    cost: Decimal


def allocate_call_costs(
    start: date, end: date, *, cost_per_call: Decimal | None = None
) -> list[CostLine]:
    """Calls answered from `start` to `end` (inclusive) and their cost, per month and budget
    line, sorted by month then budget line. One aggregate query over the call records."""
    if end < start:
        raise InvalidInput(
            _("Il periodo finisce (%(end)s) prima di cominciare (%(start)s).")
            % {"end": f"{end:%d/%m/%Y}", "start": f"{start:%d/%m/%Y}"},
            field="end",
        )
    price = Decimal(settings.ASCOLTO_COST_PER_CALL) if cost_per_call is None else cost_per_call
    if price < 0:
        raise InvalidInput(_("Il costo di una chiamata non può essere negativo."), field="cost")
    zone = timezone.get_current_timezone()
    since = datetime.combine(start, time.min, tzinfo=zone)
    until = datetime.combine(end, time.max, tzinfo=zone)
    rows = (
        CallRecord.objects.filter(arrived_at__range=(since, until), abandoned=False)
        .annotate(month=TruncMonth("arrived_at", tzinfo=zone))
        .values("month", "conversation__tickets__theme")
        .annotate(calls=Count("id"))
        .order_by()
    )
    owners = _theme_owners()
    totals: dict[tuple[date, str, str], int] = {}
    for row in rows:
        month = row["month"].date() if isinstance(row["month"], datetime) else row["month"]
        line, office = owners.get(row["conversation__tickets__theme"], (UNALLOCATED, ""))
        key = (month, line, office)
        totals[key] = totals.get(key, 0) + row["calls"]
    return [
        CostLine(month, line, office, calls, (price * calls).quantize(Decimal("0.01")))
        for (month, line, office), calls in sorted(totals.items())
    ]


def _theme_owners() -> dict[int | None, tuple[str, str]]:
    """Theme id → (budget line, office name) of the department that owns it."""
    offices = {o.pk: o for o in Office.objects.all()}
    themes = {t.pk: t for t in Theme.objects.all()}

    def budget_office(office_id: int | None) -> Office | None:
        seen: set[int] = set()
        while office_id is not None and office_id not in seen:
            seen.add(office_id)
            office = offices[office_id]
            if office.budget_line:
                return office
            office_id = office.parent_id
        return None

    owners: dict[int | None, tuple[str, str]] = {}
    for theme in themes.values():
        node: Theme | None = theme
        owner: Office | None = None
        while node is not None and owner is None:
            owner = budget_office(node.office_id)
            node = themes.get(node.parent_id) if node.parent_id else None
        if owner is not None:
            owners[theme.pk] = (owner.budget_line, owner.name)
    return owners
