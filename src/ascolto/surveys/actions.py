"""Actions of listening: the page rating of the Designers Italia model, and answering a survey
(`submit_response`, with its branching `shown_questions`); the import of a large
questionnaire's answers and its executive summary (generate, edit, publish). Building a survey
(settings, questions, versions, publishing, closing) is `surveys.building`; the themes of the
free-text answers of a survey (tagged by an analyst, or suggested from the text).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from ascolto.core import outbox
from ascolto.core.errors import DomainError, InvalidInput, NotFound
from ascolto.surveys import imports
from ascolto.surveys.building import (
    CHOICE_KINDS,
    NUMBER_KINDS,
    SurveyNotOpen,
    number_range,
    possible_values,
)
from ascolto.surveys.models import (
    Answer,
    ExecutiveSummary,
    Invitation,
    PageRating,
    PopulationMargins,
    Question,
    Response,
    Service,
    Survey,
    SurveyVersion,
)
from ascolto.surveys.themes import suggest_themes
from ascolto.tickets.models import Theme

MAX_PAGE = 300


def _page(page: str) -> str:
    path = (page or "").split("?", 1)[0].split("#", 1)[0].strip()
    if not path.startswith("/") or len(path) > MAX_PAGE:
        raise InvalidInput(
            _("La pagina valutata deve essere un percorso di questo sito."), field="page"
        )
    return path


def rate_page(
    page: str, score: int, reason: str = "", comment: str = "", *, origin: str = ""
) -> PageRating:
    """Store a rating of the page at `page` (a path, its query string dropped); `origin` is the
    portal's origin for a page of the city's portal (the embedded rating), "" for ours.

    `reason` must be one of the answers offered for that score (1–3: what was hard; 4–5: what
    was liked); `comment` is at most 200 characters. Anonymous: nothing about the person.
    """
    rating = PageRating(page=_page(page), origin=origin[:200], created_at=timezone.now())
    _fill(rating, score, reason, comment)
    rating.save(force_insert=True)
    return rating


def complete_rating(rating_id: int, *, reason: str = "", comment: str = "") -> PageRating:
    """Add the follow-up answer and/or the comment to a rating given a moment ago."""
    rating = PageRating.objects.filter(pk=rating_id).first()
    if rating is None:
        raise NotFound(_("Questa valutazione non esiste."), field="rating")
    _fill(rating, rating.score, reason or rating.reason, comment or rating.comment)
    rating.save(update_fields=["reason", "comment"])
    return rating


def _fill(rating: PageRating, score: int, reason: str, comment: str) -> None:
    if score not in range(1, 6):
        raise InvalidInput(_("Il punteggio va da 1 a 5 stelle."), field="score")
    allowed = PageRating.POSITIVE if score >= 4 else PageRating.NEGATIVE
    if reason and reason not in allowed:
        raise InvalidInput(_("Questa risposta non corrisponde al punteggio."), field="reason")
    comment = (comment or "").strip()
    if len(comment) > PageRating.MAX_COMMENT:
        raise InvalidInput(_("Il commento supera i 200 caratteri."), field="comment")
    rating.score = score
    rating.reason = reason
    rating.comment = comment


# --- Errors of answering ----------------------------------------------------------------


class InvitationExpired(DomainError):
    """The invitation's link is past its validity."""


class InvitationUsed(DomainError):
    """The invitation was answered already: one answer per invitation."""


