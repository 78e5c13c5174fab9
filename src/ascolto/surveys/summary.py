"""The executive summary of a large questionnaire, computed from its answers: the sample
(received, valid, complete; by gender, age band and district), each question's distribution,
each closed question crossed by the sample's dimensions with the chi-square test of
independence, the top reasons of the multiple-choice questions, and, when weighted, the raking's
effect. `generate_summary` returns the JSON kept in `ExecutiveSummary.content`; the page, the PDF
and the public page read only that (analytics/questionnaires.py).

Fast by construction: two queries (the responses, then the answers grouped by question and
answer, each group with its response ids) into numpy; each table is a `bincount`, each test a
few array operations. Decision 0023 says why raking, why Kish's correction of the test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from django.db.models import Aggregate, Case, F, Field, Sum, TextField, Value, When
from django.utils import timezone
from scipy.special import chdtrc

from ascolto.surveys.models import (
    Answer,
    PopulationMargins,
    Question,
    QuestionnaireImport,
    Response,
    Survey,
)
from ascolto.surveys.weighting import Raking, design_effect, effective_n, rake

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler, _AsSqlType

DIMENSIONS = (Question.Dimension.GENDER, Question.Dimension.AGE, Question.Dimension.DISTRICT)
CLOSED = (
    Question.Kind.SINGLE,
    Question.Kind.MULTIPLE,
    Question.Kind.RATING,
    Question.Kind.SCALE,
    Question.Kind.NPS,
)
SIGNIFICANCE = 0.05
TOP_REASONS = 5
NPS_GROUPS = (("detractors", 0, 6), ("passives", 7, 8), ("promoters", 9, 10))
NPS_LABELS = {
    "detractors": "Detrattori (0-6)",
    "passives": "Passivi (7-8)",
    "promoters": "Promotori (9-10)",
}


@dataclass
class _Coded:
    """One question's answers as parallel arrays: respondent index and option index."""

    respondents: np.ndarray
    options: np.ndarray
    answered: np.ndarray  # the respondents who answered, once each


def generate_summary(survey: Survey, *, margins: PopulationMargins | None = None) -> dict[str, Any]:
    """The summary's content over every valid response of `survey`, weighted to `margins` when
    given. JSON only (lists, dicts, numbers, strings)."""
    version = survey.current_version
    questions = (
        list(Question.objects.filter(version=version).order_by("position")) if version else []
    )
    responses = list(
        Response.objects.filter(survey=survey).order_by("pk").values_list("pk", "complete")
    )
    ids = np.array([pk for pk, _c in responses], dtype=np.int64)
    n = len(ids)
    complete = int(sum(1 for _pk, c in responses if c))
    coded = _coded(survey, questions, ids)
    options = {q.code: _options(q) for q in questions}
    dimensions = {
        q.dimension: q
        for q in questions
        if q.dimension in DIMENSIONS and q.kind == Question.Kind.SINGLE
    }
    dim_codes = {dim: _per_respondent(coded[q.code], n) for dim, q in dimensions.items()}

    weights = np.ones(n)
    weighting: dict[str, Any] | None = None
    if margins is not None and n:
        raking, used = _rake(margins, dimensions, options, dim_codes)
        weights = raking.weights
        weighting = {
            "margins": margins.name,
            "source": margins.source,
            "dimensions": used,
            "rounds": raking.rounds,
            "converged": raking.converged,
            "gap": round(raking.gap, 8),
            "cap": 5.0,
            "design_effect": round(design_effect(weights), 3),
            "effective_n": round(effective_n(weights), 1),
            "min_weight": round(float(weights.min()), 3),
            "max_weight": round(float(weights.max()), 3),
            "effects": [],
        }

    received = (
        QuestionnaireImport.objects.filter(survey=survey).aggregate(rows=Sum("rows"))["rows"] or 0
    ) + Response.objects.filter(survey=survey).exclude(source=Response.Source.IMPORT).count()
    sample = {
        "received": int(received),
        "valid": n,
        "complete": complete,
        "dimensions": [
            _sample_dimension(dim, q, options[q.code], dim_codes[dim], weights, margins)
            for dim, q in dimensions.items()
        ],
    }

    entries = []
    top_reasons = []
    for question in questions:
        if question.dimension in dimensions and dimensions[question.dimension] == question:
            continue
        entry = _question(question, options[question.code], coded[question.code], weights)
        if question.kind in CLOSED:
            entry["crosstabs"] = [
                _crosstab(
                    question,
                    options[question.code],
                    coded[question.code],
                    dim,
                    dimensions[dim],
                    options[dimensions[dim].code],
                    dim_codes[dim],
                    weights,
                    weighted=weighting is not None,
                )
                for dim in dimensions
            ]
            if weighting is not None and entry["options"]:
                top = max(entry["options"], key=lambda o: o["share_unweighted"] or 0)
                weighting["effects"].append(
                    {
                        "code": question.code,
                        "text": question.text,
                        "label": top["label"],
                        "unweighted": top["share_unweighted"],
                        "weighted": top["share"],
                    }
                )
        if question.kind == Question.Kind.MULTIPLE and entry["n"]:
            top_reasons.append(
                {
                    "code": question.code,
                    "text": question.text,
                    "n": entry["n"],
                    "options": sorted(entry["options"], key=lambda o: -(o["share"] or 0))[
                        :TOP_REASONS
                    ],
                }
            )
        entries.append(entry)
    return {
        "survey": survey.code,
        "title": survey.title,
        "generated_at": timezone.now().isoformat(),
        "significance": SIGNIFICANCE,
        "sample": sample,
        "questions": entries,
        "top_reasons": top_reasons,
        "weighting": weighting,
    }


