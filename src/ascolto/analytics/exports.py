"""The printable PDF of every report and dashboard, a tagged PDF/UA-1 made by WeasyPrint from a
print template (`analytics/report_print.html`): the city's name and the report's title at the
head of every page, "Pagina N di M" at its foot, the headline figures, then each table after its
chart (SVG drawn on the server by `analytics.charts`, with its text alternative), numbers in the
active language's format. The structure tree comes from the HTML (headings, tables with header
cells, figures with /Alt), the title, author and language (/Lang) from its head. Decision 0017.

WeasyPrint needs Pango (a system library; `scripts/pango` installs it): it is imported only
here, when a PDF is asked for, so a server without it runs everything else and answers the PDF
with `PdfUnavailable`. Their CSV and XLSX exports are the shared table kit's (`core.tables`)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from ascolto.analytics.charts import chart_svg
from ascolto.core.tables import Dashboard, localized

log = logging.getLogger(__name__)

# One PDF at a time in a process: Pango and fontconfig are not promised to be safe across the
# threads of a gthread worker, and a report PDF is rare enough to wait for the one before it.
_ONE_AT_A_TIME = threading.Lock()

TEMPLATE = "analytics/report_print.html"
FONTS = "vendor/bootstrap-italia/fonts/Titillium_Web/titillium-web-v10-latin-ext_latin-{}.ttf"
FONT_WEIGHTS = {400: "regular", 600: "600", 700: "700"}


class PdfUnavailable(RuntimeError):
    """WeasyPrint or the system libraries it loads (Pango) are missing on this server."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(
            _(
                "Il PDF non si può creare su questo server: manca la libreria di sistema Pango "
                "usata da WeasyPrint (gli amministratori la installano con scripts/pango, vedi "
                "docs/deploy.md). I dati sono scaricabili in CSV e XLSX."
            )
        )
        self.cause = cause


def _weasyprint() -> Any:
    """WeasyPrint, imported on first use: without Pango its import fails (OSError from the
    library loader), and only the PDF is affected."""
    try:
        import weasyprint
    except (ImportError, OSError) as exc:
        log.error("report PDF unavailable: cannot load WeasyPrint (%s)", type(exc).__name__)
        raise PdfUnavailable(exc) from exc
    return weasyprint


def dashboard_pdf(board: Dashboard, *, municipality: str = "") -> bytes:
    """A printable, tagged A4 document: title, headline figures, every table after its chart."""
    weasyprint = _weasyprint()
    fonts = _fonts()
    html = render_to_string(
        TEMPLATE,
        {
            "board": board,
            "municipality": municipality,
            "language": get_language() or "it",
            "fonts": fonts,
            "sections": [
                (table, chart_svg(table), [[localized(v) for v in row] for row in table.rows])
                for table in board.tables
            ],
            "head_left": _css_string(municipality),
            "head_right": _css_string(board.title[:90]),
            "page_numbers": _page_numbers(),
        },
    )
    fetcher = _fetcher(weasyprint, {url for _weight, url in fonts})
    with _ONE_AT_A_TIME:
        document = weasyprint.HTML(string=html, url_fetcher=fetcher)
        return bytes(document.write_pdf(pdf_variant="pdf/ua-1"))


def _fonts() -> list[tuple[int, str]]:
    """Bootstrap Italia's Titillium Web from the static files, as (weight, file URL); none when
    the front-end packages are not installed (the system's sans-serif is used instead)."""
    found = []
    for weight, name in FONT_WEIGHTS.items():
        path = finders.find(FONTS.format(name))
        if isinstance(path, str):
            found.append((weight, Path(path).resolve().as_uri()))
    return found


def _fetcher(weasyprint: Any, allowed: set[str]) -> Any:
    """Fetches the fonts named in the template and nothing else: the document is ours, but its
    texts are not, and nothing in a report should reach the network or the disk."""

    class FontsOnly(weasyprint.urls.URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            if url not in allowed:
                raise ValueError(f"not fetched in a report PDF: {url[:60]}")
            return super().fetch(url, headers)

    return FontsOnly(allowed_protocols=("file",))


def _css_string(text: str) -> str:
    """`text` as a quoted CSS string (for `content:` in the page's margin boxes)."""
    escaped = (
        text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ").replace("<", "\\3c ")
    )
    return f'"{escaped}"'


def _page_numbers() -> str:
    """ "Pagina N di M" in the active language as a CSS `content:` value with the page
    counters in place of the numbers."""
    marker = _("Pagina %(number)d di %(total)d") % {"number": 10**9 + 1, "total": 10**9 + 2}
    value = _css_string(marker)
    value = value.replace(str(10**9 + 1), '" counter(page) "')
    return value.replace(str(10**9 + 2), '" counter(pages) "')
