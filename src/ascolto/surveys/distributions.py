"""The answers' side of a survey's results: the distribution of every question of a version
and the free-text answers with their themes.

One grouped query reads the answers of the selected responses once (`answer_counts`): the
count of each option or point of every question, the respondents of each multiple choice
(one answer per option chosen, so they are counted as distinct responses), and the free-text
answers by theme. The version's first rating and first NPS question are not read from
`Answer`: `Response.csat` and `Response.nps` copy them, and the responses' grouping already
counts them. The latest free-text answers are a second query, which walks the responses'
index on (survey, submitted_at) from the newest and stops at the first `TEXTS_SHOWN`.

The answers are joined to their responses, not matched against a subquery of their ids, so
that the period and the filters are conditions on the joined response: the latest texts then
need no sort of the period's responses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import Case, CharField, Count, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Collate
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ascolto.core.tables import Table, localized, share
from ascolto.surveys.grouping import Grouping, Groups, Measure
from ascolto.surveys.intervals import mean_interval
from ascolto.surveys.models import Answer, Question, SurveyVersion
from ascolto.tickets.models import Theme

if TYPE_CHECKING:
    from ascolto.surveys.results import Filters

TEXTS_SHOWN = 200  # the latest free-text answers listed (and exported)
COPIED = ((Question.Kind.RATING, "csat"), (Question.Kind.NPS, "nps"))
ANSWER_COLUMNS = ("question_id", "number", "choice", "topic")
ANSWER_MEASURES = {
    "n": Measure(Count("id"), "COUNT(*)"),
    "suggested": Measure(
        Count("id", filter=Q(theme_suggested=True)),
        'COUNT(*) FILTER (WHERE "theme_suggested")',
    ),
    # Distinct, so never summed over groupings: read in the grouping by question only.
    "respondents": Measure(
        Count("response_id", distinct=True, filter=Q(multiple=True)),
        'COUNT(DISTINCT "response_id") FILTER (WHERE "multiple")',
    ),
}


def copied_questions(questions: list[Question]) -> dict[int, str]:
    """{question id: the `Response` column that copies its answer}: the first rating and the
    first NPS question of a version."""
    copied: dict[int, str] = {}
    for kind, column in COPIED:
        first = next((q for q in questions if q.kind == kind), None)
        if first is not None:
            copied[first.pk] = column
    return copied


@dataclass
class AnswerCounts:
    """What the answers of a selection say, per question: {question id: {value: count}};
    the respondents of each multiple choice; and the free-text answers per theme id (None:
    no theme) with how many of them have a theme suggested from the text."""

    counts: dict[int, dict[Any, int]]
    respondents: dict[int, int]
    themes: dict[int | None, tuple[int, int]]


def selected_answers(
    questions: list[Question], selection: dict[str, Any], filters: Filters
) -> QuerySet[Answer]:
    """The answers to `questions` of the responses `selection` (lookups on `Response`) and
    `filters` (`results.Filters`) choose."""
    rows = Answer.objects.filter(
        question_id__in=[q.pk for q in questions],
        **{f"response__{lookup}": value for lookup, value in selection.items()},
    )
    return filters.apply(rows, "response__")


def answer_grouping(
    questions: list[Question], selection: dict[str, Any], filters: Filters
) -> Grouping | None:
    """The answers to every question of `questions` that is neither free text nor copied to
    `Response`, by question and value (with the respondents of each multiple choice), and the
    free-text answers by question and theme; None when there is nothing to count."""
    copied = copied_questions(questions)
    counted = [q.pk for q in questions if q.kind != Question.Kind.TEXT and q.pk not in copied]
    texts = [q.pk for q in questions if q.kind == Question.Kind.TEXT]
    multiple = [q.pk for q in questions if q.kind == Question.Kind.MULTIPLE and q.pk in counted]
    wanted = [q for q in questions if q.pk in counted or q.pk in texts]
    if not wanted:
        return None
    # A free text is grouped by its theme, never by its words; an empty one is no answer.
    rows = (
        selected_answers(wanted, selection, filters)
        .exclude(question_id__in=texts, value="")
        .annotate(
            choice=_bytewise(
                Case(
                    When(question_id__in=texts, then=Value("")),
                    default=F("value"),
                    output_field=CharField(),
                )
            ),
            topic=Case(
                When(question_id__in=texts, then=F("theme_id")),
                default=None,
                output_field=IntegerField(),
            ),
            multiple=Q(question_id__in=multiple or [0]),
        )
    )
    return Grouping(
        rows,
        ANSWER_COLUMNS,
        [ANSWER_COLUMNS, ("question_id",)],
        ANSWER_MEASURES,
        carried=("theme_suggested", "response_id", "multiple"),
    )


def _bytewise(text: Any) -> Any:
    """On PostgreSQL the options compared byte by byte (collation "C"), not by the language's
    rules: they are counted, not ordered, and the sort behind the respondents' distinct count
    compares them once per answer (a sixth of the query over 100,000 responses)."""
    return Collate(text, "C") if connection.vendor == "postgresql" else text


def answer_counts(questions: list[Question], groups: Groups | None) -> AnswerCounts:
    """The counts of `answer_grouping`'s groups, by question."""
    found = AnswerCounts({}, {}, {})
    if groups is None:
        return found
    kinds = {q.pk: q.kind for q in questions}
    for (question, number, choice, topic), row in groups[ANSWER_COLUMNS].items():
        if kinds.get(question) == Question.Kind.TEXT:
            n, suggested = found.themes.get(topic, (0, 0))
            found.themes[topic] = (n + row["n"], suggested + row["suggested"])
            continue
        value = number if number is not None else choice
        found.counts.setdefault(question, {})[value] = row["n"]
    for question, row in groups[("question_id",)].items():
        if kinds.get(question) == Question.Kind.MULTIPLE:
            found.respondents[question] = row["respondents"] or 0
    return found


