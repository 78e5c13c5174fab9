"""A web process loads only what serving pages needs: the numerics (pandas, SciPy, OR-Tools,
statsforecast), the export libraries (openpyxl, WeasyPrint) and the image and QR code libraries
are imported where they are used (issue 19: a web worker under 120 MiB)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

HEAVY = [
    "numpy",
    "pandas",
    "scipy",
    "ortools",
    "statsforecast",
    "sklearn",
    "openpyxl",
    "weasyprint",
    "PIL",
    "qrcode",
]

PROBE = f"""
import json, sys
from ascolto.config.wsgi import application
from django.urls import get_resolver
get_resolver().url_patterns  # what a worker loads before its first request
print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))
"""


def test_a_web_worker_starts_without_the_numerics_and_the_export_libraries() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "ascolto.config.settings"}
    done = subprocess.run(  # noqa: S603 - our own interpreter and probe
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded == [], f"imported at start by a web process: {loaded}"
