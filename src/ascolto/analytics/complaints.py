"""The annual complaints report, fit to publish in the transparency section: complaints per
area, office and outcome, answer times and the share answered within 30 days. No personal data;
counts from 1 to 4 are shown as "< 5" (`suppress`)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Avg, Count, F, Q
from django.utils.translation import gettext as _

from ascolto.analytics.opendata import SMALL, suppress
from ascolto.analytics.period import Period
from ascolto.analytics.report import BUCKETS, bucket_of, cases_in, days, resolution_time, resolved
from ascolto.analytics.tables import Dashboard, Figure, Table, share
from ascolto.analytics.taxonomy import area_name, area_of, areas
from ascolto.tickets.models import Ticket

ANSWER_DAYS = 30


def _within() -> Q:
    return resolved() & Q(resolved_at__lt=F("created_at") + timedelta(days=ANSWER_DAYS))


def _within_column() -> str:
    return _("Entro %(days)d giorni (%%)") % {"days": ANSWER_DAYS}


def _share(n: int, whole: int) -> float | None:
    """A share, withheld when the count itself is suppressed (it would give the count back)."""
    return None if 0 < n < SMALL else share(n, whole)


def _share_of_cell(part: int, whole: int) -> float | None:
    """A share within a cell, withheld when the cell is suppressed."""
    return None if 0 < whole < SMALL else share(part, whole)


def complaints_report(year: int) -> Dashboard:
    period = Period.year(year)
    complaints = cases_in(period).filter(kind=Ticket.Kind.COMPLAINT, parent__isnull=True)
    totals = complaints.aggregate(
        n=Count("id"),
        answered=Count("id", filter=resolved()),
        within=Count("id", filter=_within()),
        mean=Avg(resolution_time(), filter=resolved()),
    )
    board = Dashboard("complaints", _("Reclami %(year)s") % {"year": year}, period.label())
    board.figures = [
        Figure(_("Reclami ricevuti"), totals["n"]),
        Figure(_("Reclami con risposta"), totals["answered"]),
        Figure(
            _("Risposta entro %(days)d giorni") % {"days": ANSWER_DAYS},
            share(totals["within"], totals["n"]),
            "%",
        ),
        Figure(_("Tempo medio di risposta"), days(totals["mean"]), _("giorni")),
    ]
    board.notes.append(
        _(
            "Dati aggregati, senza dati personali. I conteggi da 1 a %(largest)d sono indicati "
            "come «< %(small)d»; le quote sono calcolate sui valori esatti."
        )
        % {"largest": SMALL - 1, "small": SMALL}
    )
    names = areas()
    per_area = (
        complaints.annotate(area=area_of())
        .values("area")
        .annotate(n=Count("id"), within=Count("id", filter=_within()))
        .order_by("-n", "area")
    )
    board.tables.append(
        Table(
            "areas",
            _("Per area"),
            [_("Area"), _("Reclami"), _within_column()],
            [
                [area_name(r["area"], names), suppress(r["n"]), _share_of_cell(r["within"], r["n"])]
                for r in per_area
            ],
            chart="bar",
            plotted=(2,),
        )
    )
    per_office = (
        complaints.values("office__name")
        .annotate(
            n=Count("id"),
            within=Count("id", filter=_within()),
            mean=Avg(resolution_time(), filter=resolved()),
        )
        .order_by("-n", "office__name")
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
                    r["office__name"] or _("Non assegnato"),
                    suppress(r["n"]),
                    _share_of_cell(r["within"], r["n"]),
                    days(r["mean"]),
                ]
                for r in per_office
            ],
        )
    )
    status_labels = dict(Ticket.Status.choices)
    outcome = complaints.values("status").annotate(n=Count("id")).order_by("-n", "status")
    board.tables.append(
        Table(
            "outcome",
            _("Esito"),
            [_("Stato"), _("Reclami"), _("Quota (%)")],
            [
                [
                    status_labels.get(r["status"], r["status"]),
                    suppress(r["n"]),
                    _share(r["n"], totals["n"]),
                ]
                for r in outcome
            ],
            chart="pie",
            plotted=(2,),
        )
    )
    times = (
        complaints.filter(resolved())
        .annotate(bucket=bucket_of())
        .values("bucket")
        .annotate(n=Count("id"))
    )
    counts = {r["bucket"]: r["n"] for r in times}
    board.tables.append(
        Table(
            "answer_time",
            _("Tempi di risposta"),
            [_("Fascia"), _("Reclami"), _("Quota (%)")],
            [
                [
                    _(label),
                    suppress(counts.get(key, 0)),
                    _share(counts.get(key, 0), totals["answered"]),
                ]
                for key, label, _bound in BUCKETS
            ],
            chart="bar",
            plotted=(2,),
        )
    )
    return board
