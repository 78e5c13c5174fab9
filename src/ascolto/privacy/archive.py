"""The two files of a citizen's access archive, written from the sections (`privacy.sections`):

- `dati.zip`: `dati.json` (every section's rows, machine-readable: GDPR art. 20's "structured,
  commonly used" format) and the files under `files/`;
- `dati.pdf`: the same rows for a person to read, a tagged PDF/UA-1 made by WeasyPrint like the
  reports' (`analytics.exports`: the municipality at the head of each page, "Pagina N di M" at
  its foot), the files listed by name.

Both are written under the archive's own folder in `ASCOLTO_PRIVACY_ARCHIVE_DIR`, outside every
served folder; only `web/views/console/privacy.py` hands them out, after the access check.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from ascolto.analytics import exports
from ascolto.citizens.models import Citizen
from ascolto.privacy.sections import Section

ZIP_NAME = "dati.zip"
PDF_NAME = "dati.pdf"
JSON_NAME = "dati.json"
TEMPLATE = "privacy/archive_print.html"


def root() -> Path:
    return Path(settings.ASCOLTO_PRIVACY_ARCHIVE_DIR)


def folder(name: str) -> Path:
    """The folder of one archive (`name` is the archive's random folder name)."""
    if not name or "/" in name or name.startswith("."):
        raise ValueError("not an archive folder name")
    return root() / name


def remove(name: str) -> None:
    """Delete an archive's folder and its files (nothing when it is gone already)."""
    if name:
        shutil.rmtree(folder(name), ignore_errors=True)


def document(citizen: Citizen, sections: list[Section]) -> dict[str, Any]:
    return {
        "format": "ascolto-access-archive/1",
        "municipality": settings.ASCOLTO_MUNICIPALITY,
        "citizen_id": citizen.pk,
        "generated_at": timezone.localtime().isoformat(timespec="seconds"),
        "sections": {s.key: {"title": s.title, "note": s.note, "rows": s.rows} for s in sections},
    }


def write_zip(target: Path, citizen: Citizen, sections: list[Section]) -> int:
    """Write the ZIP; a stored file gone missing is named in the JSON and left out. Returns its
    size in bytes."""
    missing: list[str] = []
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for section in sections:
            for item in section.files:
                try:
                    with item.open() as source, archive.open(item.path, "w") as out:
                        shutil.copyfileobj(source, out)
                except FileNotFoundError:
                    missing.append(item.path)
        data = document(citizen, sections)
        data["missing_files"] = missing
        archive.writestr(
            JSON_NAME, json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1)
        )
    return target.stat().st_size


# The PDF's labels of the JSON's keys (the JSON keeps the keys: stable for a program to read).
LABELS = {
    "id": gettext_lazy("Numero della scheda"),
    "first_name": gettext_lazy("Nome"),
    "last_name": gettext_lazy("Cognome"),
    "fiscal_code": gettext_lazy("Codice fiscale"),
    "email": gettext_lazy("Email"),
    "phone": gettext_lazy("Telefono"),
    "created_at": gettext_lazy("Creato il"),
    "kind": gettext_lazy("Tipo"),
    "value": gettext_lazy("Recapito"),
    "display_name": gettext_lazy("Nome mostrato"),
    "first_contact": gettext_lazy("Primo contatto"),
    "last_contact": gettext_lazy("Ultimo contatto"),
    "code": gettext_lazy("Codice pratica"),
    "channel": gettext_lazy("Canale"),
    "theme": gettext_lazy("Tema"),
    "office": gettext_lazy("Ufficio"),
    "status": gettext_lazy("Stato"),
    "subject": gettext_lazy("Oggetto"),
    "description": gettext_lazy("Descrizione"),
    "place": gettext_lazy("Luogo"),
    "resolution": gettext_lazy("Risoluzione"),
    "opened_at": gettext_lazy("Aperto il"),
    "resolved_at": gettext_lazy("Risolto il"),
    "closed_at": gettext_lazy("Chiuso il"),
    "legal_hold": gettext_lazy("Conservato per obbligo di legge"),
    "case": gettext_lazy("Caso"),
    "at": gettext_lazy("Quando"),
    "from": gettext_lazy("Da"),
    "to": gettext_lazy("A"),
    "conversation": gettext_lazy("Conversazione"),
    "direction": gettext_lazy("Direzione"),
    "sent_at": gettext_lazy("Inviato il"),
    "text": gettext_lazy("Testo"),
    "attachments": gettext_lazy("Allegati"),
    "arrived_at": gettext_lazy("Arrivo"),
    "queue": gettext_lazy("Coda"),
    "ivr_path": gettext_lazy("Percorso nel risponditore"),
    "wait_seconds": gettext_lazy("Attesa (s)"),
    "talk_seconds": gettext_lazy("Conversazione (s)"),
    "abandoned": gettext_lazy("Abbandonata"),
    "satisfaction": gettext_lazy("Soddisfazione (1-5)"),
    "purpose": gettext_lazy("Finalità"),
    "granted": gettext_lazy("Concesso"),
    "source": gettext_lazy("Dove"),
    "recorded_at": gettext_lazy("Registrato il"),
    "notice_version": gettext_lazy("Versione dell'informativa"),
    "notice_sha256": gettext_lazy("Impronta dell'informativa"),
    "notice_text": gettext_lazy("Testo dell'informativa"),
    "proposed_at": gettext_lazy("Proposto il"),
    "decided_at": gettext_lazy("Deciso il"),
    "performed_at": gettext_lazy("Eseguita il"),
    "cause": gettext_lazy("Causa"),
    "reason": gettext_lazy("Motivo"),
    "kept": gettext_lazy("Conservato"),
}


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return _("sì") if value else _("no")
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_cell(v)}" for k, v in value.items())
    return "" if value is None else str(value)


def write_pdf(target: Path, citizen: Citizen, sections: list[Section]) -> int:
    """Write the readable PDF (tagged, page numbers); returns its size in bytes. Raises
    `analytics.exports.PdfUnavailable` where WeasyPrint cannot load."""
    weasyprint = exports._weasyprint()
    fonts = exports._fonts()
    municipality = settings.ASCOLTO_MUNICIPALITY
    title = _("Dati personali del cittadino n. %(id)s") % {"id": citizen.pk}
    html = render_to_string(
        TEMPLATE,
        {
            "title": title,
            "municipality": municipality,
            "generated_at": timezone.localtime(),
            "language": get_language() or "it",
            "fonts": fonts,
            "sections": [
                {
                    "section": section,
                    "rows": [
                        [(str(LABELS.get(k, k)), _cell(v)) for k, v in row.items()]
                        for row in section.rows
                    ],
                }
                for section in sections
            ],
            "head_left": exports._css_string(municipality),
            "head_right": exports._css_string(title),
            "page_numbers": exports._page_numbers(),
        },
    )
    fetcher = exports._fetcher(weasyprint, {url for _weight, url in fonts})
    with exports._ONE_AT_A_TIME:
        pdf = weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf(pdf_variant="pdf/ua-1")
    target.write_bytes(bytes(pdf))
    return target.stat().st_size
