"""The page rating's stars in real Chromium, as a person sees them: the star drawn rightmost is
five, the leftmost is one, the right arrow raises the score and the left arrow lowers it, and
the stars lit are the score stored. Sending no star says so."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from playwright.sync_api import Locator, Page, expect

from ascolto.surveys.models import PageRating
from tests.browser.conftest import serious_violations

pytestmark = pytest.mark.django_db(transaction=True)

LIT = "rgb(153, 92, 0)"  # the stars' lit colour in scrivi/_style.html


@pytest.fixture(autouse=True)
def _fresh() -> None:
    cache.clear()


def stars_by_position(rating: Locator) -> list[Locator]:
    """The star labels ordered by where they are drawn, left to right (not by DOM order)."""
    labels = rating.locator(".rating-stars label")
    boxes = []
    for i in range(labels.count()):
        box = labels.nth(i).bounding_box()
        assert box is not None
        boxes.append((box["x"], labels.nth(i)))
    assert len(boxes) == 5
    return [label for _x, label in sorted(boxes, key=lambda item: item[0])]


def lit(rating: Locator) -> int:
    colours: list[str] = rating.locator(".rating-stars label").evaluate_all(
        "labels => labels.map(l => getComputedStyle(l).color)"
    )
    return sum(colour == LIT for colour in colours)


def rate_once(page: Page) -> Locator:
    page.goto("/scrivi/pratica/")
    return page.locator("[data-element=feedback]")


def last_score() -> int:
    return PageRating.objects.order_by("-pk").values_list("score", flat=True)[0]


def test_the_rightmost_star_is_five_and_the_leftmost_is_one(page: Page, cast: object) -> None:
    rating = rate_once(page)
    stars_by_position(rating)[-1].click()
    page.mouse.move(0, 0)  # the hover preview would light stars too
    expect(rating.get_by_role("radio", name="Valuta 5 stelle su 5")).to_be_checked()
    assert lit(rating) == 5
    rating.get_by_role("button", name="Invia il voto").click()
    expect(rating.locator("[data-element=feedback-rating-question]")).to_have_text(
        "Quali sono stati gli aspetti che hai preferito?"
    )
    assert last_score() == 5

    rating = rate_once(page)
    stars_by_position(rating)[0].click()
    page.mouse.move(0, 0)
    assert lit(rating) == 1
    rating.get_by_role("button", name="Invia il voto").click()
    expect(rating.locator("[data-element=feedback-rating-question]")).to_have_text(
        "Dove hai incontrato le maggiori difficoltà?"
    )
    assert last_score() == 1
    assert PageRating.objects.count() == 2


def test_arrow_keys_move_the_score_the_way_they_point(page: Page, cast: object) -> None:
    rating = rate_once(page)
    stars_by_position(rating)[0].click()  # one star, focused
    page.mouse.move(0, 0)
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    expect(rating.get_by_role("radio", name="Valuta 4 stelle su 5")).to_be_checked()
    page.keyboard.press("ArrowLeft")
    expect(rating.get_by_role("radio", name="Valuta 3 stelle su 5")).to_be_checked()
    assert lit(rating) == 3
    # The DOM order (what a screen reader and the Tab key follow) is the visual order.
    values = [
        label.get_attribute("for") for label in stars_by_position(rating)
    ]  # rating-star-1 … rating-star-5, left to right
    assert values == [f"rating-star-{n}" for n in range(1, 6)]
    rating.get_by_role("button", name="Invia il voto").click()
    expect(rating.locator("[data-element=feedback-rating-question]")).to_have_text(
        "Dove hai incontrato le maggiori difficoltà?"
    )
    assert last_score() == 3


def test_sending_no_star_shows_an_error(page: Page, cast: object) -> None:
    rating = rate_once(page)
    rating.get_by_role("button", name="Invia il voto").click()
    expect(rating.get_by_role("alert")).to_have_text("Scegli da 1 a 5 stelle.")
    assert not PageRating.objects.exists()
    assert serious_violations(page) == []
    # The stars are still there: the visitor can choose one and send again.
    stars_by_position(rating)[-2].click()
    rating.get_by_role("button", name="Invia il voto").click()
    expect(rating.locator("[data-element=feedback-rating-question]")).to_be_visible()
    assert last_score() == 4
