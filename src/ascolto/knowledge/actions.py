"""Actions on knowledge articles: the self-help suggestions shown while a citizen writes, the
operators' search, the editorial team's changes (each keeping the previous text as a version)
and the "this answer helped" marks."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from functools import reduce
from operator import or_
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from ascolto.core.errors import InvalidInput
from ascolto.knowledge.models import Article, ArticleHelpful, ArticleVersion
from ascolto.tickets.models import Theme

MIN_WORD = 4
MAX_WORDS = 12
# Common Italian words that say nothing about the subject of a request.
STOPWORDS = frozenset(
    """
    alla alle allo anche ancora avere buongiorno buonasera come comune cosa cose dalla dalle
    degli della delle dello devo dove essere fare gentile grazie hanno loro mentre molto nella
    nelle nello ogni perché perche posso potete prego quale quali quando quanto quella quelle
    quello questa queste questo salve sarebbe sono stato stata sulla sulle sullo tutti tutto
    vorrei volevo vostro vostra
    """.split()
)


def _fold(text: str) -> str:
    """Lower case without accents: «Identità» matches «identita»."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The words of `text` worth searching for, in order, without repeats."""
    seen: dict[str, None] = {}
    for word in re.findall(r"\w+", _fold(text)):
        if len(word) >= MIN_WORD and word not in STOPWORDS and not word.isdigit():
            seen.setdefault(word, None)
    return list(seen)[:MAX_WORDS]


def _stem(word: str) -> str:
    """A crude Italian stem (drop the final vowel of long words): «rifiuti» finds «rifiuto»."""
    return word[:-1] if len(word) > 5 and word[-1] in "aeiou" else word


def suggest_articles(text: str, theme: Theme | None = None, limit: int = 5) -> list[Article]:
    """Published public articles that answer what `text` asks, best first.

    Words of the text are looked for in titles, keywords and summaries (one query over the
    candidate rows); a title or keyword hit weighs more than a summary hit, and an article of
    the chosen theme (or of its area) is preferred. No word, no suggestion.
    """
    terms = [_stem(w) for w in words(text)]
    if not terms or limit <= 0:
        return []
    match = reduce(
        or_,
        (Q(title__icontains=t) | Q(keywords__icontains=t) | Q(summary__icontains=t) for t in terms),
    )
    candidates = list(
        Article.objects.filter(match, audience=Article.Audience.PUBLIC, is_published=True)
        .select_related("theme")
        .only("slug", "title", "summary", "keywords", "theme__path", "url")[:200]
    )
    scored: list[tuple[float, str, Article]] = []
    for article in candidates:
        title, keywords, summary = (
            _fold(article.title),
            _fold(article.keywords),
            _fold(article.summary),
        )
        score = 0.0
        for term in terms:
            score += 3 * (term in title) + 3 * (term in keywords) + 1 * (term in summary)
        if theme is not None and article.theme is not None:
            if article.theme.path.startswith(theme.path):
                score += 2
            elif theme.path.startswith(article.theme.path):
                score += 1
        if score > 0:
            scored.append((-score, article.title, article))
    scored.sort(key=lambda entry: (entry[0], entry[1]))
    return [article for _score, _title, article in scored[:limit]]


def public_article(slug: str) -> Article | None:
    """A published public article by its slug, or None."""
    return (
        Article.objects.select_related("theme")
        .filter(slug=slug, audience=Article.Audience.PUBLIC, is_published=True)
        .first()
    )


def search_articles(query: str, limit: int = 8) -> list[Article]:
    """Published articles (public and internal) for an operator's reply, best first.

    Every word of `query` (two letters or more, accents ignored by the database's
    case-insensitive match only as far as it goes) must appear in the title, keywords, summary or
    text; a title hit ranks first. An empty query lists the most recently updated articles, so
    the composer's search shows something before the operator types."""
    terms = [t for t in re.findall(r"\w+", query.lower()) if len(t) >= 2][:MAX_WORDS]
    articles = Article.objects.filter(is_published=True)
    if not terms:
        return list(articles.order_by("-updated_at", "title")[:limit])
    for term in terms:
        articles = articles.filter(
            Q(title__icontains=term)
            | Q(keywords__icontains=term)
            | Q(summary__icontains=term)
            | Q(body__icontains=term)
        )
    found = list(articles.order_by("title")[:200])
    folded = [_fold(t) for t in terms]
    found.sort(key=lambda a: (-sum(t in _fold(a.title) for t in folded), a.title))
    return found[:limit]


