"""Large questionnaires in the console (`/console/indagini/`), for the roles that read the
reports (analysts, supervisors, administrators): import a file of answers in two steps (upload,
then check the columns' mapping the page proposes), read each import's refused rows, and edit,
weigh, regenerate and publish the executive summary; write the reference populations the
summaries are weighted to (`surveys.margins`). The answers are anonymous and the summary
shows no free text, so these pages read no citizen's data (nothing for the access log).

The uploaded file waits between the two steps in the storage (`indagini/`), its name kept in
the session only, and is deleted after the import or when another file is uploaded."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ascolto.analytics.questionnaires import summary_board
from ascolto.core import access
from ascolto.core.errors import DomainError, InvalidInput
from ascolto.surveys import actions, imports
from ascolto.surveys.margins import (
    DIMENSIONS,
    MarginsInUse,
    MarginsInvalid,
    delete_margins,
    save_margins,
)
from ascolto.surveys.models import (
    ExecutiveSummary,
    PopulationMargins,
    QuestionnaireImport,
    Survey,
)
from ascolto.web.forms.margins import MarginsForm

SESSION_KEY = "questionnaire_upload"
SHOWN = 200  # refused rows listed on the page
MAX_UPLOAD = 50 * 1024 * 1024


def _questionnaire(survey_id: int) -> Survey:
    return get_object_or_404(Survey, pk=survey_id, kind=Survey.Kind.QUESTIONNAIRE)


@require_GET
@access.require(access.analyses)
def index(request: HttpRequest) -> HttpResponse:
    surveys = Survey.objects.filter(kind=Survey.Kind.QUESTIONNAIRE).prefetch_related(
        "imports", "summaries"
    )
    return render(
        request,
        "web/console/questionnaires/index.html",
        {"nav": "questionnaires", "title": _("Indagini"), "surveys": surveys},
    )


def _forget_upload(request: HttpRequest) -> None:
    held = request.session.pop(SESSION_KEY, None)
    if held and default_storage.exists(held["stored"]):
        default_storage.delete(held["stored"])


@require_http_methods(["GET", "POST"])
@access.require(access.analyses)
def import_page(request: HttpRequest, survey_id: int) -> HttpResponse:
    """Step 1 (a file posted): keep it and show the proposed mapping. Step 2 (the mapping
    posted): import with it and go to the import's report."""
    survey = _questionnaire(survey_id)
    version = survey.current_version
    context: dict[str, Any] = {
        "nav": "questionnaires",
        "title": _("Importa risposte"),
        "survey": survey,
    }
    if version is None:
        context["failure"] = _("Il questionario non ha ancora domande pubblicate.")
        return render(request, "web/console/questionnaires/import.html", context, status=400)
    targets = [
        ("", _("(non importare)")),
        (imports.RESPONDENT_ID, _("Codice del rispondente")),
        (imports.SUBMITTED, _("Data della risposta")),
    ]
    for question in version.questions.all():
        targets.append((question.code, f"{question.code}: {question.text[:80]}"))
        if question.kind == question.Kind.MULTIPLE:
            targets += [
                (f"{question.code}={c['value']}", f"{question.code} = {c.get('label', c['value'])}")
                for c in question.choices or []
            ]
    context["targets"] = targets
    upload = request.FILES.get("file") if request.method == "POST" else None
    if upload is not None:
        suffix = Path(upload.name or "").suffix.lower()
        if suffix not in (".csv", ".xlsx") or (upload.size or 0) > MAX_UPLOAD:
            context["failure"] = _("Scegli un file CSV o XLSX di al massimo 50 MB.")
            return render(request, "web/console/questionnaires/import.html", context, status=400)
        _forget_upload(request)
        stored = default_storage.save(f"indagini/{secrets.token_hex(16)}{suffix}", upload)
        try:
            source = imports.read_file(default_storage.path(stored), upload.name or "")
        except InvalidInput as exc:
            default_storage.delete(stored)
            context["failure"] = exc.message
            return render(request, "web/console/questionnaires/import.html", context, status=400)
        request.session[SESSION_KEY] = {
            "stored": stored,
            "name": Path(upload.name or "").name[:200],
            "survey": survey.pk,
        }
        context["mapping"] = list(imports.propose_mapping(version, source.headers).items())
        context["file_name"] = upload.name
        return render(request, "web/console/questionnaires/import.html", context)
    if request.method == "POST":
        held = request.session.get(SESSION_KEY)
        if (
            not held
            or held.get("survey") != survey.pk
            or not default_storage.exists(held["stored"])
        ):
            context["failure"] = _("Il file caricato non c'è più: caricalo di nuovo.")
            return render(request, "web/console/questionnaires/import.html", context, status=400)
        headers = request.POST.getlist("column")
        chosen = request.POST.getlist("target")
        mapping = dict(zip(headers, chosen, strict=False))
        try:
            report = actions.import_questionnaire(
                survey,
                default_storage.path(held["stored"]),
                held["name"],
                mapping=mapping,
                user=request.user,
            )
        except DomainError as exc:
            context["failure"] = exc.message
            context["mapping"] = list(mapping.items())
            context["file_name"] = held["name"]
            return render(request, "web/console/questionnaires/import.html", context, status=400)
        _forget_upload(request)
        return redirect("console:questionnaire-import-report", report.run.pk)
    return render(request, "web/console/questionnaires/import.html", context)


