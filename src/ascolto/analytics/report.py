"""The monthly report (020202 and Scrivi, and every other channel) for any period.

Every figure is one or a few aggregate queries (`analytics.queries`); docs/reports.md defines
each one precisely.
Nothing here loops over cases or calls in Python: loops run over the few rows an aggregate
returns (channels, areas, months).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from ascolto.analytics import queries, summaries
from ascolto.analytics.areas import NO_AREA, area_name, areas
from ascolto.analytics.period import Period
from ascolto.analytics.queries import BUCKETS, CallFigures
from ascolto.channels.models import Channel
from ascolto.core.tables import Dashboard, Figure, Table, share
from ascolto.tickets.models import Theme

TOP_TOPICS = 10

_KIND_LABELS = dict(Channel.Kind.choices)


@dataclass
class MonthlyReport:
    """The figures of one period; every share is a percentage (0–100) rounded to 0.1."""

    period: Period
    ytd_by_channel: dict[str, int] = field(default_factory=dict)
    cases_by_channel: dict[str, int] = field(default_factory=dict)
    cases: int = 0
    counted: int = 0
    resolved: int = 0
    resolved_share: float | None = None
    calls: CallFigures = field(default_factory=CallFigures)
    callers: int = 0
    repeat_callers: int = 0
    repeat_callers_share: float | None = None
    repeat_same_area: int = 0
    repeat_same_area_share: float | None = None
    repeat_window: Period | None = None
    buckets: dict[str, dict[str, int]] = field(default_factory=dict)  # channel kind → bucket → n
    areas: list[tuple[str, str, int, float | None]] = field(default_factory=list)
    top_topics: list[tuple[str, str, int, float | None]] = field(default_factory=list)
    levels: dict[int, int] = field(default_factory=dict)  # resolved cases per level
    first_level_share: float | None = None  # of all counted cases: never at the second level
    offices: list[tuple[str, int, int, int]] = field(default_factory=list)
    months: list[dict[str, Any]] = field(default_factory=list)
    comparison: dict[str, Any] = field(default_factory=dict)

    def bucket_shares(self, kind: str = "") -> dict[str, float | None]:
        counts = self.bucket_counts(kind)
        total = sum(counts.values())
        return {key: share(n, total) for key, n in counts.items()}

    def bucket_counts(self, kind: str = "") -> dict[str, int]:
        kinds = [kind] if kind else list(self.buckets)
        return {b.key: sum(self.buckets.get(c, {}).get(b.key, 0) for c in kinds) for b in BUCKETS}


def monthly_report(period: Period, *, compare_year: int | None = None) -> MonthlyReport:
    """Every figure of the monthly report for `period`; `compare_year` (default: the year
    before) gives the year-over-year comparison over the same days."""
    summaries.refresh()
    report = MonthlyReport(period=period)
    report.ytd_by_channel = queries.cases_per_channel(period.year_to_date())
    first = 0
    for kind, totals in queries.channel_totals(period).items():
        report.cases_by_channel[kind] = totals.cases
        report.cases += totals.cases
        report.counted += totals.counted
        report.resolved += totals.resolved
        first += totals.first_level
        report.buckets[kind] = totals.buckets
    report.resolved_share = share(report.resolved, report.counted)
    report.first_level_share = share(first, report.counted)

    report.calls = queries.call_figures(period)
    report.repeat_window = queries.repeat_window(period)
    callers, repeat, same_area = queries.repeat_contacts(period)
    report.callers, report.repeat_callers, report.repeat_same_area = callers, repeat, same_area
    report.repeat_callers_share = share(repeat, callers)
    report.repeat_same_area_share = share(same_area, callers)

    names = areas()
    by_area = queries.cases_per_area(period)
    order = [*names, NO_AREA]
    report.areas = [
        (code, area_name(code, names), by_area[code], share(by_area[code], report.cases))
        for code in sorted(by_area, key=lambda c: (-by_area[c], order.index(c)))
    ]
    report.top_topics = [
        (theme.name, parent_name(theme), n, share(n, report.cases))
        for theme, n in queries.top_themes(period, TOP_TOPICS)
    ]
    report.levels = queries.resolved_per_level(period)
    offices = queries.office_totals(period)
    names_of = queries.office_names([office for office, *_counts in offices])
    report.offices = [
        (
            names_of.get(office, _("Non assegnato")) if office is not None else _("Non assegnato"),
            n,
            resolved,
            second,
        )
        for office, n, resolved, second in offices
    ]
    report.months = queries.month_by_month(period)
    report.comparison = compare(report, compare_year or period.start.year - 1)
    return report


def parent_name(theme: Theme) -> str:
    return theme.parent.name if theme.parent is not None else ""


def compare(report: MonthlyReport, year: int) -> dict[str, Any]:
    """The headline figures of the same days in `year`, beside this period's."""
    other = report.period.shifted_to(year)
    totals = queries.case_totals(other)
    calls = queries.call_figures(other)
    return {
        "period": other,
        "cases": totals["cases"],
        "resolved_share": share(totals["resolved"], totals["counted"]),
        "calls": calls.offered,
        "answer_rate": calls.answer_rate,
        "mean_wait": calls.mean_wait,
    }


