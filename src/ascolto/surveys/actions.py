"""Actions of listening: the page rating of the Designers Italia model; the import of a large
questionnaire's answers and its executive summary (generate, edit, publish)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from ascolto.core.errors import InvalidInput, NotFound
from ascolto.surveys import imports
from ascolto.surveys.models import ExecutiveSummary, PageRating, PopulationMargins, Survey

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