class AnswersInvalid(DomainError):
    """Some answers are not acceptable: `errors` maps each question's code to why."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(_("Alcune risposte non sono valide."), field="answers")
        self.errors = dict(errors)


MAX_TEXT = 2000
LANGUAGES = ("it", "en")


# --- Answering ------------------------------------------------------------------------------


def _given(raw: Any) -> bool:
    if raw is None:
        return False
    if isinstance(raw, str):
        return bool(raw.strip())
    if isinstance(raw, list | tuple | set | frozenset):
        return any(_given(item) for item in raw)
    return True


def _as_values(raw: Any) -> list[str]:
    """An answer as the texts `show_if_values` is compared with."""
    if not _given(raw):
        return []
    items = raw if isinstance(raw, list | tuple | set | frozenset) else [raw]
    return [str(item).strip() for item in items if _given(item)]


def shown_questions(
    version: SurveyVersion | Sequence[Question], answers: Mapping[str, Any]
) -> list[Question]:
    """The questions of `version` a respondent with these `answers` is asked, in order: a
    question with `show_if` is asked when the earlier question it names was asked and answered
    with one of `show_if_values` (for a multiple choice: any of the options chosen)."""
    questions = (
        list(version.questions.order_by("position", "pk"))
        if isinstance(version, SurveyVersion)
        else list(version)
    )
    shown: list[Question] = []
    asked: set[str] = set()
    for question in questions:
        if question.show_if:
            if question.show_if not in asked:
                continue
            wanted = {str(v) for v in question.show_if_values}
            if not wanted.intersection(_as_values(answers.get(question.show_if))):
                continue
        shown.append(question)
        asked.add(question.code)
    return shown


@dataclass(frozen=True)
class _Clean:
    number: int | None = None
    values: tuple[str, ...] = ()


def clean_answer(question: Question, raw: Any) -> _Clean:
    """One answer checked against its question's kind; `InvalidInput` says why it is wrong."""
    kind = question.kind
    if kind in NUMBER_KINDS:
        bounds = number_range(question)
        try:
            if isinstance(raw, bool) or isinstance(raw, float) and not raw.is_integer():
                raise ValueError
            number = int(str(raw).strip())
        except (TypeError, ValueError):
            raise InvalidInput(_("Scegli un numero."), field=question.code) from None
        if bounds is None or not bounds[0] <= number <= bounds[1]:
            low, high = bounds or (0, 0)
            raise InvalidInput(
                _("Scegli un valore da %(low)s a %(high)s.") % {"low": low, "high": high},
                field=question.code,
            )
        return _Clean(number=number)
    if kind in CHOICE_KINDS:
        chosen = _as_values(raw)
        allowed = possible_values(question)
        if kind == Question.Kind.SINGLE and len(chosen) != 1:
            raise InvalidInput(_("Scegli una sola risposta."), field=question.code)
        if any(value not in allowed for value in chosen):
            raise InvalidInput(_("Scegli tra le risposte proposte."), field=question.code)
        # Each option once, in the question's order.
        return _Clean(values=tuple(v for v in allowed if v in chosen))
    if not isinstance(raw, str):
        raise InvalidInput(_("La risposta deve essere un testo."), field=question.code)
    text = raw.strip()
    if len(text) > MAX_TEXT:
        raise InvalidInput(
            _("La risposta supera i %(n)s caratteri.") % {"n": MAX_TEXT}, field=question.code
        )
    return _Clean(values=(text,))


def prefilled(
    version: SurveyVersion | Sequence[Question], prefill: Mapping[str, Any]
) -> dict[str, str]:
    """The answers a signed link pre-fills (`surveys.tokens.prefill_of`) that the version can
    take, as the answering form shows them: an answer to a question the version no longer
    has, or one its question would refuse (a version published since the link was sent), is
    left out rather than shown. Choices only: a number or an option, never a text."""
    questions = (
        list(version.questions.order_by("position", "pk"))
        if isinstance(version, SurveyVersion)
        else list(version)
    )
    kept: dict[str, str] = {}
    for question in questions:
        raw = prefill.get(question.code)
        if raw is None or question.kind not in (*NUMBER_KINDS, Question.Kind.SINGLE):
            continue
        try:
            clean = clean_answer(question, str(raw))
        except InvalidInput:
            continue
        kept[question.code] = str(clean.number) if clean.number is not None else clean.values[0]
    return kept


def check_answers(
    version: SurveyVersion | Sequence[Question], answers: Mapping[str, Any]
) -> dict[Question, _Clean]:
    """The answers kept for the questions shown, each checked; `AnswersInvalid` lists every
    wrong or missing answer by question code. Answers to questions not shown are dropped."""
    cleaned: dict[Question, _Clean] = {}
    errors: dict[str, str] = {}
    for question in shown_questions(version, answers):
        raw = answers.get(question.code)
        if not _given(raw):
            if question.required:
                errors[question.code] = _("Questa domanda richiede una risposta.")
            continue
        try:
            cleaned[question] = clean_answer(question, raw)
        except InvalidInput as error:
            errors[question.code] = error.message
    if errors:
        raise AnswersInvalid(errors)
    return cleaned


def check_invitation(survey: Survey, invitation: Invitation, now: datetime) -> None:
    """Refuse an invitation of another survey, one past its validity or already answered."""
    if invitation.survey_id != survey.pk:
        raise NotFound(_("Questo invito non è di questo questionario."), field="invitation")
    if invitation.answered_at is not None:
        raise InvitationUsed(
            _("Questo questionario è già stato compilato: grazie!"), field="invitation"
        )
    if invitation.expires_at <= now:
        raise InvitationExpired(_("Il link di questo questionario è scaduto."), field="invitation")


def check_open(survey: Survey) -> SurveyVersion:
    """The version a new answer gets; `SurveyNotOpen` for a draft or a closed survey."""
    version = survey.current_version if survey.status == Survey.Status.OPEN else None
    if version is None:
        raise SurveyNotOpen(_("Questo questionario non raccoglie più risposte."), field="survey")
    return version


