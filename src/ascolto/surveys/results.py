"""The results of a survey over a period: invitations, responses and response rate, CSAT and
NPS with their confidence intervals, split by channel, office, theme, service and month, the
distribution of every question of a version, and the free-text answers with their themes.

Every figure is an aggregate in the database (`Response.csat` and `Response.nps` are copies of
the version's first rating and NPS answer, so the headline figures and the splits never touch
`Answer`); Python only turns counts into shares and intervals. Read-only: the writes of this
page (tagging a free-text answer with a theme, suggesting themes from the text) are
`surveys.actions.tag_answer` and `surveys.actions.suggest_answer_themes`.

The intervals, at 95 %:

- a share (the response rate, the CSAT as the share of 4–5 stars) has Wilson's score interval,
  right near 0 % and 100 % and with few answers, where the normal approximation is not;
- a mean (the CSAT as the mean of the stars) has the normal interval mean ± 1.96 · s / √n, with
  s the sample standard deviation;
- the NPS (promoters 9–10 minus detractors 0–6, ×100) is the mean of a score worth +1, 0 or −1
  per respondent; its variance is p + d − (p − d)² over n (p, d: the shares of promoters and
  detractors), and its interval NPS ± 1.96 · 100 · √variance, clipped to −100…100.

A split's cell with fewer than `MIN_CELL` responses keeps its counts but shows no share, mean or
interval: its figures would say more about chance than about the service (the note says so).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ascolto.channels.models import Channel
from ascolto.core import access
from ascolto.core.roles import Role
from ascolto.core.tables import Dashboard, Figure, Table, localized, share
from ascolto.organisation.models import Office
from ascolto.surveys.grouping import Key, Measure, grouped
from ascolto.surveys.models import (
    Answer,
    Invitation,
    Question,
    Response,
    Service,
    Survey,
    SurveyVersion,
)
from ascolto.tickets.models import Theme

Z = 1.96  # 95 % two-sided
MIN_CELL = 10  # responses below which a cell's shares, means and intervals are not shown
TEXTS_SHOWN = 200  # the latest free-text answers listed (and exported)


# --- Intervals ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """A figure with its 95 % interval and the number of answers it rests on."""

    value: float | None
    low: float | None
    high: float | None
    n: int

    def rounded(self, digits: int = 1) -> Estimate:
        def r(x: float | None) -> float | None:
            return None if x is None else round(x, digits) + 0.0  # no "-0.0"

        return Estimate(r(self.value), r(self.low), r(self.high), self.n)


NONE = Estimate(None, None, None, 0)


def wilson(k: int, n: int, z: float = Z) -> Estimate:
    """The share k/n in percent with Wilson's score interval."""
    if n <= 0:
        return Estimate(None, None, None, n)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return Estimate(100 * p, 100 * max(0.0, centre - half), 100 * min(1.0, centre + half), n)


def mean_interval(total: float, squares: float, n: int, z: float = Z) -> Estimate:
    """The mean of n values from their sum and sum of squares, ± z standard errors (sample
    standard deviation; no interval for a single value)."""
    if n <= 0:
        return Estimate(None, None, None, n)
    mean = total / n
    if n == 1:
        return Estimate(mean, None, None, n)
    variance = max(0.0, (squares - n * mean * mean) / (n - 1))
    half = z * math.sqrt(variance / n)
    return Estimate(mean, mean - half, mean + half, n)


def nps_interval(promoters: int, detractors: int, n: int, z: float = Z) -> Estimate:
    """The NPS (−100…100) with the interval of a difference of two shares of one sample."""
    if n <= 0:
        return Estimate(None, None, None, n)
    p, d = promoters / n, detractors / n
    variance = max(0.0, p + d - (p - d) ** 2) / n
    half = 100 * z * math.sqrt(variance)
    nps = 100 * (p - d)
    return Estimate(nps, max(-100.0, nps - half), min(100.0, nps + half), n)


# --- Scope and filters -------------------------------------------------------------------------


