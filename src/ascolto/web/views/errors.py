"""The error pages: 400, 403 (and the CSRF failure), 404 and 500, on the site's layout, in the
language the visitor chose (Italian unless English was picked).

They are rendered without the request's context processors, which read the session and the user
from the database: an error page must show even when the database is down, which is when a 500 is
most likely. The 500 page shows an incident id that is also written in the server's log line of
the error (`core/incidents.py`); if even the layout cannot be rendered, a plain page carries it.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from ascolto.core import outages
from ascolto.core.incidents import new_incident

logger = logging.getLogger(__name__)

TEMPLATE = "web/errors/page.html"


def _page(status: int, title: str, message: str, **extra: Any) -> str:
    return render_to_string(
        TEMPLATE,
        {
            "municipality": settings.ASCOLTO_MUNICIPALITY,
            "status": status,
            "title": title,
            "message": message,
            **extra,
        },
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = _("Il sito non ha potuto leggere la richiesta. Controlla l'indirizzo e riprova.")
    return HttpResponse(_page(400, _("Richiesta non valida"), message), status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = _(
        "Non hai il permesso di vedere questa pagina. Se lavori per il Comune, accedi con il tuo "
        "utente o chiedi l'accesso al tuo responsabile."
    )
    return HttpResponse(_page(403, _("Accesso non consentito"), message), status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = _(
        "La pagina che cerchi non esiste o è stata spostata. Controlla l'indirizzo, oppure torna "
        "alla pagina iniziale."
    )
    return HttpResponse(_page(404, _("Pagina non trovata"), message), status=404)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent without a valid CSRF token: an expired page, or cookies blocked."""
    message = _(
        "Il modulo non è stato inviato perché la pagina è scaduta o il browser blocca i cookie. "
        "Torna alla pagina precedente, ricaricala e invia di nuovo il modulo; se il problema "
        "continua, consenti i cookie di questo sito."
    )
    return HttpResponse(_page(403, _("Pagina scaduta"), message), status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this inside its `except` block: the exception is the one being handled.
    part = outages.unavailable(sys.exc_info()[1])
    if part is not None:
        return service_unavailable(request, part)
    incident = new_incident(request)
    try:
        message = _(
            "Non è stato possibile completare l'operazione per un problema del sito, non per "
            "qualcosa che hai fatto. Riprova tra qualche minuto. Se il problema continua, "
            "comunica questo codice a chi ti assiste:"
        )
        body = _page(500, _("Si è verificato un errore"), message, incident=incident)
    except Exception:  # the layout itself failed: a plain page still carries the incident id
        logger.exception("the 500 page could not be rendered [incident %s]", incident)
        body = (
            '<!doctype html><html lang="it"><meta charset="utf-8"><title>Errore</title>'
            "<h1>Si è verificato un errore</h1><p>Riprova tra qualche minuto. Codice "
            f"dell'errore: <strong>{incident}</strong></p>"
            '<p lang="en">An error occurred. Please try again in a few minutes. Error code: '
            f"<strong>{incident}</strong></p></html>"
        )
    return HttpResponse(body, status=500)


def service_unavailable(request: HttpRequest, part: str) -> HttpResponse:
    """A 503 with `Retry-After` while the database, the cache or the uploads' disk does not
    answer (`core/outages.py`): a passing outage, not a fault of the site's, and the words say
    whether what was being sent was kept. The error is still logged with its incident id."""
    incident = new_incident(request)
    if part == "disk":
        message = _(
            "Il file allegato non può essere salvato in questo momento e la richiesta non è "
            "stata registrata. Riprova tra qualche minuto."
        )
    else:
        message = _(
            "Il servizio è momentaneamente non disponibile per un problema tecnico passeggero. "
            "Riprova tra qualche minuto: se stavi inviando una richiesta e non hai ricevuto il "
            "codice per seguirla, inviala di nuovo."
        )
    try:
        body = _page(503, _("Servizio momentaneamente non disponibile"), message, incident=incident)
    except Exception:  # the layout itself failed: a plain page still says what to do
        logger.exception("the 503 page could not be rendered [incident %s]", incident)
        body = (
            '<!doctype html><html lang="it"><meta charset="utf-8"><title>Non disponibile</title>'
            "<h1>Servizio momentaneamente non disponibile</h1><p>Riprova tra qualche minuto.</p>"
            '<p lang="en">The service is temporarily unavailable. Please try again in a few '
            "minutes.</p></html>"
        )
    response = HttpResponse(body, status=503)
    response["Retry-After"] = str(outages.RETRY_AFTER)
    return response
