"""The annual complaints report, fit to publish in the transparency section: complaints per
area, office and outcome, answer times and the share answered within 30 days. No personal data.

Statistical disclosure control, per table (docs/reports.md, "Annual complaints report"): a
count from 1 to 4 is shown as "< 5"; every other figure of that row (its share, its mean answer
time) is withheld; and where the published total would give a single hidden count back, a
second row is withheld whole ("–"), chosen by the open data's rule (`opendata.secondary`)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from ascolto.analytics.areas import area_name, areas
from ascolto.analytics.opendata import SMALL, is_small, secondary, suppress
from ascolto.analytics.period import Period
from ascolto.analytics.queries import BUCKETS, complaint_figures, days
from ascolto.core.tables import Dashboard, Figure, Table, share
from ascolto.tickets.models import Ticket

ANSWER_DAYS = 30


def _within_column() -> str:
    return _("Entro %(days)d giorni (%%)") % {"days": ANSWER_DAYS}


def _protect(cells: list[dict[str, Any]], total: int) -> list[dict[str, Any]]:
    """Mark the rows of one table whose count is not published: 1–4 (primary), and where the
    total of the table would give one hidden count back, a second one (secondary)."""
    for cell in cells:
        cell["suppressed"] = {"n"} if is_small(cell["n"]) else set()
    margin = {"n": total, "suppressed": {"n"} if is_small(total) else set()}
    secondary(cells, margin, "n", name="label")
    return cells


def _hidden(cell: dict[str, Any]) -> bool:
    return "n" in cell["suppressed"]


def _count(cell: dict[str, Any]) -> int | str | None:
    """The count as published: exact, "< 5", or withheld (None, shown "–")."""
    if not _hidden(cell):
        return int(cell["n"])
    return suppress(cell["n"]) if is_small(cell["n"]) else None


def _of(cell: dict[str, Any], value: Any) -> Any:
    """A figure of the row (share, mean): withheld with its count."""
    return None if _hidden(cell) else value


def complaints_report(year: int) -> Dashboard:
    period = Period.year(year)
    found = complaint_figures(period, answer_days=ANSWER_DAYS)
    totals = found.totals
    board = Dashboard("complaints", _("Reclami %(year)s") % {"year": year}, period.label())
    board.figures = [
        Figure(_("Reclami ricevuti"), None if is_small(totals["n"]) else totals["n"]),
        Figure(
            _("Reclami con risposta"), None if is_small(totals["answered"]) else totals["answered"]
        ),
        Figure(
            _("Risposta entro %(days)d giorni") % {"days": ANSWER_DAYS},
            None if is_small(totals["n"]) else share(totals["within"], totals["n"]),
            "%",
        ),
        Figure(
            _("Tempo medio di risposta"),
            None if is_small(totals["answered"]) else days(totals["mean"]),
            _("giorni"),
        ),
    ]
    board.notes.append(
        _(
            "Dati aggregati, senza dati personali. I conteggi da 1 a %(largest)d sono indicati "
            "come «< %(small)d» e della loro riga non si pubblicano quote né tempi medi; «–» "
            "indica una riga non pubblicata perché, con il totale, renderebbe ricavabile un "
            "conteggio nascosto. Le quote pubblicate sono calcolate sui valori esatti."
        )
        % {"largest": SMALL - 1, "small": SMALL}
    )
    names = areas()
    board.tables.append(
        Table(
            "areas",
            _("Per area"),
            [_("Area"), _("Reclami"), _within_column()],
            [
                [c["label"], _count(c), _of(c, share(c["within"], c["n"]))]
                for c in _protect(
                    [{**r, "label": area_name(r["area"], names)} for r in found.areas], totals["n"]
                )
            ],
            chart="bar",
            plotted=(2,),
        )
    )
    board.tables.append(
        Table(
            "offices",
            _("Per ufficio"),
            [
                _("Ufficio"),
                _("Reclami"),
                _within_column(),
                _("Tempo medio (giorni)"),
            ],
            [
                [
                    c["label"],
                    _count(c),
                    _of(c, share(c["within"], c["n"])),
                    _of(c, days(c["mean"])),
                ]
                for c in _protect(
                    [
                        {**r, "label": r["office__name"] or _("Non assegnato")}
                        for r in found.offices
                    ],
                    totals["n"],
                )
            ],
        )
    )
    status_labels = dict(Ticket.Status.choices)
    board.tables.append(
        Table(
            "outcome",
            _("Esito"),
            [_("Stato"), _("Reclami"), _("Quota (%)")],
            [
                [c["label"], _count(c), _of(c, share(c["n"], totals["n"]))]
                for c in _protect(
                    [
                        {**r, "label": status_labels.get(r["status"], r["status"])}
                        for r in found.outcome
                    ],
                    totals["n"],
                )
            ],
            chart="pie",
            plotted=(2,),
        )
    )
    counts = found.buckets
    board.tables.append(
        Table(
            "answer_time",
            _("Tempi di risposta"),
            [_("Fascia"), _("Reclami"), _("Quota (%)")],
            [
                [c["label"], _count(c), _of(c, share(c["n"], totals["answered"]))]
                for c in _protect(
                    [{"label": _(b.label), "n": counts.get(b.key, 0)} for b in BUCKETS],
                    totals["answered"],
                )
            ],
            chart="bar",
            plotted=(2,),
        )
    )
    return board