EDITABLE = ("title", "summary", "body", "keywords")


def console_articles(
    query: str = "",
    *,
    kind: str = "",
    audience: str = "",
    theme: Theme | None = None,
    published_only: bool = True,
    limit: int = 100,
) -> list[Article]:
    """The console's list of articles: every word of `query` in the title, keywords, summary or
    text (title hits first), narrowed by kind, audience and theme (with its sub-themes)."""
    articles = Article.objects.select_related("theme", "owner", "owner_office").annotate(
        helped_count=Count("helpful", distinct=True)
    )
    if published_only:
        articles = articles.filter(is_published=True)
    if kind:
        articles = articles.filter(kind=kind)
    if audience:
        articles = articles.filter(audience=audience)
    if theme is not None:
        articles = articles.filter(theme__path__startswith=theme.path)
    terms = [t for t in re.findall(r"\w+", query.lower()) if len(t) >= 2][:MAX_WORDS]
    for term in terms:
        articles = articles.filter(
            Q(title__icontains=term)
            | Q(keywords__icontains=term)
            | Q(summary__icontains=term)
            | Q(body__icontains=term)
        )
    found: list[Article] = list(articles.order_by("title")[:500])
    if terms:
        folded = [_fold(t) for t in terms]
        found.sort(key=lambda a: (-sum(t in _fold(a.title) for t in folded), a.title))
    return found[:limit]


def _keep_version(article: Article, now: datetime) -> ArticleVersion:
    return ArticleVersion.objects.create(
        article=article,
        title=article.title,
        summary=article.summary,
        body=article.body,
        keywords=article.keywords,
        saved_by=article.updated_by,
        saved_at=article.updated_at,
        replaced_at=now,
    )


@transaction.atomic
def save_article(article: Article, data: dict[str, Any], actor: Any) -> Article:
    """Create (no pk) or change an article with `data` (its fields by name). Changing the text of
    an existing article keeps the text it had as an `ArticleVersion` (who wrote it, when)."""
    now = timezone.now()
    if article.pk is not None:
        article = Article.objects.select_for_update().get(pk=article.pk)
        if any(data.get(f, getattr(article, f)) != getattr(article, f) for f in EDITABLE):
            _keep_version(article, now)
    for name, value in data.items():
        setattr(article, name, value)
    if not article.slug:
        article.slug = _free_slug(article.title)
    article.updated_at = now
    article.updated_by = actor
    article.full_clean()
    article.save()
    return article


# Paths of the console's knowledge pages an article's slug must not shadow.
RESERVED_SLUGS = frozenset({"cerca", "nuovo"})


def _free_slug(title: str) -> str:
    base = slugify(title)[:100] or "articolo"
    slug, n = base, 2
    while slug in RESERVED_SLUGS or Article.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def restore_version(version: ArticleVersion, actor: Any) -> Article:
    """Make an earlier text the current one again; the text it replaces becomes a version too,
    so a restore can itself be undone."""
    return save_article(version.article, {f: getattr(version, f) for f in EDITABLE}, actor=actor)


def mark_helped(
    article: Article, *, user: Any = None, case: Any = None, session_key: str = ""
) -> bool:
    """Count "this answer helped" once per operator and case, or once per citizen's session.
    True when the mark is new; marking again changes nothing."""
    if user is None and not session_key:
        raise InvalidInput(_("Manca chi segnala che la risposta è servita."))
    if user is not None:
        _mark, created = ArticleHelpful.objects.get_or_create(article=article, user=user, case=case)
    else:
        _mark, created = ArticleHelpful.objects.get_or_create(
            article=article, session_key=session_key[:64]
        )
    return created


def helped_count(article: Article) -> int:
    return ArticleHelpful.objects.filter(article=article).count()
