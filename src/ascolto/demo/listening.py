"""Page ratings of the demo city's portal: the Designers Italia rating ("Quanto sono chiare le
informazioni su questa pagina?") left on the service pages of every topic, so the page-rating
dashboard has something to show. The volumes are an assumption (the city publishes none): about
60,000 ratings a year at scale 1.0, 0.7 % of the 9 M yearly visitors.

A few pages are written to be weak (the parking-permit renewal page, which the city tagged as
unclear in its campaign) and score low; the rest score around 4. Scores 1–3 get a negative
follow-up answer, 4–5 a positive one, as the rating widget asks (`surveys.PageRating`).
"""

from __future__ import annotations

import numpy as np

from ascolto.analytics import summaries
from ascolto.demo.city import City
from ascolto.demo.timeline import DAYS, online_days, online_hours, to_datetime
from ascolto.surveys.models import PageRating
from ascolto.tickets.models import Theme

RATINGS = 60_000
WEAK_PAGES = ("pass-sosta", "cambio-residenza", "tari-pagamento", "contributo-affitto")
ANSWERED_FOLLOW_UP = 0.7


def pages() -> list[tuple[str, bool]]:
    """The portal's service pages (one per theme and topic) and whether the page is weak."""
    out = []
    for code, path in Theme.objects.filter(level__gte=Theme.Level.THEME).values_list(
        "code", "path"
    ):
        out.append((f"/servizi{path}", any(code.startswith(w) for w in WEAK_PAGES)))
    return sorted(out)


def write_ratings(city: City, scale: float, rng: np.random.Generator) -> str:
    """Replace the window's page ratings with a generated year; returns a summary.

    Last step of the generator, so it also drops the reports' daily summaries: the generator
    writes cases and calls without the ORM, which the summaries' watermark cannot see (they are
    rebuilt on the next report)."""
    summaries.forget()
    listed = pages()
    if not listed:
        return "no pages"
    since, until = to_datetime(int(city.calendar.midnight[0])), city.window.horizon
    PageRating.objects.filter(created_at__gte=since, created_at__lt=until).delete()
    n = max(int(round(RATINGS * scale)), 1)
    weight = rng.lognormal(0.0, 1.0, len(listed))
    page = rng.choice(len(listed), n, p=weight / weight.sum())
    weak = np.array([w for _, w in listed])[page]
    mean = np.where(weak, 2.3, 4.0) + rng.normal(0, 0.3, len(listed))[page]
    score = np.clip(np.rint(mean + rng.normal(0, 1.0, n)), 1, 5).astype(int)
    day_weight = online_days(city.calendar)
    day = rng.choice(DAYS, n, p=day_weight / day_weight.sum())
    hour = rng.choice(24, n, p=online_hours())
    at = city.calendar.midnight[day] + hour * 3600 + rng.integers(0, 3600, n)
    negative, positive = list(PageRating.NEGATIVE), list(PageRating.POSITIVE)
    follow = rng.random(n) < ANSWERED_FOLLOW_UP
    pick = rng.integers(0, len(negative), n)
    rows = [
        PageRating(
            page=listed[int(page[i])][0],
            score=int(score[i]),
            reason=(negative if score[i] <= 3 else positive)[int(pick[i])] if follow[i] else "",
            created_at=to_datetime(int(at[i])),
        )
        for i in range(n)
    ]
    PageRating.objects.bulk_create(rows, batch_size=5_000)
    return f"{n:,} page ratings on {len(listed)} pages"