@require_GET
@access.require(access.analyses)
def import_report(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(QuestionnaireImport.objects.select_related("survey"), pk=pk)
    return render(
        request,
        "web/console/questionnaires/report.html",
        {
            "nav": "questionnaires",
            "title": _("Importazione di %(file)s") % {"file": run.file_name},
            "run": run,
            "refused": len(run.refusals),
            "refusals": run.refusals[:SHOWN],
            "shown": SHOWN,
        },
    )


@require_POST
@access.require(access.analyses)
def create_summary(request: HttpRequest, survey_id: int) -> HttpResponse:
    summary = actions.create_summary(_questionnaire(survey_id))
    return redirect("console:questionnaire-summary", summary.pk)


@require_http_methods(["GET", "POST"])
@access.require(access.analyses)
def summary_page(request: HttpRequest, pk: int) -> HttpResponse:
    summary = get_object_or_404(ExecutiveSummary.objects.select_related("survey"), pk=pk)
    status = 200
    failure = ""
    if request.method == "POST":
        margins_id = request.POST.get("margins") or ""
        margins = (
            PopulationMargins.objects.filter(pk=margins_id).first()
            if margins_id.isdigit()
            else None
        )
        notes = {
            key.removeprefix("note-"): str(request.POST.get(key, ""))
            for key in request.POST
            if key.startswith("note-")
        }
        try:
            actions.edit_summary(
                summary,
                title=request.POST.get("title", ""),
                intro=request.POST.get("intro", ""),
                conclusions=request.POST.get("conclusions", ""),
                notes=notes,
                weighted=bool(request.POST.get("weighted")),
                margins=margins,
            )
        except DomainError as exc:
            failure, status = exc.message, 400
        else:
            messages.success(request, _("Sintesi salvata."))
            return redirect("console:questionnaire-summary", summary.pk)
    questions = [
        {"code": q["code"], "text": q["text"], "note": summary.notes.get(q["code"], "")}
        for q in (summary.content or {}).get("questions", [])
        if q["kind"] != "text"
    ]
    return render(
        request,
        "web/console/questionnaires/summary.html",
        {
            "nav": "questionnaires",
            "title": summary.title,
            "summary": summary,
            "board": summary_board(summary, public=False),
            "questions": questions,
            "all_margins": PopulationMargins.objects.order_by("name"),
            "failure": failure,
        },
        status=status,
    )


@require_POST
@access.require(access.analyses)
def regenerate(request: HttpRequest, pk: int) -> HttpResponse:
    summary = get_object_or_404(ExecutiveSummary, pk=pk)
    actions.regenerate_summary(summary)
    messages.success(request, _("Sintesi ricalcolata sulle risposte di adesso."))
    return redirect("console:questionnaire-summary", summary.pk)


@require_POST
@access.require(access.analyses)
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    summary = get_object_or_404(ExecutiveSummary, pk=pk)
    try:
        if request.POST.get("withdraw"):
            actions.withdraw_summary(summary)
            messages.success(request, _("Sintesi tolta dalla pagina pubblica."))
        else:
            actions.publish_summary(summary)
            messages.success(request, _("Sintesi pubblicata."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("console:questionnaire-summary", summary.pk)


# --- Reference populations (raking) ----------------------------------------------------------


@require_GET
@access.require(access.analyses)
def margins_list(request: HttpRequest) -> HttpResponse:
    populations = [
        (margins, [d for d in DIMENSIONS if (margins.margins or {}).get(d)])
        for margins in PopulationMargins.objects.order_by("name", "pk")
    ]
    return render(
        request,
        "web/console/questionnaires/margins_list.html",
        {
            "nav": "questionnaires",
            "title": _("Popolazioni di riferimento"),
            "populations": populations,
        },
    )


@require_http_methods(["GET", "POST"])
@access.require(access.analyses)
def margins_page(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """A new reference population (no `pk`) or one to change."""
    margins = get_object_or_404(PopulationMargins, pk=pk) if pk is not None else None
    form = MarginsForm(request.POST or None, margins=margins)
    if request.method == "POST" and form.is_valid():
        try:
            saved = save_margins(
                margins,
                name=form.cleaned_data["name"],
                source=form.cleaned_data["source"],
                reference_date=form.cleaned_data["reference_date"],
                dimensions=form.dimensions(),
            )
        except MarginsInvalid as error:
            form.add_margins_errors(error)
        else:
            messages.success(request, _("Popolazione di riferimento salvata."))
            return redirect("console:questionnaire-margins-edit", saved.pk)
    return render(
        request,
        "web/console/questionnaires/margins.html",
        {
            "nav": "questionnaires",
            "title": margins.name if margins else _("Nuova popolazione di riferimento"),
            "margins": margins,
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@require_POST
@access.require(access.analyses)
def margins_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a reference population (the page asks first); refused while a summary is
    weighted with it."""
    margins = get_object_or_404(PopulationMargins, pk=pk)
    try:
        delete_margins(margins)
    except MarginsInUse as refused:
        messages.error(request, refused.message)
        return redirect("console:questionnaire-margins-edit", pk)
    messages.success(
        request, _("Popolazione di riferimento «%(name)s» eliminata.") % {"name": margins.name}
    )
    return redirect("console:questionnaire-margins")


urlpatterns: list[URLPattern] = [
    path("indagini/", index, name="questionnaires"),
    path("indagini/<int:survey_id>/importa/", import_page, name="questionnaire-import"),
    path("indagini/importazioni/<int:pk>/", import_report, name="questionnaire-import-report"),
    path("indagini/<int:survey_id>/sintesi/", create_summary, name="questionnaire-summary-new"),
    path("indagini/sintesi/<int:pk>/", summary_page, name="questionnaire-summary"),
    path("indagini/sintesi/<int:pk>/rigenera/", regenerate, name="questionnaire-regenerate"),
    path("indagini/sintesi/<int:pk>/pubblica/", publish, name="questionnaire-publish"),
    path("indagini/popolazioni/", margins_list, name="questionnaire-margins"),
    path("indagini/popolazioni/nuova/", margins_page, name="questionnaire-margins-new"),
    path("indagini/popolazioni/<int:pk>/", margins_page, name="questionnaire-margins-edit"),
    path(
        "indagini/popolazioni/<int:pk>/elimina/",
        margins_delete,
        name="questionnaire-margins-delete",
    ),
]
