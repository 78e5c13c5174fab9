"""The page rating of the Designers Italia model: stars, the follow-up question by score, a
comment; stored per page, rate limited per address."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse

from ascolto.core.errors import InvalidInput
from ascolto.surveys import actions
from ascolto.surveys.models import PageRating

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _clear() -> None:
    cache.clear()


def token(html: str) -> str:
    match = re.search(r'name="token" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def test_every_public_page_carries_the_rating(client: Client, scrivi: Any) -> None:
    html = client.get(reverse("scrivi:lookup")).content.decode()
    assert 'data-element="feedback"' in html
    assert 'data-element="feedback-title"' in html
    assert "Quanto sono chiare le informazioni su questa pagina?" in html
    assert html.count('name="score"') == 5


def test_three_steps_with_htmx(client: Client, scrivi: Any) -> None:
    url = reverse("scrivi:rate")
    first = client.post(url, {"page": "/scrivi/pratica/?x=1", "step": 1, "score": 2}, **HTMX)
    html = first.content.decode()
    assert "Dove hai incontrato le maggiori difficoltà?" in html
    assert 'data-element="feedback-rating-negative"' in html
    assert "<html" not in html  # a fragment for HTMX
    rating = PageRating.objects.get()
    assert (rating.page, rating.score) == ("/scrivi/pratica/", 2)

    second = client.post(
        url,
        {"page": "/scrivi/pratica/", "step": 2, "reason": "not_clear", "token": token(html)},
        **HTMX,
    )
    assert "Vuoi aggiungere altri dettagli?" in second.content.decode()
    third = client.post(
        url,
        {"page": "/scrivi/pratica/", "step": 3, "comment": "Manca l'orario.", "token": token(html)},
        **HTMX,
    )
    assert "Grazie, il tuo parere" in third.content.decode()
    rating.refresh_from_db()
    assert (rating.reason, rating.comment) == ("not_clear", "Manca l'orario.")


def test_without_javascript_each_step_is_a_page_and_positive_scores_ask_what_was_liked(
    client: Client, scrivi: Any
) -> None:
    page = client.post(reverse("scrivi:rate"), {"page": "/scrivi/", "step": 1, "score": 5})
    html = page.content.decode()
    assert "<html" in html
    assert "Quali sono stati gli aspetti che hai preferito?" in html
    wrong = client.post(
        reverse("scrivi:rate"),
        {"page": "/scrivi/", "step": 2, "reason": "not_clear", "token": token(html)},
    )
    assert wrong.status_code == 400
    assert PageRating.objects.get().reason == ""


def test_no_stars_and_forged_tokens_are_refused(client: Client, scrivi: Any) -> None:
    none = client.post(reverse("scrivi:rate"), {"page": "/scrivi/", "step": 1}, **HTMX)
    assert none.status_code == 400 and "Scegli da 1 a 5 stelle." in none.content.decode()
    forged = client.post(
        reverse("scrivi:rate"),
        {"page": "/scrivi/", "step": 3, "comment": "x", "token": "1:forged"},
        **HTMX,
    )
    assert forged.status_code == 400
    assert not PageRating.objects.exists()


@override_settings(ASCOLTO_RATING_RATE_LIMIT="2/h")
def test_ratings_are_rate_limited_per_address(client: Client, scrivi: Any) -> None:
    for _ in range(3):
        client.post(reverse("scrivi:rate"), {"page": "/scrivi/", "step": 1, "score": 4}, **HTMX)
    assert PageRating.objects.count() == 2


def test_rate_page_checks_its_input() -> None:
    with pytest.raises(InvalidInput):
        actions.rate_page("/scrivi/", 6)
    with pytest.raises(InvalidInput):
        actions.rate_page("/scrivi/", 5, reason="not_clear")
    with pytest.raises(InvalidInput):
        actions.rate_page("https://elsewhere/", 3)
    with pytest.raises(InvalidInput):
        actions.rate_page("/scrivi/", 3, comment="x" * 201)


def test_the_stars_are_drawn_in_the_order_they_are_written(client: Client, scrivi: Any) -> None:
    """Stars written 1→5 and drawn reversed stored 1 for the fifth star a visitor saw (issue
    10); the browser test checks what is drawn, this one the page as sent."""
    html = client.get(reverse("scrivi:lookup")).content.decode()
    assert re.findall(r'name="score" id="rating-star-\d" value="(\d)"', html) == list("12345")
    # The stars' CSS is the Scrivi pages' stylesheet (no inline style: docs/security/web.md).
    assert "web/scrivi.css" in html
    css = Path(str(finders.find("web/scrivi.css"))).read_text(encoding="utf-8")
    style = re.search(r"\.rating-stars\{[^}]*\}", css)
    assert style is not None and "reverse" not in style.group(0)


def test_a_score_help_text_says_how_to_read_ratings_made_before_the_fix() -> None:
    assert "6 − voto" in str(PageRating._meta.get_field("score").help_text)