def submit_response(
    survey: Survey,
    answers: Mapping[str, Any],
    *,
    invitation: Invitation | None = None,
    source: str = Response.Source.WEB,
    language: str = "it",
    service: Service | None = None,
    channel_kind: str = "",
    submitted_at: datetime | None = None,
) -> Response:
    """Store one respondent's answers to the survey's current version and return the response.

    `answers` maps question codes to values: a number (or its text) for rating (1–5), NPS
    (0–10) and scale (its min..max); an option's value for a single choice; a list of values
    for a multiple choice; a text (at most `MAX_TEXT` characters) for free text. Questions not
    shown (branching) are not required and their answers are dropped.

    With an `invitation`, the response takes its dimensions (how it was sent, channel, office,
    theme, service) and, for a survey that is not anonymous, its case and citizen; the
    invitation is marked answered by a conditional update, so of two submissions racing on one
    invitation exactly one is stored. Without one, `service` and `channel_kind` say where the
    answer came from (the survey's own service by default). All in one transaction, which
    publishes `survey.answered` on the outbox.
    """
    if language not in LANGUAGES:
        raise InvalidInput(_("Lingua non prevista."), field="language")
    if source not in Response.Source.values:
        raise InvalidInput(_("Origine della risposta sconosciuta."), field="source")
    now = submitted_at or timezone.now()
    version = check_open(survey)
    if invitation is not None:
        check_invitation(survey, invitation, now)
    questions = list(version.questions.order_by("position", "pk"))
    cleaned = check_answers(questions, answers)

    with transaction.atomic():
        response = Response(
            survey=survey,
            version=version,
            source=source,
            language=language,
            complete=True,
            submitted_at=now,
            service=service or survey.service,
            channel_kind=channel_kind,
        )
        if invitation is not None:
            # The claim comes first: on PostgreSQL a second submission waits on the row lock,
            # then finds `answered_at` set and updates nothing.
            claimed = Invitation.objects.filter(
                pk=invitation.pk, answered_at__isnull=True, expires_at__gt=now
            ).update(answered_at=now)
            if not claimed:
                raise InvitationUsed(
                    _("Questo questionario è già stato compilato: grazie!"), field="invitation"
                )
            invitation.answered_at = now
            response.via = invitation.via
            response.channel_kind = invitation.channel_kind
            response.office_id = invitation.office_id
            response.theme_id = invitation.theme_id
            response.service_id = invitation.service_id or response.service_id
            if not survey.anonymous:
                response.ticket_id = invitation.ticket_id
                response.citizen_id = invitation.citizen_id
        # The first rating and NPS questions of the version are its CSAT and NPS, answered or
        # not: a later one must not stand in when the first was left blank.
        first_rating = next((q for q in questions if q.kind == Question.Kind.RATING), None)
        first_nps = next((q for q in questions if q.kind == Question.Kind.NPS), None)
        response.csat = cleaned[first_rating].number if first_rating in cleaned else None
        response.nps = cleaned[first_nps].number if first_nps in cleaned else None
        response.save(force_insert=True)
        Answer.objects.bulk_create(_answer_rows(response, cleaned))
        outbox.publish("survey.answered", response_id=response.pk, survey_id=survey.pk)
    return response


def _answer_rows(response: Response, cleaned: Mapping[Question, _Clean]) -> list[Answer]:
    rows = []
    for question, clean in cleaned.items():
        if clean.number is not None:
            rows.append(Answer(response=response, question=question, number=clean.number))
        else:
            rows.extend(
                Answer(response=response, question=question, value=value) for value in clean.values
            )
    return rows


# --- Large questionnaires: import and executive summary (docs/questionnaires.md) ---------------


def import_questionnaire(
    survey: Survey,
    path: Path | str,
    name: str = "",
    *,
    mapping: dict[str, str] | None = None,
    user: Any = None,
) -> imports.ImportReport:
    """Import a file of answers into `survey` (`surveys.imports`: one transaction, refused rows
    kept with why)."""
    if survey.kind != Survey.Kind.QUESTIONNAIRE:
        raise InvalidInput(_("Si importano risposte solo nelle indagini."), field="survey")
    return imports.import_answers(survey, path, name, mapping=mapping, user=user)


@transaction.atomic
def create_summary(survey: Survey, *, title: str = "", slug: str = "") -> ExecutiveSummary:
    """A draft executive summary of `survey`, generated at once (unweighted)."""
    title = (title or survey.title).strip()[:200]
    base = slugify(slug or title)[:70] or survey.code[:70]
    candidate, serial = base, 1
    while ExecutiveSummary.objects.filter(slug=candidate).exists():
        serial += 1
        candidate = f"{base}-{serial}"
    summary = ExecutiveSummary.objects.create(survey=survey, slug=candidate, title=title)
    return regenerate_summary(summary)


