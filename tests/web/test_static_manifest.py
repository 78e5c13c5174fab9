"""Production's static files: collectstatic's manifest storage takes every vendored file, and the
pages built on the base layout resolve each static reference (fonts included) through it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

from tests import personas

# The storage of settings.py when ASCOLTO_ENV=production.
PRODUCTION_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


@pytest.fixture(scope="session")
def static_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """collectstatic as production runs it (~20 s), once. Session-scoped: pytest-django runs the
    database tests of this module apart from the others, and a module-scoped fixture was made
    again for each group."""
    root = tmp_path_factory.mktemp("static")
    with override_settings(STATIC_ROOT=root, STORAGES=PRODUCTION_STORAGES):
        call_command("collectstatic", interactive=False, verbosity=0)
    return root


@pytest.fixture
def production_static(static_root: Path) -> Iterator[Path]:
    with override_settings(STATIC_ROOT=static_root, STORAGES=PRODUCTION_STORAGES):
        yield static_root


def test_collectstatic_hashes_every_vendored_file(static_root: Path) -> None:
    paths = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    assert "vendor/chartjs/chart.umd.min.js" in paths
    assert "vendor/bootstrap-italia/css/bootstrap-italia.min.css" in paths
    fonts_css = (static_root / paths["web/fonts.css"]).read_text()
    fonts = re.findall(r'url\("([^"]+)"\)', fonts_css)
    assert len(fonts) == 32  # 16 faces, woff2 and woff
    for font in fonts:
        assert re.search(r"\.[0-9a-f]{12}\.woff2?$", font), font
        assert (static_root / "web" / font).resolve().is_file(), font


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/scrivi/", "/scrivi/pratica/", "/console/accedi/", "/scrivi/pratica/AB-2026-000001/"]
)
def test_pages_on_the_base_layout_render_with_the_manifest(
    production_static: Path, cast: personas.Cast, url: str
) -> None:
    page = Client().get(url)
    assert page.status_code in (200, 404)
    html = page.content.decode()
    assert re.search(r'href="/static/web/fonts\.[0-9a-f]{12}\.css"', html)
    assert re.search(r"bootstrap-italia\.bundle\.min\.[0-9a-f]{12}\.js", html)


@pytest.mark.django_db
def test_a_report_page_renders_with_the_manifest(
    production_static: Path, cast: personas.Cast
) -> None:
    client = Client()
    client.force_login(cast.analyst)
    page = client.get("/console/reports/")
    assert page.status_code == 200
    assert re.search(r"chart\.umd\.min\.[0-9a-f]{12}\.js", page.content.decode())
