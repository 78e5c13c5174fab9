"""A web process loads only what serving pages needs: the numerics (pandas, SciPy, OR-Tools,
statsforecast), the export libraries (openpyxl, WeasyPrint), the image and QR code libraries,
the WhatsApp client (pywa and its HTTP client), single sign-on's JWT and HTTP libraries, the
holiday calendars and the fiscal-code library are imported where they are used (issue 19: a web
worker under 120 MiB). Measured in `benchmarks/worker_memory.py`.

Each check runs in a fresh interpreter: what this test process has imported says nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

HEAVY = [
    "numpy",
    "pandas",
    "scipy",
    "ortools",
    "statsforecast",
    "sklearn",
    "openpyxl",
    "weasyprint",
    "reportlab",
    "PIL",
    "qrcode",
    "pywa",
    "httpx",
    "jwt",
    "requests",
    "cryptography.x509",
    "holidays",
    "codicefiscale",
]

START = f"""
import json, sys
from ascolto.config.wsgi import application
from django.urls import get_resolver
get_resolver().url_patterns  # what a worker loads before its first request
print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))
"""

# Run in a database of its own, with the test cast, a case and an API token; prints them.
SETUP = """
import json
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from ascolto.api.tokens import SCOPES, issue_token
from ascolto.tickets.models import Ticket
from tests import factories, personas
cast = personas.build_cast()
received = factories.submit_scrivi(
    "Non ho ricevuto l'avviso TARI.", email=personas.MARIA_EMAIL,
    fiscal_code=personas.MARIA_FISCAL_CODE,
)
case = Ticket.objects.get(pk=received.ticket_id)
_, token = issue_token("lean", scopes=list(SCOPES))
print(json.dumps({"operator": cast.operator.pk, "case": case.code, "token": token}))
"""

# A worker as gunicorn starts it (the WSGI module, which loads the URL map and every view), then
# the console's inbox and a case, the Scrivi form shown and sent, a case's status page and the
# API's list of cases, each answered as it should be; prints the heavy modules then loaded.
SERVE = f"""
import json, sys
from ascolto.config.wsgi import application
from django.test import Client
from ascolto.organisation.models import User
given = json.loads(sys.argv[1])
answers = {{}}
def check(response, path, *expected):
    answers[path] = response.status_code
    assert response.status_code in expected, (path, response.status_code)
console = Client()
console.force_login(User.objects.get(pk=given["operator"]))
for path in ("/console/inbox/", f"/console/cases/{{given['case']}}/"):
    check(console.get(path), path, 200)
citizen = Client()
check(citizen.get("/scrivi/"), "/scrivi/", 200)
sent = citizen.post("/scrivi/", {{
    "kind": "information", "area": "tributi", "service": "tari",
    "description": "Vorrei sapere come pagare la TARI di quest'anno, grazie.",
    "first_name": "Maria", "last_name": "Rossi", "email": "maria.rossi@example.it",
    "privacy": "on",
}})
check(sent, "POST /scrivi/", 303)
status = f"/scrivi/pratica/{{given['case']}}/"
check(citizen.get(status), status, 200)
api = Client(headers={{"Authorization": "Bearer " + given["token"]}})
check(api.get("/api/v1/cases"), "/api/v1/cases", 200)
print(json.dumps({{"answers": answers, "loaded": [m for m in {HEAVY!r} if m in sys.modules]}}))
"""


def _run(script: str, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stdout.strip().splitlines()[-1]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "ASCOLTO_"))}
    env.update(DJANGO_SETTINGS_MODULE="ascolto.config.settings", **extra)
    return env


def test_a_web_worker_starts_without_the_heavy_libraries() -> None:
    loaded = json.loads(_run(START, _env()))
    assert loaded == [], f"imported at start by a web process: {loaded}"


def test_a_web_worker_serves_the_console_the_citizens_and_the_api_without_them(
    tmp_path: Path,
) -> None:
    """The pages a web worker serves all day, on a SQLite database of the test's own (the
    subprocesses cannot see the test database), with the deployed task backend: the Scrivi form
    only stores the submission, which the task worker turns into a case."""
    var = str(tmp_path)
    given = _run(SETUP, _env(ASCOLTO_VAR_DIR=var, ASCOLTO_TASK_BACKEND="immediate"))
    served = json.loads(
        _run(
            SERVE,
            _env(
                ASCOLTO_VAR_DIR=var,
                ASCOLTO_TASK_BACKEND="database",
                ASCOLTO_ALLOWED_HOSTS="testserver",
            ),
            given,
        )
    )
    assert served["loaded"] == [], (
        f"imported by a web process serving {sorted(served['answers'])}: {served['loaded']}"
    )