def visible_surveys(user: Any) -> QuerySet[Survey]:
    """The surveys whose results `user` reads: every survey for analysts, supervisors and
    administrators; for an office operator, the surveys of their office and the offices below
    it; none for anyone else (first-level operators answer citizens, they do not read results)."""
    surveys = Survey.objects.all()
    if access.analyses(user):
        return surveys
    if getattr(user, "role", "") == Role.OFFICE:
        return access.visible(surveys, user)
    return surveys.none()


@dataclass(frozen=True)
class Filters:
    """What the results page narrows to, besides the period: a channel kind, an office (with
    the offices below it), a service."""

    channel: str = ""
    office: Office | None = None
    service: Service | None = None

    def apply(self, rows: QuerySet[Any]) -> QuerySet[Any]:
        if self.channel:
            rows = rows.filter(channel_kind=self.channel)
        if self.office is not None:
            rows = rows.filter(office__path__startswith=self.office.path)
        if self.service is not None:
            rows = rows.filter(service=self.service)
        return rows


def responses(survey: Survey, since: Any, until: Any, filters: Filters) -> QuerySet[Response]:
    rows = Response.objects.filter(survey=survey, submitted_at__gte=since, submitted_at__lt=until)
    return filters.apply(rows)


def invitations(survey: Survey, since: Any, until: Any, filters: Filters) -> QuerySet[Invitation]:
    rows = Invitation.objects.filter(survey=survey, created_at__gte=since, created_at__lt=until)
    return filters.apply(rows)


# --- Scores ------------------------------------------------------------------------------------


SCORES = {
    "n": Count("id"),
    "csat_n": Count("csat"),
    "csat_top": Count("id", filter=Q(csat__gte=4)),
    "csat_sum": Sum("csat"),
    "csat_sq": Sum(F("csat") * F("csat")),
    "nps_n": Count("nps"),
    "promoters": Count("id", filter=Q(nps__gte=9)),
    "detractors": Count("id", filter=Q(nps__lte=6)),
}
# Answers with no invitation: from a public link, or imported from a file.
UNINVITED = Q(source=Response.Source.IMPORT) | Q(via="") | Q(via=Invitation.Via.LINK)
RESPONSE_MEASURES = {
    "n": Measure(Count("id"), "COUNT(*)"),
    "csat_n": Measure(Count("csat"), 'COUNT("csat")'),
    "csat_top": Measure(Count("id", filter=Q(csat__gte=4)), 'COUNT(*) FILTER (WHERE "csat" >= 4)'),
    "csat_sum": Measure(Sum("csat"), 'SUM("csat")'),
    "csat_sq": Measure(Sum(F("csat") * F("csat")), 'SUM("csat" * "csat")'),
    "nps_n": Measure(Count("nps"), 'COUNT("nps")'),
    "promoters": Measure(Count("id", filter=Q(nps__gte=9)), 'COUNT(*) FILTER (WHERE "nps" >= 9)'),
    "detractors": Measure(Count("id", filter=Q(nps__lte=6)), 'COUNT(*) FILTER (WHERE "nps" <= 6)'),
    "uninvited": Measure(
        Count("id", filter=UNINVITED),
        "COUNT(*) FILTER (WHERE \"source\" = 'import' OR \"via\" IN ('', 'link'))",
    ),
}
INVITATION_MEASURES = {
    "n": Measure(Count("id"), "COUNT(*)"),
    "answered": Measure(Count("answered_at"), 'COUNT("answered_at")'),
}
DIMENSIONS = ("channel_kind", "office_id", "theme_id", "service_id", "month")


@dataclass(frozen=True)
class Scores:
    """The satisfaction figures of a set of responses."""

    responses: int
    csat: Estimate  # share of 4–5 stars, %
    csat_mean: Estimate  # mean stars, 1–5
    nps: Estimate  # −100…100

    @classmethod
    def of(cls, row: dict[str, Any]) -> Scores:
        csat_n, nps_n = row.get("csat_n") or 0, row.get("nps_n") or 0
        return cls(
            responses=row.get("n") or 0,
            csat=wilson(row.get("csat_top") or 0, csat_n),
            csat_mean=mean_interval(
                float(row.get("csat_sum") or 0), float(row.get("csat_sq") or 0), csat_n
            ),
            nps=nps_interval(row.get("promoters") or 0, row.get("detractors") or 0, nps_n),
        )