@transaction.atomic
def edit_summary(
    summary: ExecutiveSummary,
    *,
    title: str,
    intro: str = "",
    conclusions: str = "",
    notes: dict[str, str] | None = None,
    weighted: bool = False,
    margins: PopulationMargins | None = None,
) -> ExecutiveSummary:
    """The analyst's texts and the weighting choice; the figures are regenerated when the
    weighting changes. A published summary is edited too (the page shows the new texts)."""
    title = title.strip()
    if not title:
        raise InvalidInput(_("Il titolo è obbligatorio."), field="title")
    if weighted and margins is None:
        raise InvalidInput(
            _("Per pesare il campione scegli la popolazione di riferimento."), field="margins"
        )
    codes = {q["code"] for q in (summary.content or {}).get("questions", [])}
    reweigh = weighted != summary.weighted or (weighted and margins != summary.margins)
    summary.title = title[:200]
    summary.intro = intro.strip()
    summary.conclusions = conclusions.strip()
    summary.notes = {k: v.strip() for k, v in (notes or {}).items() if k in codes and v.strip()}
    summary.weighted = weighted
    summary.margins = margins if weighted else None
    summary.save()
    return regenerate_summary(summary) if reweigh else summary


@transaction.atomic
def regenerate_summary(summary: ExecutiveSummary) -> ExecutiveSummary:
    """Compute the summary's figures again from the answers as they are now."""
    # NumPy and SciPy: loaded by the process that computes a summary, not by every web worker.
    from ascolto.surveys.summary import generate_summary

    summary.content = generate_summary(
        summary.survey, margins=summary.margins if summary.weighted else None
    )
    summary.generated_at = timezone.now()
    summary.save(update_fields=["content", "generated_at"])
    return summary


@transaction.atomic
def publish_summary(summary: ExecutiveSummary) -> ExecutiveSummary:
    """Publish the summary at /trasparenza/indagini/<slug>/ (its page and PDF)."""
    if not (summary.content or {}).get("sample", {}).get("valid"):
        raise InvalidInput(_("La sintesi non ha risposte da pubblicare."), field="summary")
    summary.status = ExecutiveSummary.Status.PUBLISHED
    summary.published_at = timezone.now()
    summary.save(update_fields=["status", "published_at"])
    return summary


@transaction.atomic
def withdraw_summary(summary: ExecutiveSummary) -> ExecutiveSummary:
    """Take the summary off the public pages (back to draft)."""
    summary.status = ExecutiveSummary.Status.DRAFT
    summary.published_at = None
    summary.save(update_fields=["status", "published_at"])
    return summary


# --- Results: the themes of the free-text answers -------------------------------------------


@transaction.atomic
def tag_answer(answer: Answer, theme: Theme | None) -> Answer:
    """An analyst files a free-text answer under `theme` (None: removes the tag). The tag is
    theirs from now on: no suggestion replaces it."""
    if answer.question.kind != Question.Kind.TEXT:
        raise InvalidInput(_("Solo le risposte libere hanno un tema."), field="answer")
    answer.theme = theme
    answer.theme_suggested = False
    answer.save(update_fields=["theme", "theme_suggested"])
    return answer


def suggest_answer_themes(answers: QuerySet[Answer], limit: int = 1_000) -> int:
    """Suggest a theme from the text (`surveys.themes`: the words of the city's cases of each
    theme) for the free-text answers of `answers` that have none, at most `limit` of them;
    returns how many got one. The theme of the response's case or service only settles which
    of the themes the words point to; a comment with no theme's words gets none. Answers
    tagged by an analyst are never touched; the same text after the same theme is read once."""
    pending = list(
        answers.filter(question__kind=Question.Kind.TEXT, theme__isnull=True)
        .exclude(value="")
        .order_by("pk")
        .values_list("pk", "value", "response__theme_id")[:limit]
    )
    keys = {(" ".join(text.lower().split()), theme) for _pk, text, theme in pending}
    unique = sorted(keys, key=lambda key: (key[0], key[1] or 0))
    found = dict(zip(unique, suggest_themes(unique), strict=True))
    by_theme: dict[int, list[int]] = {}
    for pk, text, theme in pending:
        theme_id = found[(" ".join(text.lower().split()), theme)]
        if theme_id is not None:
            by_theme.setdefault(theme_id, []).append(pk)
    with transaction.atomic():
        for theme_id, pks in by_theme.items():
            Answer.objects.filter(pk__in=pks, theme__isnull=True).update(
                theme_id=theme_id, theme_suggested=True
            )
    return sum(len(pks) for pks in by_theme.values())