# --- Reading the answers ------------------------------------------------------------------------


class _ResponseIds(Aggregate):
    """The response ids of a group of answers: an array on PostgreSQL, "1,2,3" on SQLite."""

    function = "ARRAY_AGG"
    output_field = Field()

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> _AsSqlType:
        return self.as_sql(compiler, connection, function="GROUP_CONCAT", **extra_context)


def _coded(survey: Survey, questions: list[Question], ids: np.ndarray) -> dict[str, _Coded]:
    """Every answer of the survey, coded per question of the current version (answers to
    older versions count under the question of the same code).

    One query, grouped by question and answer, each group with its response ids: a few hundred
    rows for 470,000 answers (the database groups them; Python codes each group once, numpy
    takes its ids whole). A free-text question is one group: only who answered counts."""
    code_of = dict(Question.objects.filter(version__survey=survey).values_list("pk", "code"))
    index_of = {q.code: {key: i for i, key in enumerate(_keys(q))} for q in questions}
    nps = {q.code for q in questions if q.kind == Question.Kind.NPS}
    unread = [pk for pk, code in code_of.items() if code in index_of and not index_of[code]]
    groups = (
        Answer.objects.filter(response__survey=survey)
        .values(
            "question_id",
            "number",
            answer=Case(
                When(question_id__in=unread, then=Value("")),
                default=F("value"),
                output_field=TextField(),
            ),
        )
        .annotate(respondents=_ResponseIds("response_id"))
        .order_by()
    )
    found: dict[str, tuple[list[np.ndarray], list[np.ndarray]]] = {
        q.code: ([], []) for q in questions
    }
    for group in groups:
        code = code_of.get(group["question_id"])
        if code not in found:
            continue
        number = group["number"]
        if number is not None:
            key = _nps_group(number) if code in nps else str(number)
        else:
            key = group["answer"]
        respondents = _ids(group["respondents"])
        found[code][0].append(respondents)
        found[code][1].append(np.full(len(respondents), index_of[code].get(key, -1)))
    coded = {}
    for code, (groups_of, chosen) in found.items():
        at = np.searchsorted(ids, np.concatenate(groups_of or [np.zeros(0, np.int64)]))
        picked = np.concatenate(chosen or [np.zeros(0, np.int64)]).astype(np.int64)
        # The respondents who answered, once each and in order (np.unique, without its sort).
        answered = np.flatnonzero(np.bincount(at, minlength=len(ids)))
        coded[code] = _Coded(at, picked, answered)
    return coded


def _ids(raw: Any) -> np.ndarray:
    """A group's response ids as read: a list (PostgreSQL) or comma-separated text (SQLite)."""
    if isinstance(raw, str):
        return np.array(raw.split(","), dtype=np.int64)
    return np.array(raw, dtype=np.int64)