def scores(rows: QuerySet[Response]) -> Scores:
    return Scores.of(rows.aggregate(**SCORES))


# --- Splits ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Split:
    key: str
    title: str
    column: str
    field: str  # on Response and Invitation


def _splits() -> list[Split]:
    return [
        Split("channel", _("Per canale"), _("Canale"), "channel_kind"),
        Split("office", _("Per ufficio"), _("Ufficio"), "office_id"),
        Split("theme", _("Per tema"), _("Tema"), "theme_id"),
        Split("service", _("Per servizio"), _("Servizio"), "service_id"),
    ]


def split_columns() -> list[str]:
    return [
        _("Inviti"),
        _("Risposte"),
        _("Tasso di risposta (%)"),
        _("CSAT (% 4-5 stelle)"),
        _("CSAT min"),
        _("CSAT max"),
        _("Media stelle"),
        _("NPS"),
        _("NPS min"),
        _("NPS max"),
        _("Nota"),
    ]


def _row(label: str, invited: int, answered: int, found: Scores) -> list[Any]:
    """One row of a split: the counts always; shares, means and intervals only from
    `MIN_CELL` responses on."""
    small = found.responses < MIN_CELL
    rate = wilson(answered, invited).rounded() if invited else NONE
    csat = found.csat.rounded()
    mean = found.csat_mean.rounded(2)
    nps = found.nps.rounded()
    if small:
        return [
            label,
            invited,
            found.responses,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            _("meno di %(n)d risposte: valori non mostrati") % {"n": MIN_CELL},
        ]
    return [
        label,
        invited,
        found.responses,
        rate.value,
        csat.value,
        csat.low,
        csat.high,
        mean.value,
        nps.value,
        nps.low,
        nps.high,
        "",
    ]


def _labels(split: Split, keys: Iterable[Any]) -> dict[Any, str]:
    wanted = [k for k in keys if k not in (None, "")]
    if split.key == "channel":
        names = dict(Channel.Kind.choices)
        return {k: str(names.get(k, k)) for k in wanted}
    names_of: dict[str, QuerySet[Any]] = {
        "office": Office.objects.all(),
        "theme": Theme.objects.all(),
        "service": Service.objects.all(),
    }
    rows = names_of[split.key].filter(pk__in=wanted).values_list("pk", "name")
    return {pk: str(name) for pk, name in rows}


Groups = dict[Key, dict[Any, dict[str, Any]]]


def split_table(split: Split, answered: Groups, invited_groups: Groups) -> Table:
    """Responses and invitations grouped by one dimension."""
    by_key = {k: Scores.of(row) for k, row in answered.get((split.field,), {}).items()}
    invited = {
        k: (row["n"] or 0, row["answered"] or 0)
        for k, row in invited_groups.get((split.field,), {}).items()
    }
    keys = set(by_key) | set(invited)
    labels = _labels(split, keys)
    none = Scores(0, NONE, NONE, NONE)
    ordered = sorted(
        keys,
        key=lambda k: (k in (None, ""), -by_key.get(k, none).responses, labels.get(k, "")),
    )
    rows = [
        _row(
            labels.get(k) or _("Non indicato"),
            invited.get(k, (0, 0))[0],
            invited.get(k, (0, 0))[1],
            by_key.get(k, none),
        )
        for k in ordered
    ]
    return Table(split.key, split.title, [split.column, *split_columns()], rows)