def as_dashboard(report: MonthlyReport) -> Dashboard:
    """The report as figures and tables, for the page and the exports."""
    p = report.period
    c = report.calls
    other = report.comparison
    window = report.repeat_window or p
    board = Dashboard(
        key="report",
        title=_("Report mensile"),
        subtitle=_("020202, Scrivi e tutti i canali · %(period)s") % {"period": p.label()},
        figures=[
            Figure(_("Casi aperti nel periodo"), report.cases),
            Figure(_("Casi aperti dall'inizio dell'anno"), sum(report.ytd_by_channel.values())),
            Figure(
                _("Tasso di risposta 020202"), c.answer_rate, "%", _("risposte / chiamate offerte")
            ),
            Figure(_("Casi risolti"), report.resolved_share, "%"),
            Figure(_("Attesa media in coda"), c.mean_wait, "s", _("chiamate con risposta")),
            Figure(_("Durata media della chiamata"), c.mean_talk, "s"),
            Figure(
                _("Chiamanti con più di due chiamate"),
                report.repeat_callers_share,
                "%",
                _("periodo %(period)s") % {"period": window.label()},
            ),
            Figure(_("Più di due volte sullo stesso tema"), report.repeat_same_area_share, "%"),
            Figure(_("Risolti al primo livello"), report.first_level_share, "%"),
        ],
    )
    kinds = sorted(set(report.ytd_by_channel) | set(report.cases_by_channel))
    board.tables.append(
        Table(
            "channels",
            _("Casi per canale"),
            [_("Canale"), _("Nel periodo"), _("Dall'inizio dell'anno")],
            [
                [
                    _KIND_LABELS.get(k, k),
                    report.cases_by_channel.get(k, 0),
                    report.ytd_by_channel.get(k, 0),
                ]
                for k in kinds
            ],
            chart="bar",
            plotted=(1, 2),
        )
    )
    board.tables.append(
        Table(
            "calls",
            _("Contact center 020202"),
            [_("Misura"), _("Valore")],
            [
                [_("Chiamate offerte"), c.offered],
                [_("Chiamate con risposta"), c.answered],
                [_("Tasso di risposta (%)"), c.answer_rate],
                [_("Attesa media in coda, chiamate con risposta (s)"), c.mean_wait],
                [_("Attesa media in coda, tutte le chiamate (s)"), c.mean_wait_all],
                [_("Durata media della chiamata (s)"), c.mean_talk],
                [_("Chiamanti identificati"), report.callers],
                [_("Chiamanti con più di due chiamate"), report.repeat_callers],
                [_("Chiamanti con più di due casi sulla stessa area"), report.repeat_same_area],
            ],
        )
    )
    rows = []
    for bucket in BUCKETS:
        counts = report.bucket_counts()
        web = report.bucket_counts(Channel.Kind.WEB)
        rows.append(
            [
                _(bucket.label),
                counts[bucket.key],
                report.bucket_shares()[bucket.key],
                web[bucket.key],
                report.bucket_shares(Channel.Kind.WEB)[bucket.key],
            ]
        )
    board.tables.append(
        Table(
            "resolution",
            _("Tempi di risoluzione (casi risolti)"),
            [_("Fascia"), _("Casi"), _("Quota (%)"), _("Casi Scrivi"), _("Quota Scrivi (%)")],
            rows,
            chart="bar",
            plotted=(2, 4),
        )
    )
    board.tables.append(
        Table(
            "areas",
            _("Temi: quota per area"),
            [_("Area"), _("Casi"), _("Quota (%)")],
            [[name, n, pct] for _code, name, n, pct in report.areas],
            chart="pie",
            plotted=(1,),
        )
    )
    board.tables.append(
        Table(
            "topics",
            _("Argomenti più frequenti"),
            [_("Argomento"), _("Tema superiore"), _("Casi"), _("Quota (%)")],
            [list(t) for t in report.top_topics],
        )
    )
    resolved_total = sum(report.levels.values())
    board.tables.append(
        Table(
            "levels",
            _("Risoluzione al primo e al secondo livello (casi risolti)"),
            [_("Livello"), _("Casi risolti"), _("Quota (%)")],
            [
                [
                    _(label),
                    report.levels.get(level, 0),
                    share(report.levels.get(level, 0), resolved_total),
                ]
                for level, label in ((1, _("Primo livello")), (2, _("Secondo livello")))
            ],
            chart="pie",
        )
    )
    board.tables.append(
        Table(
            "offices",
            _("Per ufficio"),
            [_("Ufficio"), _("Casi"), _("Risolti"), _("Risolti al secondo livello")],
            [list(o) for o in report.offices],
        )
    )
    board.tables.append(
        Table(
            "months",
            _("Andamento mese per mese"),
            [
                _("Mese"),
                _("Casi"),
                _("Risolti (%)"),
                _("Primo livello (%)"),
                _("Chiamate"),
                _("Tasso di risposta (%)"),
                _("Attesa media (s)"),
                _("Durata media (s)"),
            ],
            [
                [
                    f"{m['month']:%m/%Y}",
                    m["cases"],
                    m["resolved_share"],
                    m["first_level_share"],
                    m["calls"],
                    m["answer_rate"],
                    m["mean_wait"],
                    m["mean_talk"],
                ]
                for m in report.months
            ],
            chart="line",
            plotted=(1, 4),
        )
    )
    board.tables.append(
        Table(
            "comparison",
            _("Confronto con lo stesso periodo del %(year)s")
            % {"year": other["period"].start.year},
            [_("Misura"), p.label(), other["period"].label()],
            [
                [pgettext("aperti nel periodo", "Casi aperti"), report.cases, other["cases"]],
                [_("Casi risolti (%)"), report.resolved_share, other["resolved_share"]],
                [_("Chiamate offerte"), c.offered, other["calls"]],
                [_("Tasso di risposta (%)"), c.answer_rate, other["answer_rate"]],
                [_("Attesa media (s)"), c.mean_wait, other["mean_wait"]],
            ],
        )
    )
    return board
