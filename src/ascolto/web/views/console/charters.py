"""The service charters in the console (`/console/carte-dei-servizi/`): the registry, a
charter's page with each indicator's target against its measured value, its trend as a chart
and missed targets flagged; the forms to define charters and indicators, for analysts and
administrators (`access.edits_listening_plans`). Every member of staff reads them: the values
are aggregates, computed from the data when the page is asked for (`charters.report`)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ascolto.charters import actions, documents, report
from ascolto.charters.models import QualityIndicator, ServiceCharter
from ascolto.core import access
from ascolto.core.errors import InvalidInput, NotFound
from ascolto.web.forms.charters import CharterForm, IndicatorForm

NAV = "charters"


@require_GET
@access.require(access.reads_charters)
def charter_list(request: HttpRequest) -> HttpResponse:
    charters = ServiceCharter.objects.select_related("service", "office").prefetch_related(
        "indicators"
    )
    return render(
        request,
        "web/console/charters/list.html",
        {
            "nav": NAV,
            "title": _("Carte dei servizi"),
            "charters": charters,
            "can_edit": access.edits_listening_plans(request.user),
        },
    )


@require_GET
@access.require(access.reads_charters)
def charter_page(request: HttpRequest, pk: int) -> HttpResponse:
    charter = get_object_or_404(ServiceCharter.objects.select_related("service", "office"), pk=pk)
    views = report.charter_views(charter)
    return render(
        request,
        "web/console/charters/charter.html",
        {
            "nav": NAV,
            "title": charter.title,
            "charter": charter,
            "views": views,
            "missed": report.missed_count(views),
            "can_edit": access.edits_listening_plans(request.user),
        },
    )


def _charter_form(
    request: HttpRequest, form: CharterForm, charter: ServiceCharter | None
) -> HttpResponse:
    title = _("Modifica la carta") if charter else _("Nuova carta dei servizi")
    return render(
        request,
        "web/console/charters/charter_form.html",
        {"nav": NAV, "title": title, "form": form, "charter": charter},
        status=400 if form.errors else 200,
    )


def _save_charter(request: HttpRequest, charter: ServiceCharter | None) -> HttpResponse:
    form = CharterForm(request.POST, request.FILES)
    data = form.data_or_errors()
    if data is None:
        return _charter_form(request, form, charter)
    try:
        saved = actions.save_charter(
            data,
            charter,
            document=form.cleaned_data["document"],
            remove_document=form.cleaned_data["remove_document"],
        )
    except InvalidInput as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return _charter_form(request, form, charter)
    messages.success(request, _("Carta dei servizi salvata."))
    return redirect("console:charter", pk=saved.pk)


@require_http_methods(["GET", "POST"])
@access.require(access.edits_listening_plans)
def charter_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _save_charter(request, None)
    return _charter_form(request, CharterForm(), None)


@require_http_methods(["GET", "POST"])
@access.require(access.edits_listening_plans)
def charter_edit(request: HttpRequest, pk: int) -> HttpResponse:
    charter = get_object_or_404(ServiceCharter, pk=pk)
    if request.method == "POST":
        return _save_charter(request, charter)
    return _charter_form(request, CharterForm(initial=CharterForm.initial_from(charter)), charter)


@require_GET
@access.require(access.reads_charters)
def charter_document(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The charter's uploaded PDF, published or not (the public page offers the published
    ones'), as an attachment."""
    charter = get_object_or_404(ServiceCharter, pk=pk)
    try:
        return documents.download(charter)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _indicator_form(
    request: HttpRequest,
    form: IndicatorForm,
    charter: ServiceCharter,
    indicator: QualityIndicator | None,
) -> HttpResponse:
    title = _("Modifica l'indicatore") if indicator else _("Nuovo indicatore")
    return render(
        request,
        "web/console/charters/indicator_form.html",
        {"nav": NAV, "title": title, "form": form, "charter": charter, "indicator": indicator},
        status=400 if form.errors else 200,
    )


def _save_indicator(
    request: HttpRequest, charter: ServiceCharter, indicator: QualityIndicator | None
) -> HttpResponse:
    form = IndicatorForm(request.POST)
    data = form.data_or_errors()
    if data is None:
        return _indicator_form(request, form, charter, indicator)
    actions.save_indicator(charter, data, indicator)
    messages.success(request, _("Indicatore salvato: il valore è calcolato dai dati."))
    return redirect("console:charter", pk=charter.pk)


@require_http_methods(["GET", "POST"])
@access.require(access.edits_listening_plans)
def indicator_new(request: HttpRequest, pk: int) -> HttpResponse:
    charter = get_object_or_404(ServiceCharter, pk=pk)
    if request.method == "POST":
        return _save_indicator(request, charter, None)
    form = IndicatorForm(initial={"position": charter.indicators.count() + 1})
    return _indicator_form(request, form, charter, None)


@require_http_methods(["GET", "POST"])
@access.require(access.edits_listening_plans)
def indicator_edit(request: HttpRequest, pk: int) -> HttpResponse:
    indicator = get_object_or_404(QualityIndicator.objects.select_related("charter"), pk=pk)
    if request.method == "POST":
        return _save_indicator(request, indicator.charter, indicator)
    form = IndicatorForm(initial=IndicatorForm.initial_from(indicator))
    return _indicator_form(request, form, indicator.charter, indicator)


@require_POST
@access.require(access.edits_listening_plans)
def indicator_delete(request: HttpRequest, pk: int) -> HttpResponse:
    indicator = get_object_or_404(QualityIndicator, pk=pk)
    charter_pk = indicator.charter_id
    actions.delete_indicator(indicator)
    messages.success(request, _("Indicatore eliminato."))
    return redirect("console:charter", pk=charter_pk)


urlpatterns: list[URLPattern] = [
    path("carte-dei-servizi/", charter_list, name="charters"),
    path("carte-dei-servizi/nuova/", charter_new, name="charter-new"),
    path("carte-dei-servizi/<int:pk>/", charter_page, name="charter"),
    path("carte-dei-servizi/<int:pk>/modifica/", charter_edit, name="charter-edit"),
    path("carte-dei-servizi/<int:pk>/documento/", charter_document, name="charter-document"),
    path("carte-dei-servizi/<int:pk>/indicatori/nuovo/", indicator_new, name="indicator-new"),
    path("carte-dei-servizi/indicatori/<int:pk>/", indicator_edit, name="indicator-edit"),
    path(
        "carte-dei-servizi/indicatori/<int:pk>/elimina/", indicator_delete, name="indicator-delete"
    ),
]