def _months(start: date, end: date) -> list[date]:
    months, at = [], start.replace(day=1)
    while at <= end:
        months.append(at)
        at = date(at.year + at.month // 12, at.month % 12 + 1, 1)
    return months


def month_table(start: date, end: date, answered: Groups, invited_groups: Groups) -> Table:
    """The monthly trend: every month of the period, empty ones included."""
    by_month = {k: Scores.of(row) for k, row in answered.get(("month",), {}).items()}
    invited = {
        k: (row["n"] or 0, row["answered"] or 0)
        for k, row in invited_groups.get(("month",), {}).items()
    }
    none = Scores(0, NONE, NONE, NONE)
    rows = [
        _row(
            date_format(month, "YEAR_MONTH_FORMAT"),
            invited.get(month, (0, 0))[0],
            invited.get(month, (0, 0))[1],
            by_month.get(month, none),
        )
        for month in _months(start, end)
    ]
    return Table(
        "month",
        _("Andamento mensile"),
        [_("Mese"), *split_columns()],
        rows,
        chart="line",
        plotted=(4, 8),
    )


# --- Questions ---------------------------------------------------------------------------------


def _answers(version: SurveyVersion, answered_rows: QuerySet[Response]) -> QuerySet[Answer]:
    return Answer.objects.filter(question__version=version, response__in=answered_rows.values("pk"))


def question_tables(
    version: SurveyVersion, answered_rows: QuerySet[Response], answered: Groups | None = None
) -> list[Table]:
    """One table per question of `version` (free text apart): the count of each option or
    point, its share of the respondents to that question, and for numbers the mean.

    The version's first rating and first NPS question are counted from `Response.csat` and
    `Response.nps` (in `answered`, grouped by version), the others from their answers."""
    questions = [q for q in version.questions.all() if q.kind != Question.Kind.TEXT]
    if not questions:
        return []
    counts: dict[int, dict[Any, int]] = {}
    copied: dict[int, str] = {}
    if answered is not None:
        for kind, column in ((Question.Kind.RATING, "csat"), (Question.Kind.NPS, "nps")):
            first = next((q for q in questions if q.kind == kind), None)
            if first is None:
                continue
            copied[first.pk] = column
            counts[first.pk] = {
                value: row["n"]
                for (of, value), row in answered.get(("version_id", column), {}).items()
                if of == version.pk and value is not None
            }
    answers = _answers(version, answered_rows).filter(
        question_id__in=[q.pk for q in questions if q.pk not in copied]
    )
    for row in answers.order_by().values("question_id", "number", "value").annotate(n=Count("id")):
        value = row["number"] if row["number"] is not None else row["value"]
        counts.setdefault(row["question_id"], {})[value] = row["n"]
    respondents: dict[int, int] = {q.pk: sum(counts.get(q.pk, {}).values()) for q in questions}
    multiple = [q.pk for q in questions if q.kind == Question.Kind.MULTIPLE]
    if multiple:
        for row in (
            answers.filter(question_id__in=multiple)
            .order_by()
            .values("question_id")
            .annotate(n=Count("response_id", distinct=True))
        ):
            respondents[row["question_id"]] = row["n"]
    return [_question_table(q, counts.get(q.pk, {}), respondents[q.pk]) for q in questions]


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


def text_answers(version: SurveyVersion, answered_rows: QuerySet[Response]) -> QuerySet[Answer]:
    """The free-text answers of the version in the selection, newest first."""
    return (
        _answers(version, answered_rows)
        .filter(question__kind=Question.Kind.TEXT)
        .exclude(value="")
        .select_related("question", "theme", "response")
        .order_by("-response__submitted_at", "-pk")
    )


def text_theme_table(texts: QuerySet[Answer]) -> Table:
    rows = [
        [
            row["theme__name"] or _("Senza tema"),
            row["n"],
            row["suggested"],
        ]
        for row in texts.order_by()
        .values("theme__name")
        .annotate(n=Count("id"), suggested=Count("id", filter=Q(theme_suggested=True)))
        .order_by("-n", "theme__name")
    ]
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


# --- The page ----------------------------------------------------------------------------------


@dataclass
class Results:
    """What the results page shows and exports: the dashboard (figures and tables) and the
    free-text answers (objects, for the tag form)."""

    survey: Survey
    version: SurveyVersion | None
    board: Dashboard
    scores: Scores
    rate: Estimate
    texts: list[Answer] = field(default_factory=list)


def survey_results(
    survey: Survey,
    start: date,
    end: date,
    since: Any,
    until: Any,
    filters: Filters | None = None,
    version: SurveyVersion | None = None,
) -> Results:
    """The results of `survey` for the responses submitted and the invitations sent from
    `since` (included) to `until` (excluded), the days `start`…`end`.

    The response rate counts the invitations answered among those sent in the period: answers
    from a public link or imported from a file have no invitation and no rate."""
    filters = filters or Filters()
    version = version or survey.current_version
    answered_rows = responses(survey, since, until, filters)
    invited_rows = invitations(survey, since, until, filters)
    sets: list[Key] = [(), *((c,) for c in DIMENSIONS)]
    answered = grouped(
        answered_rows,
        "submitted_at",
        (*DIMENSIONS, "version_id", "csat", "nps"),
        [*sets, ("version_id", "csat"), ("version_id", "nps")],
        RESPONSE_MEASURES,
        carried=("source", "via"),
    )
    invited_groups = grouped(
        invited_rows, "created_at", DIMENSIONS, sets, INVITATION_MEASURES, carried=("answered_at",)
    )
    total = answered[()].get((), {})
    found = Scores.of(total)
    invited = invited_groups[()].get((), {})
    rate = wilson(invited.get("answered") or 0, invited.get("n") or 0).rounded()
    not_invited = total.get("uninvited") or 0
    csat, mean, nps = found.csat.rounded(), found.csat_mean.rounded(2), found.nps.rounded()
    figures = [
        Figure(_("Inviti"), invited.get("n") or 0),
        Figure(
            _("Risposte"),
            found.responses,
            note=_("%(n)d senza invito (link o importate)") % {"n": not_invited},
        ),
        Figure(_("Tasso di risposta"), rate.value, "%", _interval(rate, "%")),
        Figure(_("CSAT (4-5 stelle)"), csat.value, "%", _interval(csat, "%")),
        Figure(_("Media delle stelle"), mean.value, _("su 5"), _interval(mean, "")),
        Figure(_("NPS"), nps.value, "", _interval(nps, "")),
    ]
    tables = [month_table(start, end, answered, invited_groups)]
    tables += [split_table(s, answered, invited_groups) for s in _splits()]
    texts: list[Answer] = []
    if version is not None:
        tables += question_tables(version, answered_rows, answered)
        text_rows = text_answers(version, answered_rows)
        texts = list(text_rows[:TEXTS_SHOWN])
        tables.append(text_theme_table(text_rows))
        tables.append(text_table(texts))
    board = Dashboard(
        key=f"questionario-{survey.code}",
        title=_("Risultati: %(title)s") % {"title": survey.title},
        subtitle=_("Dal %(start)s al %(end)s")
        % {
            "start": date_format(start, "SHORT_DATE_FORMAT"),
            "end": date_format(end, "SHORT_DATE_FORMAT"),
        },
        figures=figures,
        tables=tables,
        notes=[
            _(
                "Intervalli di confidenza al 95%%: Wilson per le percentuali, normale per la "
                "media delle stelle e per l'NPS (varianza della differenza tra promotori e "
                "detrattori). Le righe con meno di %(n)d risposte non mostrano valori."
            )
            % {"n": MIN_CELL}
        ],
    )
    return Results(survey, version, board, found, rate, texts)


def _interval(estimate: Estimate, unit: str) -> str:
    if estimate.low is None or estimate.high is None:
        return _("%(n)d risposte") % {"n": estimate.n}
    return _("95%%: %(low)s–%(high)s%(unit)s, %(n)d risposte") % {
        "low": localized(estimate.low),
        "high": localized(estimate.high),
        "unit": unit,
        "n": estimate.n,
    }