def _nps_group(number: int) -> str:
    return next(name for name, low, high in NPS_GROUPS if low <= number <= high)


def _keys(question: Question) -> list[str]:
    return [o["value"] for o in _options(question)]


def _options(question: Question) -> list[dict[str, str]]:
    """The question's options as {value, label}: its choices, the points of a scale or rating,
    the three groups of the NPS; none for free text."""
    if question.kind == Question.Kind.NPS:
        return [{"value": name, "label": NPS_LABELS[name]} for name, _l, _h in NPS_GROUPS]
    if question.kind in (Question.Kind.RATING, Question.Kind.SCALE):
        low, high = (
            (1, 5)
            if question.kind == Question.Kind.RATING
            else (
                question.scale_min if question.scale_min is not None else 1,
                question.scale_max if question.scale_max is not None else 5,
            )
        )
        labels = {str(c.get("value")): c.get("label", "") for c in question.choices or []}
        return [
            {"value": str(v), "label": labels.get(str(v)) or str(v)} for v in range(low, high + 1)
        ]
    if question.kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
        return [
            {"value": str(c.get("value", "")), "label": str(c.get("label") or c.get("value"))}
            for c in question.choices or []
        ]
    return []


def _per_respondent(coded: _Coded, n: int) -> np.ndarray:
    """A single-choice question as one category index per respondent (-1: no answer)."""
    codes = np.full(n, -1, dtype=np.int64)
    codes[coded.respondents] = coded.options
    return codes


# --- Weighting ----------------------------------------------------------------------------------


def _rake(
    margins: PopulationMargins,
    dimensions: dict[str, Question],
    options: dict[str, list[dict[str, str]]],
    dim_codes: dict[str, np.ndarray],
) -> tuple[Raking, list[str]]:
    codes, targets, used = [], [], []
    for dim, question in dimensions.items():
        given = (margins.margins or {}).get(dim)
        if not given:
            continue
        target = np.array([float(given.get(o["value"], 0.0)) for o in options[question.code]])
        if target.sum() <= 0:
            continue
        codes.append(dim_codes[dim])
        targets.append(target / target.sum())
        used.append(str(dim))
    if not codes:
        n = len(next(iter(dim_codes.values()))) if dim_codes else 0
        return Raking(np.ones(n), 0, True, 0.0), used
    return rake(codes, targets), used


# --- Tables -------------------------------------------------------------------------------------


def _share(part: float, whole: float) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _sample_dimension(
    dim: str,
    question: Question,
    options: list[dict[str, str]],
    codes: np.ndarray,
    weights: np.ndarray,
    margins: PopulationMargins | None,
) -> dict[str, Any]:
    known = codes >= 0
    counts = np.bincount(codes[known], minlength=len(options))
    weighted = np.bincount(codes[known], weights=weights[known], minlength=len(options))
    population = (margins.margins or {}).get(dim, {}) if margins else {}
    total = sum(float(v) for v in population.values()) if population else 0.0
    return {
        "dimension": dim,
        "code": question.code,
        "text": question.text,
        "n": int(known.sum()),
        "missing": int((~known).sum()),
        "rows": [
            {
                "value": o["value"],
                "label": o["label"],
                "n": int(counts[i]),
                "share_unweighted": _share(counts[i], counts.sum()),
                "share": _share(weighted[i], weighted.sum()),
                "population": _share(float(population.get(o["value"], 0)), total)
                if total
                else None,
            }
            for i, o in enumerate(options)
        ],
    }


