"""The results of a survey over a period: invitations, responses and response rate, CSAT and
NPS with their confidence intervals, split by channel, office, theme, service and month, the
distribution of every question of a version, and the free-text answers with their themes.

Every figure is an aggregate in the database (`Response.csat` and `Response.nps` are copies of
the version's first rating and NPS answer, so the headline figures and the splits never touch
`Answer`); Python only turns counts into shares and intervals. Read-only: the writes of this
page (tagging a free-text answer with a theme, suggesting themes from the text) are
`surveys.actions.tag_answer` and `surveys.actions.suggest_answer_themes`.

The intervals, at 95 %, are `surveys.intervals`'s: Wilson's score interval for a share, the
normal interval for a mean and for the NPS.

A split's cell with fewer than `MIN_CELL` responses keeps its counts but shows no share, mean or
interval: its figures would say more about chance than about the service (the note says so).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ascolto.channels.models import Channel
from ascolto.core import access, parallel
from ascolto.core.roles import Role
from ascolto.core.tables import Dashboard, Figure, Table, localized
from ascolto.organisation.models import Office
from ascolto.surveys.distributions import (
    answer_counts,
    answer_grouping,
    latest_texts,
    question_tables,
    text_table,
    text_theme_table,
)
from ascolto.surveys.grouping import (
    Grouping,
    Groups,
    Key,
    Measure,
    grouped,
    month_of,
    rolled_up,
)
from ascolto.surveys.intervals import NONE, Estimate, mean_interval, nps_interval, wilson
from ascolto.surveys.models import Answer, Invitation, Response, Service, Survey, SurveyVersion
from ascolto.tickets.models import Theme

MIN_CELL = 10  # responses below which a cell's shares, means and intervals are not shown


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

    def apply(self, rows: QuerySet[Any], prefix: str = "") -> QuerySet[Any]:
        """`rows` narrowed: responses or invitations, or with `prefix` ("response__") rows
        that belong to a response."""
        if self.channel:
            rows = rows.filter(**{f"{prefix}channel_kind": self.channel})
        if self.office is not None:
            rows = rows.filter(**{f"{prefix}office__path__startswith": self.office.path})
        if self.service is not None:
            rows = rows.filter(**{f"{prefix}service": self.service})
        return rows


def period(survey: Survey, since: Any, until: Any) -> dict[str, Any]:
    """The lookups on `Response` of the survey's responses submitted in the period."""
    return {"survey": survey, "submitted_at__gte": since, "submitted_at__lt": until}


def responses(survey: Survey, since: Any, until: Any, filters: Filters) -> QuerySet[Response]:
    return filters.apply(Response.objects.filter(**period(survey, since, until)))


def invitations(survey: Survey, since: Any, until: Any, filters: Filters) -> QuerySet[Invitation]:
    rows = Invitation.objects.filter(survey=survey, created_at__gte=since, created_at__lt=until)
    return filters.apply(rows)


# --- Scores ------------------------------------------------------------------------------------


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
# The groupings read on PostgreSQL in one scan of each table, a hash per grouping per row: the
# splits by pairs of columns, each summed into its columns' splits (`grouping.rolled_up`),
# and the stars and NPS points for the question tables. Pairs keep the hashes per row few and
# the cells few: months × channels, offices × services (the services are each an office's).
PAIRS: list[Key] = [("month", "channel_kind"), ("office_id", "service_id"), ("theme_id",)]
POINTS: Key = ("version_id", "csat", "nps")


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


def split_table(split: Split, answered: Groups, invited_groups: Groups) -> Table:
    """Responses and invitations grouped by one dimension."""
    by_key = {k: Scores.of(row) for k, row in answered.get((split.field,), {}).items()}
    invited = {
        k: (row.get("n") or 0, row.get("answered") or 0)
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


def months(start: date, end: date) -> list[date]:
    months, at = [], start.replace(day=1)
    while at <= end:
        months.append(at)
        at = date(at.year + at.month // 12, at.month % 12 + 1, 1)
    return months


def month_table(start: date, end: date, answered: Groups, invited_groups: Groups) -> Table:
    """The monthly trend: every month of the period, empty ones included."""
    by_month = {k: Scores.of(row) for k, row in answered.get(("month",), {}).items()}
    invited = {
        k: (row.get("n") or 0, row.get("answered") or 0)
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
        for month in months(start, end)
    ]
    return Table(
        "month",
        _("Andamento mensile"),
        [_("Mese"), *split_columns()],
        rows,
        chart="line",
        plotted=(4, 8),
    )


def _by_split(
    rows: QuerySet[Any], month: Any, measures: dict[str, Measure], carried: tuple[str, ...]
) -> Groups:
    """`rows` (responses or invitations) in total and by each split's column, and responses
    also by (version_id, csat) and (version_id, nps): one query by the `PAIRS` of columns
    (and the `POINTS`), each pair's cells summed into its columns."""
    points = rows.model is Response
    sets = [*PAIRS, POINTS] if points else list(PAIRS)
    columns = tuple(dict.fromkeys(c for key in sets for c in key))
    found = grouped(Grouping(rows.annotate(month=month), columns, sets, measures, carried))
    out: Groups = {(): rolled_up(found[PAIRS[-1]], PAIRS[-1], ())}
    for pair in PAIRS:
        for column in pair:
            out[(column,)] = rolled_up(found[pair], pair, (column,))
    if points:
        for column in ("csat", "nps"):
            out[("version_id", column)] = rolled_up(found[POINTS], POINTS, ("version_id", column))
    return out


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
    period_months = months(start, end)
    questions = list(version.questions.order_by("position")) if version is not None else []
    selection = period(survey, since, until)
    answer_rows = answer_grouping(questions, selection, filters) if questions else None
    # The four reads are independent: on PostgreSQL they run at once (core/parallel.py).
    answered, invited_groups, answer_groups, texts = parallel.at_once(
        lambda: _by_split(
            responses(survey, since, until, filters),
            month_of("submitted_at", period_months),
            RESPONSE_MEASURES,
            carried=("source", "via"),
        ),
        lambda: _by_split(
            invitations(survey, since, until, filters),
            month_of("created_at", period_months),
            INVITATION_MEASURES,
            carried=("answered_at",),
        ),
        lambda: grouped(answer_rows) if answer_rows else None,
        lambda: latest_texts(questions, selection, filters) if questions else [],
    )
    total = answered.get((), {}).get((), {})
    found = Scores.of(total)
    invited = invited_groups.get((), {}).get((), {})
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
    if version is not None:
        answers = answer_counts(questions, answer_groups)
        tables += question_tables(questions, answers, answered, version)
        tables.append(text_theme_table(answers.themes))
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
