"""The executive summary of a questionnaire as a report (`core.tables.Dashboard`): the same board
for the analyst's draft in the console, the public page under /trasparenza/indagini/ and its PDF
(`analytics.exports.dashboard_pdf`). Reads only `ExecutiveSummary.content` (made by
`surveys.summary.generate_summary`) and the analyst's texts.

In public (`public=True`), statistical disclosure control as in the other public reports
(`analytics.opendata.SMALL`): a count from 1 to 4 is shown as "< 5" and its share is not
published, a category of the sample with fewer than 5 respondents has no shares in the
cross-tabulations, and free-text answers are left out altogether (they may name people).
"""

from __future__ import annotations

from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from ascolto.analytics.opendata import SMALL, is_small, suppress
from ascolto.core.tables import Dashboard, Figure, Table
from ascolto.surveys.models import ExecutiveSummary, Question

DIMENSION_NAMES = {
    "gender": Question.Dimension.GENDER.label,
    "age": Question.Dimension.AGE.label,
    "district": Question.Dimension.DISTRICT.label,
}


def summary_board(summary: ExecutiveSummary, *, public: bool) -> Dashboard:
    content = summary.content or {}
    sample = content.get("sample", {})
    weighting = content.get("weighting")
    board = Dashboard(
        key=f"indagine-{summary.slug}",
        title=summary.title,
        subtitle=_("Sintesi dell'indagine «%(survey)s»") % {"survey": content.get("title", "")},
    )
    board.figures = [
        Figure(_("Questionari ricevuti"), sample.get("received")),
        Figure(_("Questionari validi"), sample.get("valid")),
        Figure(_("Questionari completi"), sample.get("complete")),
    ]
    if weighting:
        board.figures += [
            Figure(_("Effetto del disegno (Kish)"), weighting["design_effect"]),
            Figure(_("Numerosità effettiva"), weighting["effective_n"]),
        ]
    board.notes = [text for text in (summary.intro,) if text]
    board.notes.append(_method_note(content, public))
    for dimension in sample.get("dimensions", []):
        board.tables.append(_sample_table(dimension, weighting is not None, public))
    for reasons in content.get("top_reasons", []):
        board.tables.append(
            Table(
                key=f"top-{reasons['code']}",
                title=_("I motivi più indicati: %(question)s") % {"question": reasons["text"]},
                columns=[_("Motivo"), _("Quota dei rispondenti (%)")],
                rows=[[o["label"], _public_share(o, public)] for o in reasons["options"]],
                chart="bar",
                note=_("Base: %(n)s rispondenti; più risposte possibili.")
                % {"n": _count(reasons["n"], public)},
            )
        )
    for question in content.get("questions", []):
        if question["kind"] == Question.Kind.TEXT:
            if not public:
                board.tables.append(
                    Table(
                        key=f"q-{question['code']}",
                        title=question["text"],
                        columns=[_("Risposte a testo libero")],
                        rows=[[question["n"]]],
                        note=_("Il testo delle risposte non è riportato nella sintesi."),
                    )
                )
            continue
        board.tables.append(
            _distribution(question, summary.notes.get(question["code"], ""), public)
        )
        board.tables += [
            _crosstab(question, crosstab, public) for crosstab in question.get("crosstabs", [])
        ]
    if weighting and weighting.get("effects"):
        board.tables.append(
            Table(
                key="pesatura",
                title=_("Effetto della pesatura sulle risposte principali"),
                columns=[_("Domanda: risposta"), _("Non pesata (%)"), _("Pesata (%)")],
                rows=[
                    [f"{e['text']}: {e['label']}", e["unweighted"], e["weighted"]]
                    for e in weighting["effects"]
                ],
            )
        )
    if summary.conclusions:
        board.notes.append(summary.conclusions)
    return board


def _method_note(content: dict[str, Any], public: bool) -> str:
    weighting = content.get("weighting")
    parts = [
        _(
            "Le differenze tra gruppi sono segnate come significative quando il test del chi "
            "quadro di indipendenza dà p < 0,05."
        )
    ]
    if weighting:
        parts.append(
            _(
                "Risultati pesati sulla popolazione «%(margins)s» per %(dimensions)s (raking, "
                "pesi limitati tra 1/5 e 5 volte il peso medio; %(rounds)d iterazioni%(state)s); "
                "con i pesi il test usa la numerosità effettiva di Kish."
            )
            % {
                "margins": weighting["margins"],
                "dimensions": ", ".join(
                    str(DIMENSION_NAMES.get(d, d)).lower() for d in weighting["dimensions"]
                ),
                "rounds": weighting["rounds"],
                "state": "" if weighting["converged"] else _(", senza convergenza piena"),
            }
        )
    else:
        parts.append(_("Risultati non pesati: quote del campione."))
    if public:
        parts.append(
            _(
                "Per riservatezza i conteggi inferiori a %(small)d non sono pubblicati («< "
                "%(small)d») né le quote che ne derivano; le risposte a testo libero non sono "
                "pubblicate."
            )
            % {"small": SMALL}
        )
    return " ".join(parts)


