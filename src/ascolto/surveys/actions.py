"""Actions of listening: the page rating of the Designers Italia model."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from ascolto.core.errors import InvalidInput, NotFound
from ascolto.surveys.models import PageRating

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
