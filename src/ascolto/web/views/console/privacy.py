"""A citizen's data-protection requests in the console (docs/privacy.md): the access archive
(export of everything about them, made in the background, its progress, its download), legal
holds on their cases, and the erasure of their personal data.

Only whoever `core.access.answers_privacy_requests` allows (administrators) reaches these pages;
anyone else gets 403, and a citizen or archive that does not exist 404. The archive's files are
served from outside every served folder with `Cache-Control: no-store`, as attachments, never
sniffed. The privacy notice a consent names is readable by whoever sees the citizen's page.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ascolto.citizens.models import Citizen, PrivacyNotice
from ascolto.core import access
from ascolto.core.downloads import file_download
from ascolto.core.errors import DomainError
from ascolto.privacy import actions, archive
from ascolto.privacy.models import AccessArchive, Erasure, LegalHold
from ascolto.privacy.sections import tickets_of
from ascolto.web import access_log

FILES = {"zip": (archive.ZIP_NAME, "application/zip"), "pdf": (archive.PDF_NAME, "application/pdf")}


def _citizen(pk: int) -> Citizen:
    citizen = get_object_or_404(Citizen, pk=pk)
    return citizen.live()


@require_GET
@access.require(access.answers_privacy_requests)
def citizen_privacy(request: HttpRequest, pk: int) -> HttpResponse:
    """The citizen's data-protection page: their archives, their cases with legal holds, the
    erasure form and the erasures done."""
    citizen = _citizen(pk)
    if citizen.pk != pk:
        return redirect("console:citizen-privacy", pk=citizen.pk)
    cases = list(tickets_of(citizen).select_related("office").order_by("-created_at"))
    holds = {
        h.ticket_id: h
        for h in LegalHold.objects.filter(ticket__in=[c.pk for c in cases], released_at=None)
    }
    response = render(
        request,
        "web/console/privacy/citizen.html",
        {
            "title": _("Protezione dei dati: %(name)s") % {"name": citizen},
            "citizen": citizen,
            "archives": AccessArchive.objects.filter(citizen=citizen)[:20],
            "cases": [{"ticket": c, "hold": holds.get(c.pk)} for c in cases],
            "erasures": Erasure.objects.filter(citizen=citizen).select_related("performed_by"),
        },
    )
    add_never_cache_headers(response)
    return response


@require_POST
@access.require(access.answers_privacy_requests)
def export(request: HttpRequest, pk: int) -> HttpResponse:
    """Start the citizen's access archive; its page shows the progress."""
    job = actions.request_access_archive(_citizen(pk), actor=request.user)
    return redirect("console:privacy-archive", pk=job.pk)


@require_GET
@access.require(access.answers_privacy_requests)
def archive_page(request: HttpRequest, pk: int) -> HttpResponse:
    """An archive's progress (polled every two seconds; without JavaScript, reloaded by hand)
    and, once ready, its two downloads."""
    job = get_object_or_404(AccessArchive.objects.select_related("citizen"), pk=pk)
    polling = bool(request.headers.get("HX-Request") and request.GET.get("polling"))
    template = (
        "web/console/privacy/_archive.html" if polling else "web/console/privacy/archive.html"
    )
    response = render(
        request,
        template,
        {"title": _("Archivio dei dati personali"), "job": job, "citizen": job.citizen},
    )
    add_never_cache_headers(response)
    return response


@require_GET
@access.require(access.answers_privacy_requests)
def download(request: HttpRequest, pk: int, kind: str) -> HttpResponseBase:
    """One file of a ready archive, as an attachment that no cache keeps; the download is
    recorded in the access log (an export of the citizen's data)."""
    job = get_object_or_404(AccessArchive, pk=pk, status=AccessArchive.Status.DONE)
    if kind not in FILES or not job.folder:
        raise Http404("no such file")
    name, content_type = FILES[kind]
    try:
        handle = (archive.folder(job.folder) / name).open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404("no such file") from exc
    access_log.seen(
        request,
        access_log.Purpose.EXPORT,
        "privacy_archive",
        objects=[job.pk],
        citizens=[job.citizen_id],
        shown=f"GDPR archive ({kind})",
    )
    return file_download(handle, f"dati-cittadino-{job.citizen_id}.{kind}", content_type)


@require_POST
@access.require(access.answers_privacy_requests)
def erase(request: HttpRequest, pk: int) -> HttpResponse:
    """Erase the citizen's personal data, once the administrator ticked the confirmation."""
    citizen = _citizen(pk)
    if request.POST.get("confirm") != "1":
        messages.error(
            request, _("Spunta la conferma: la cancellazione dei dati non si può annullare.")
        )
        return redirect("console:citizen-privacy", pk=citizen.pk)
    try:
        erasure = actions.erase_citizen(
            citizen, actor=request.user, reason=request.POST.get("reason", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("console:citizen-privacy", pk=citizen.pk)
    kept = len([k for k in erasure.kept if "case" in k])
    messages.success(
        request,
        _(
            "Dati cancellati: la scheda ora è «%(name)s». "
            "Casi conservati per obbligo di legge: %(n)d."
        )
        % {"name": Citizen.objects.get(pk=citizen.pk), "n": kept},
    )
    return redirect("console:citizen-privacy", pk=citizen.pk)


@require_POST
@access.require(access.answers_privacy_requests)
def hold(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """Set or release the legal hold of one of the citizen's cases."""
    citizen = _citizen(pk)
    ticket = get_object_or_404(tickets_of(citizen), code=code)
    try:
        if request.POST.get("release") == "1":
            actions.release_legal_hold(ticket, actor=request.user)
        else:
            actions.set_legal_hold(
                ticket, reason=request.POST.get("reason", ""), actor=request.user
            )
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("console:citizen-privacy", pk=citizen.pk)


@require_GET
@access.require(access.handles_cases)
def notice(request: HttpRequest, version: str) -> HttpResponse:
    """The words of a privacy notice version, as citizens read them (for a consent's proof)."""
    found = PrivacyNotice.objects.filter(Q(version=version)).first()
    if found is None:
        raise Http404("no such notice")
    return render(
        request,
        "web/console/privacy/notice.html",
        {"title": _("Informativa privacy, versione %(v)s") % {"v": found.version}, "notice": found},
    )


urlpatterns: list[URLPattern] = [
    path("citizens/<int:pk>/privacy/", citizen_privacy, name="citizen-privacy"),
    path("citizens/<int:pk>/privacy/export/", export, name="citizen-privacy-export"),
    path("citizens/<int:pk>/privacy/erase/", erase, name="citizen-privacy-erase"),
    path("citizens/<int:pk>/privacy/hold/<str:code>/", hold, name="citizen-privacy-hold"),
    path("privacy/archives/<int:pk>/", archive_page, name="privacy-archive"),
    path("privacy/archives/<int:pk>/<str:kind>/", download, name="privacy-download"),
    path("privacy/notices/<str:version>/", notice, name="privacy-notice"),
]
