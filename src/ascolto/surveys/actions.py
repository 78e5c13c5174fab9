"""Actions of listening: the page rating of the Designers Italia model; the themes of the
free-text answers of a survey (tagged by an analyst, or suggested from the text)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from ascolto.core.errors import InvalidInput, NotFound
from ascolto.surveys.models import Answer, PageRating, Question
from ascolto.surveys.themes import suggest_theme
from ascolto.tickets.models import Theme

MAX_PAGE = 300


def _page(page: str) -> str:
    path = (page or "").split("?", 1)[0].split("#", 1)[0].strip()
    if not path.startswith("/") or len(path) > MAX_PAGE:
        raise InvalidInput(
            _("La pagina valutata deve essere un percorso di questo sito."), field="page"
        )
    return path


def rate_page(page: str, score: int, reason: str = "", comment: str = "") -> PageRating:
    """Store a rating of the page at `page` (a path, its query string dropped).

    `reason` must be one of the answers offered for that score (1–3: what was hard; 4–5: what
    was liked); `comment` is at most 200 characters. Anonymous: nothing about the person.
    """
    rating = PageRating(page=_page(page), created_at=timezone.now())
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
    """Suggest a theme from the text (`surveys.themes.suggest_theme`) for the free-text answers
    of `answers` that have none, at most `limit` of them; returns how many got one. Answers
    tagged by an analyst are never touched; the same text is matched once."""
    pending = list(
        answers.filter(question__kind=Question.Kind.TEXT, theme__isnull=True)
        .exclude(value="")
        .order_by("pk")
        .values_list("pk", "value")[:limit]
    )
    found: dict[str, int | None] = {}
    by_theme: dict[int, list[int]] = {}
    for pk, text in pending:
        key = " ".join(text.lower().split())
        if key not in found:
            theme = suggest_theme(text)
            found[key] = theme.pk if theme is not None else None
        theme_id = found[key]
        if theme_id is not None:
            by_theme.setdefault(theme_id, []).append(pk)
    with transaction.atomic():
        for theme_id, pks in by_theme.items():
            Answer.objects.filter(pk__in=pks, theme__isnull=True).update(
                theme_id=theme_id, theme_suggested=True
            )
    return sum(len(pks) for pks in by_theme.values())
