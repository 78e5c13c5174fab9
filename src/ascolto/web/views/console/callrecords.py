"""The supervisor's import of call records (`/console/contactcenter/calls/import/`): upload a
CSV or XLSX export of the telephony system, have every row checked, and read what was imported
or which rows are wrong. The same action as the `import_calls` command; for the biggest files
(hundreds of thousands of rows) the command is the better road, as it does not wait on a
browser request."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ascolto.contactcenter.actions import COLUMNS, file_records, import_call_records
from ascolto.core import access
from ascolto.core.errors import InvalidInput

SHOWN = 100  # bad rows listed on the page


@require_http_methods(["GET", "POST"])
@access.require(access.supervises)
def import_page(request: HttpRequest) -> HttpResponse:
    context: dict[str, object] = {
        "nav": "contactcenter",
        "title": _("Importa le chiamate"),
        "columns": COLUMNS,
        "shown": SHOWN,
    }
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            context["failure"] = _("Scegli un file CSV o XLSX da importare.")
            return render(request, "web/console/contactcenter/import.html", context, status=400)
        name = upload.name or ""
        with tempfile.TemporaryDirectory() as folder:
            # The import reads a file by name (openpyxl needs to seek): a small upload held
            # in memory is written out first.
            target = Path(folder) / ("calls" + Path(name).suffix.lower())
            with target.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            try:
                records = file_records(target, name)
            except InvalidInput as exc:
                context["failure"] = exc.message
                return render(request, "web/console/contactcenter/import.html", context, status=400)
            report = import_call_records(records, dry_run=bool(request.POST.get("dry_run")))
        context |= {"report": report, "file_name": name, "errors": report.errors[:SHOWN]}
        status = 200 if report.ok else 400
        return render(request, "web/console/contactcenter/import.html", context, status=status)
    return render(request, "web/console/contactcenter/import.html", context)


urlpatterns: list[URLPattern] = [
    path("contactcenter/calls/import/", import_page, name="contactcenter-import"),
]