def _question(
    question: Question, options: list[dict[str, str]], coded: _Coded, weights: np.ndarray
) -> dict[str, Any]:
    base = coded.answered
    entry: dict[str, Any] = {
        "code": question.code,
        "text": question.text,
        "text_en": question.text_en,
        "kind": question.kind,
        "n": int(len(base)),
        "options": [],
        "crosstabs": [],
    }
    if not options:
        return entry
    valid = coded.options >= 0
    counts = np.bincount(coded.options[valid], minlength=len(options))
    weighted = np.bincount(
        coded.options[valid], weights=weights[coded.respondents[valid]], minlength=len(options)
    )
    whole_w = float(weights[base].sum())
    entry["options"] = [
        {
            "value": o["value"],
            "label": o["label"],
            "n": int(counts[i]),
            "share_unweighted": _share(counts[i], len(base)),
            "share": _share(weighted[i], whole_w),
        }
        for i, o in enumerate(options)
    ]
    if question.kind in (Question.Kind.RATING, Question.Kind.SCALE) and len(base):
        points = np.array([float(o["value"]) for o in options])
        entry["mean"] = (
            round(float((weighted * points).sum() / weighted.sum()), 2) if weighted.sum() else None
        )
    if question.kind == Question.Kind.NPS and weighted.sum():
        entry["nps"] = round(100.0 * (weighted[2] - weighted[0]) / weighted.sum(), 1)
    return entry


def _crosstab(
    question: Question,
    options: list[dict[str, str]],
    coded: _Coded,
    dim: str,
    dim_question: Question,
    categories: list[dict[str, str]],
    dim_codes: np.ndarray,
    weights: np.ndarray,
    *,
    weighted: bool,
) -> dict[str, Any]:
    """The question's shares within each category of the dimension, and whether they differ
    more than chance allows (chi-square test of independence at 5%; with weights, the weighted
    table scaled to Kish's effective n, i.e. the statistic divided by the design effect)."""
    k, c = len(options), len(categories)
    valid = coded.options >= 0
    resp = coded.respondents[valid]
    cat = dim_codes[resp]
    known = cat >= 0
    cells = cat[known] * k + coded.options[valid][known]
    counts = np.bincount(cells, minlength=c * k).reshape(c, k)
    table = np.bincount(cells, weights=weights[resp[known]], minlength=c * k).reshape(c, k)
    answered = coded.answered[dim_codes[coded.answered] >= 0]
    base_n = np.bincount(dim_codes[answered], minlength=c)
    base_w = np.bincount(dim_codes[answered], weights=weights[answered], minlength=c)
    scale = effective_n(weights[answered]) / base_w.sum() if weighted and base_w.sum() else 1.0
    if question.kind == Question.Kind.MULTIPLE:
        # Each option chosen or not, by category: one 2×c test per option; the question's p is
        # the smallest, Bonferroni-corrected for the k tests.
        tests = [
            _test(np.stack([table[:, j], base_w - table[:, j]], axis=1) * scale) for j in range(k)
        ]
        ps = [t[1] for t in tests if t[1] is not None]
        p = min(1.0, min(ps) * len(ps)) if ps else None
        statistic = None
        sparse = any(t[2] for t in tests)
    else:
        statistic, p, sparse = _test(table * scale)
    return {
        "dimension": dim,
        "dimension_text": dim_question.text,
        "categories": [
            {"value": o["value"], "label": o["label"], "n": int(base_n[i])}
            for i, o in enumerate(categories)
        ],
        "counts": counts.tolist(),
        "shares": [[_share(table[i, j], base_w[i]) for j in range(k)] for i in range(c)],
        "chi2": None if statistic is None else round(statistic, 3),
        "p": None if p is None else float(f"{p:.4g}"),
        "significant": p is not None and p < SIGNIFICANCE,
        "sparse": sparse,
        "test": "kish" if weighted else "pearson",
    }


def _test(table: np.ndarray) -> tuple[float | None, float | None, bool]:
    """Pearson's chi-square over the rows and columns that are not empty: (statistic, p, and
    whether over a fifth of the expected counts are below 5, Cochran's rule)."""
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    if table.shape[0] < 2 or table.shape[1] < 2:
        return None, None, False
    # scipy's chi2_contingency(table, correction=False) step for step, hence the same figures
    # (tests/questionnaires/test_crosstab_chi_square.py), without its checks of the table and
    # the dispatch around them: a millisecond a table, and a summary has some 300 tables.
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    statistic = float(((table - expected) ** 2 / expected).sum())
    dof = (table.shape[0] - 1) * (table.shape[1] - 1)
    sparse = bool((expected < 5).mean() > 0.2)
    return statistic, float(chdtrc(dof, statistic)), sparse
