"""The read side of the service charters' pages: a charter's indicators with their target, the
last complete period measured and the trend (as a `core.tables.Table` drawn by
`analytics.charts`), and the yearly report of every published charter (a `core.tables.Dashboard`,
so its page, PDF, CSV and XLSX are the reports' own).

Public pages publish no value measured on 1 to 4 cases, calls or answers: the value is withheld
and the count shown as "< 5" (the open data's rule, `analytics.opendata.is_small`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from ascolto.analytics.charts import chart_svg
from ascolto.analytics.opendata import SMALL, is_small, suppress
from ascolto.analytics.period import Period
from ascolto.charters import indicators
from ascolto.charters.indicators import Measurement
from ascolto.charters.models import QualityIndicator, ServiceCharter
from ascolto.core.tables import Dashboard, Figure, Table, localized


def published() -> QuerySet[ServiceCharter]:
    return ServiceCharter.objects.filter(published=True).select_related("service", "office")


def period_label(period: Period, frequency: str) -> str:
    if frequency == QualityIndicator.Frequency.YEAR:
        return str(period.start.year)
    if frequency == QualityIndicator.Frequency.QUARTER:
        return f"T{(period.start.month - 1) // 3 + 1} {period.start.year}"
    return f"{period.start:%m/%Y}"


def target_text(indicator: QualityIndicator) -> str:
    """ "almeno 90 %", "al massimo 120 s"."""
    unit = _(indicators.unit(indicator))
    value = localized(float(indicator.target))
    number = f"{value} {unit}".strip()
    return f"{indicator.get_direction_display()} {number}"


def withheld(measurement: Measurement, public: bool) -> bool:
    return public and is_small(measurement.n)


def value_text(measurement: Measurement, unit: str, public: bool) -> str:
    if measurement.value is None or withheld(measurement, public):
        return "–"
    return f"{localized(measurement.value)} {_(unit)}".strip()


def n_text(measurement: Measurement, public: bool) -> str:
    return str(suppress(measurement.n)) if public else str(measurement.n)


@dataclass
class IndicatorView:
    """One indicator as a page shows it."""

    indicator: QualityIndicator
    target: str
    latest: Measurement
    latest_value: str
    latest_n: str
    met: bool | None
    trend: Table
    chart: SafeString | None


def indicator_view(
    indicator: QualityIndicator, today: date | None = None, *, public: bool = False
) -> IndicatorView:
    measured = indicators.trend(indicator, today)
    unit = indicators.unit(indicator)
    rows: list[list[Any]] = []
    for m in measured:
        hidden = withheld(m, public)
        rows.append(
            [
                period_label(m.period, indicator.period),
                None if hidden else m.value,
                float(indicator.target),
                n_text(m, public),
                "–" if m.met is None or hidden else (_("Sì") if m.met else _("No")),
            ]
        )
    table = Table(
        f"indicator-{indicator.pk}",
        indicator.name,
        [_("Periodo"), _("Misurato"), _("Obiettivo"), _("Casi misurati"), _("Rispettato")],
        rows,
        chart="line",
        plotted=(1, 2),
    )
    latest = measured[-1]
    hidden = withheld(latest, public)
    return IndicatorView(
        indicator=indicator,
        target=target_text(indicator),
        latest=latest,
        latest_value=value_text(latest, unit, public),
        latest_n=n_text(latest, public),
        met=None if hidden else latest.met,
        trend=table,
        chart=chart_svg(table),
    )


def charter_views(
    charter: ServiceCharter, today: date | None = None, *, public: bool = False
) -> list[IndicatorView]:
    return [indicator_view(i, today, public=public) for i in charter.indicators.all()]


def missed_count(views: list[IndicatorView]) -> int:
    return sum(1 for v in views if v.met is False)


def yearly_report(year: int, *, public: bool = True) -> Dashboard:
    """Every published charter's indicators over `year`: the value of the whole year, its
    target, whether it was met, and in how many of the year's months (or quarters) it was."""
    period = Period.year(year)
    board = Dashboard(
        "charters",
        _("Carte dei servizi: relazione %(year)s") % {"year": year},
        period.label(),
    )
    charters = list(published().prefetch_related("indicators"))
    met = missed = 0
    for charter in charters:
        rows: list[list[Any]] = []
        for indicator in charter.indicators.all():
            whole = indicators.measure(indicator, period)
            hidden = withheld(whole, public)
            if not hidden and whole.met is not None:
                met, missed = (met + 1, missed) if whole.met else (met, missed + 1)
            parts = _parts(indicator, period)
            measured = [m for m in parts if m.met is not None and not withheld(m, public)]
            rows.append(
                [
                    indicator.name,
                    target_text(indicator),
                    None if hidden else whole.value,
                    suppress(whole.n) if public else whole.n,
                    "–" if whole.met is None or hidden else (_("Sì") if whole.met else _("No")),
                    f"{sum(1 for m in measured if m.met)}/{len(measured)}" if measured else "–",
                ]
            )
        board.tables.append(
            Table(
                charter.slug,
                charter.title,
                [
                    _("Impegno"),
                    _("Obiettivo"),
                    _("Valore dell'anno"),
                    _("Casi misurati"),
                    _("Rispettato"),
                    _("Periodi rispettati"),
                ],
                rows,
            )
        )
    board.figures = [
        Figure(_("Carte dei servizi"), len(charters)),
        Figure(_("Impegni rispettati nell'anno"), met),
        Figure(_("Impegni non rispettati nell'anno"), missed),
    ]
    board.notes.append(
        _(
            "Valori calcolati dalle richieste, dalle chiamate e dalle risposte ai questionari "
            "dell'anno, senza dati personali. Un valore misurato su meno di %(small)d casi non "
            "si pubblica («–»). «Periodi rispettati»: i mesi (o trimestri) dell'anno in cui "
            "l'obiettivo è stato raggiunto, su quelli misurati."
        )
        % {"small": SMALL}
    )
    return board


def _parts(indicator: QualityIndicator, period: Period) -> list[Measurement]:
    """The indicator measured on each month or quarter of the year (its frequency)."""
    if indicator.period == QualityIndicator.Frequency.YEAR:
        return []
    if indicator.period == QualityIndicator.Frequency.QUARTER:
        slices = [Period.quarter(period.start.year, q) for q in range(1, 5)]
    else:
        slices = [Period.month(period.start.year, m) for m in range(1, 13)]
    return [indicators.measure(indicator, p) for p in slices]