# --- Questions ---------------------------------------------------------------------------------


def question_tables(
    questions: list[Question], answers: AnswerCounts, copies: Groups, version: SurveyVersion
) -> list[Table]:
    """One table per question (free text apart): the count of each option or point, its share
    of the respondents to that question, and for numbers the mean. The copied questions'
    counts are `copies`: the responses grouped by (version_id, csat) and (version_id, nps)."""
    counts = dict(answers.counts)
    for pk, column in copied_questions(questions).items():
        counts[pk] = {
            value: row["n"]
            for (of, value), row in copies.get(("version_id", column), {}).items()
            if of == version.pk and value is not None
        }
    tables = []
    for q in questions:
        if q.kind == Question.Kind.TEXT:
            continue
        found = counts.get(q.pk, {})
        respondents = answers.respondents.get(q.pk, sum(found.values()))
        tables.append(_question_table(q, found, respondents))
    return tables


def _points(question: Question) -> list[int]:
    if question.kind == Question.Kind.RATING:
        return list(range(1, 6))
    if question.kind == Question.Kind.NPS:
        return list(range(0, 11))
    low = question.scale_min if question.scale_min is not None else 1
    high = question.scale_max if question.scale_max is not None else 5
    return list(range(low, high + 1))


def _question_table(question: Question, counts: dict[Any, int], respondents: int) -> Table:
    columns = [_("Risposta"), _("Risposte"), _("% dei rispondenti")]
    note = ""
    if question.kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
        labels = {
            str(c.get("value")): str(c.get("label") or c.get("value"))
            for c in question.choices or []
        }
        values = list(labels) + sorted(str(v) for v in counts if str(v) not in labels)
        rows = [
            [labels.get(v, v), counts.get(v, 0), share(counts.get(v, 0), respondents)]
            for v in values
        ]
        if question.kind == Question.Kind.MULTIPLE:
            note = _("Più risposte possibili: le percentuali non sommano a 100.")
    else:
        points = _points(question)
        labels = {str(c.get("value")): str(c.get("label")) for c in question.choices or []}
        rows = [
            [labels.get(str(p)) or str(p), counts.get(p, 0), share(counts.get(p, 0), respondents)]
            for p in points
        ]
        total = sum(p * counts.get(p, 0) for p in counts if isinstance(p, int))
        squares = sum(p * p * counts.get(p, 0) for p in counts if isinstance(p, int))
        mean = mean_interval(total, squares, respondents).rounded(2)
        if mean.value is not None:
            note = _("Media %(mean)s (intervallo al 95%%: %(low)s–%(high)s), %(n)d risposte.") % {
                "mean": localized(mean.value),
                "low": localized(mean.low),
                "high": localized(mean.high),
                "n": respondents,
            }
    return Table(
        f"q-{question.code}",
        question.text,
        columns,
        rows,
        chart="bar",
        note=note or _("%(n)d risposte.") % {"n": respondents},
    )


# --- Free text ---------------------------------------------------------------------------------


def latest_texts(
    questions: list[Question], selection: dict[str, Any], filters: Filters
) -> list[Answer]:
    """The latest `TEXTS_SHOWN` free-text answers of the selection, newest first."""
    texts = [q for q in questions if q.kind == Question.Kind.TEXT]
    if not texts:
        return []
    return list(
        selected_answers(texts, selection, filters)
        .exclude(value="")
        .select_related("question", "theme", "response")
        .only(
            "value",
            "theme_suggested",
            "question",
            "question__text",
            "theme",
            "theme__name",
            "response",
            "response__submitted_at",
        )
        .order_by("-response__submitted_at", "-pk")[:TEXTS_SHOWN]
    )


def text_theme_table(themes: dict[int | None, tuple[int, int]]) -> Table:
    names = dict(
        Theme.objects.filter(pk__in=[pk for pk in themes if pk is not None]).values_list(
            "pk", "name"
        )
    )
    counted = sorted(
        (-n, str(names[pk]) if pk is not None else _("Senza tema"), suggested)
        for pk, (n, suggested) in themes.items()
        if pk is None or pk in names
    )
    rows: list[list[Any]] = [[name, -n, suggested] for n, name, suggested in counted]
    return Table(
        "text-themes",
        _("Temi delle risposte libere"),
        [_("Tema"), _("Risposte"), _("di cui con tema suggerito dal testo")],
        rows,
        chart="bar",
    )


def text_table(texts: list[Answer]) -> Table:
    return Table(
        "texts",
        _("Risposte libere (le più recenti)"),
        [_("Data"), _("Domanda"), _("Risposta"), _("Tema"), _("Tema suggerito")],
        [
            [
                date_format(timezone.localtime(a.response.submitted_at), "SHORT_DATE_FORMAT"),
                a.question.text,
                a.value,
                a.theme.name if a.theme is not None else "",
                _("sì") if a.theme_suggested else "",
            ]
            for a in texts
        ],
    )
