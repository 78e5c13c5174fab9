"""The IVR paths report in the console (Report › Percorsi IVR): per month and per menu choice,
the calls that went through it, left the IVR there, hung up, reached an operator and for how
long; the choices that send callers to an operator for short answers are listed first. The
figures come from `contactcenter.ivr.ivr_report`; this module only lays them out. Analysts,
supervisors and administrators (`access.analyses`); CSV and XLSX as every report."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext as _

from ascolto.analytics.period import Period
from ascolto.contactcenter.ivr import (
    MIN_TRANSFERS,
    SHORT_TALK_SECONDS,
    NodeFigures,
    flagged,
    ivr_report,
)
from ascolto.contactcenter.models import IvrNode
from ascolto.core import access, replica
from ascolto.core.tables import Dashboard, Figure, Table, share
from ascolto.web.views.console.reports import period_board


def _destination(figures: NodeFigures) -> str:
    if not figures.configured:
        return _("voce non configurata")
    if figures.transfer == IvrNode.OPERATOR:
        return _("operatore")
    if figures.transfer == IvrNode.END:
        return _("fine (risponde l'IVR)")
    return figures.transfer or _("sottomenu")


def _choice(figures: NodeFigures) -> str:
    return f"{figures.path} · {figures.label}" if figures.label else figures.path


def _numbers(figures: NodeFigures) -> list[Any]:
    return [
        figures.entries,
        figures.exits,
        figures.abandoned,
        figures.abandon_rate,
        figures.to_operator,
        figures.average_talk,
        figures.short_share,
        _("sì") if figures.could_self_serve else "",
    ]


def ivr_board(period: Period, _data: dict[str, Any] | None = None) -> Dashboard:
    report = ivr_report(period.since, period.until)
    columns = [
        _("Ingressi"),
        _("Uscite dall'IVR"),
        _("Abbandoni"),
        _("Abbandoni (%)"),
        _("Trasferite a operatore"),
        _("Gestione media (s)"),
        _("Conversazioni brevi (%)"),
        _("Potrebbe rispondere l'IVR"),
    ]
    candidates = flagged(report.totals)
    operator_calls = sum(f.to_operator for f in report.totals)
    short_calls = sum(f.short_calls for f in report.totals)
    notes = [
        _(
            "Ingressi: chiamate passate per la voce. Uscite: chiamate il cui percorso IVR "
            "finisce alla voce; di queste, gli abbandoni (chiusa prima della risposta) e le "
            "trasferite a un operatore, con il tempo medio di conversazione."
        ),
        _(
            "«Potrebbe rispondere l'IVR»: almeno %(min)d chiamate trasferite a un operatore "
            "nel periodo, per metà o più conversazioni di al massimo %(short)d secondi."
        )
        % {"min": MIN_TRANSFERS, "short": SHORT_TALK_SECONDS},
    ]
    if report.without_path:
        notes.append(
            _("%(n)d chiamate del periodo non hanno un percorso IVR e non sono contate qui.")
            % {"n": report.without_path}
        )
    return Dashboard(
        key="ivr",
        title=_("Percorsi IVR"),
        subtitle=period.label(),
        figures=[
            Figure(_("Chiamate con percorso IVR"), report.calls),
            Figure(_("Trasferite a operatore"), operator_calls),
            Figure(
                _("Conversazioni brevi"),
                share(short_calls, operator_calls),
                "%",
                _("al massimo %(s)d secondi") % {"s": SHORT_TALK_SECONDS},
            ),
            Figure(_("Voci a cui potrebbe rispondere l'IVR"), len(candidates)),
        ],
        tables=[
            Table(
                "candidates",
                _("Voci che mandano all'operatore domande brevi"),
                [_("Voce"), _("Trasferisce a"), *columns],
                [[_choice(f), _destination(f), *_numbers(f)] for f in candidates],
            ),
            Table(
                "nodes",
                _("Per voce del menu, nel periodo"),
                [_("Voce"), _("Trasferisce a"), *columns],
                [[_choice(f), _destination(f), *_numbers(f)] for f in report.totals],
            ),
            Table(
                "months",
                _("Per mese e voce del menu"),
                [_("Mese"), _("Voce"), _("Trasferisce a"), *columns],
                [
                    [f"{f.month:%m/%Y}", _choice(f), _destination(f), *_numbers(f)]
                    for f in report.months
                ],
            ),
        ],
        notes=notes,
    )


@access.require(access.analyses)
@replica.reads_replica
def ivr(request: HttpRequest) -> HttpResponse:
    return period_board(request, "ivr", ivr_board)


urlpatterns: list[URLPattern] = [
    path("reports/ivr/", ivr, name="reports-ivr"),
]