def _count(n: int, public: bool) -> int | str:
    return suppress(n) if public else n


def _public_share(option: dict[str, Any], public: bool) -> Any:
    if public and is_small(option["n"]):
        return "–"
    return option["share"]


def _sample_table(dimension: dict[str, Any], weighted: bool, public: bool) -> Table:
    columns = [dimension["text"], _("Rispondenti"), _("Quota (%)")]
    if weighted:
        columns += [_("Quota pesata (%)"), _("Popolazione (%)")]
    rows = []
    for row in dimension["rows"]:
        line: list[Any] = [
            row["label"],
            _count(row["n"], public),
            "–" if public and is_small(row["n"]) else row["share_unweighted"],
        ]
        if weighted:
            line += ["–" if public and is_small(row["n"]) else row["share"], row["population"]]
        rows.append(line)
    return Table(
        key=f"campione-{dimension['dimension']}",
        title=_("Il campione per %(dimension)s")
        % {"dimension": str(DIMENSION_NAMES.get(dimension["dimension"], "")).lower()},
        columns=columns,
        rows=rows,
        chart="bar",
        plotted=(2, 4) if weighted else (2,),
        note=_("Senza risposta: %(n)s.") % {"n": _count(dimension["missing"], public)},
    )


def _distribution(question: dict[str, Any], comment: str, public: bool) -> Table:
    notes = [_("Base: %(n)s rispondenti.") % {"n": _count(question["n"], public)}]
    if question["kind"] == Question.Kind.MULTIPLE:
        notes.append(_("Più risposte possibili: le quote non sommano a 100."))
    if question.get("mean") is not None:
        notes.append(_("Media: %(mean)s.") % {"mean": number_format(question["mean"], 2)})
    if question.get("nps") is not None:
        notes.append(_("Net Promoter Score: %(nps)s.") % {"nps": number_format(question["nps"], 1)})
    if comment:
        notes.append(comment)
    return Table(
        key=f"q-{question['code']}",
        title=question["text"],
        columns=[_("Risposta"), _("Risposte"), _("Quota (%)")],
        rows=[
            [o["label"], _count(o["n"], public), _public_share(o, public)]
            for o in question["options"]
        ],
        chart="bar",
        plotted=(2,),
        note=" ".join(notes),
    )


def _crosstab(question: dict[str, Any], crosstab: dict[str, Any], public: bool) -> Table:
    labels = [o["label"] for o in question["options"]]
    rows = []
    for i, category in enumerate(crosstab["categories"]):
        if not category["n"]:
            continue
        hidden = public and is_small(category["n"])
        shares = [
            "–" if hidden or (public and is_small(crosstab["counts"][i][j])) else share
            for j, share in enumerate(crosstab["shares"][i])
        ]
        rows.append([category["label"], _count(category["n"], public), *shares])
    dimension = str(DIMENSION_NAMES.get(crosstab["dimension"], "")).lower()
    if crosstab["p"] is None:
        verdict = _("Test non calcolabile (un solo gruppo o una sola risposta).")
    elif crosstab["significant"]:
        verdict = _("Differenze significative per %(dimension)s (chi quadro, p = %(p)s).") % {
            "dimension": dimension,
            "p": number_format(crosstab["p"], 3),
        }
    else:
        verdict = _("Differenze non significative per %(dimension)s (chi quadro, p = %(p)s).") % {
            "dimension": dimension,
            "p": number_format(crosstab["p"], 3),
        }
    if crosstab["sparse"]:
        verdict += " " + _("Attenzione: gruppi piccoli, il test è indicativo.")
    mark = " *" if crosstab["significant"] else ""
    return Table(
        key=f"x-{question['code']}-{crosstab['dimension']}",
        title=_("%(question)s, per %(dimension)s%(mark)s")
        % {"question": question["text"], "dimension": dimension, "mark": mark},
        columns=[crosstab["dimension_text"], _("Base"), *[f"{label} (%)" for label in labels]],
        rows=rows,
        note=verdict,
    )
