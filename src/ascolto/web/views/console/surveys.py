"""The survey builder (console "Questionari"), for analysts and administrators
(`access.builds_surveys`): the list of surveys with their status and answers; a new survey;
its page, where the settings and the questions of the draft version are edited (one form per
question), previewed as a citizen sees them, published and closed. Editing a published survey
starts a new draft version copying its questions; the answers keep their version
(`surveys.building`, decision 0022). No citizen's data is shown here.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count, Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ascolto.core import access
from ascolto.core.errors import DomainError
from ascolto.surveys import building
from ascolto.surveys.models import Question, Response, Survey, SurveyVersion
from ascolto.web.forms.survey import SurveyAnswerForm
from ascolto.web.forms.surveys import QuestionForm, SurveyForm

BUILDERS = access.builds_surveys


@require_GET
@access.require(BUILDERS)
def survey_list(request: HttpRequest) -> HttpResponse:
    # Subqueries, not joins: a join of responses and versions would multiply a survey's
    # 100,000 answers by its versions before counting.
    answers = (
        Response.objects.filter(survey=OuterRef("pk"))
        .order_by()
        .values("survey")
        .annotate(n=Count("pk"))
        .values("n")
    )
    drafts = SurveyVersion.objects.filter(survey=OuterRef("pk"), published_at__isnull=True)
    surveys = (
        Survey.objects.select_related("current_version", "service")
        .annotate(answers=Coalesce(Subquery(answers), 0), drafts=Exists(drafts))
        .order_by("status", "title")
    )
    return render(
        request,
        "web/console/surveys/list.html",
        {"nav": "surveys", "title": _("Questionari"), "surveys": surveys},
    )


@require_http_methods(["GET", "POST"])
@access.require(BUILDERS)
def survey_new(request: HttpRequest) -> HttpResponse:
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            survey = building.create_survey(
                form.cleaned_data["code"], form.cleaned_data["title"], **_rest(form.settings())
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("Questionario creato: aggiungi le domande."))
            return redirect("console:survey", pk=survey.pk)
    return render(
        request,
        "web/console/surveys/new.html",
        {"nav": "surveys", "title": _("Nuovo questionario"), "form": form},
        status=400 if form.errors else 200,
    )


def _rest(settings: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in settings.items() if k != "title"}


def _draft(survey: Survey) -> SurveyVersion | None:
    return survey.versions.filter(published_at__isnull=True).order_by("-number").first()


def _survey_page(
    request: HttpRequest, survey: Survey, form: SurveyForm, *, problems: list[str] | None = None
) -> HttpResponse:
    draft = _draft(survey)
    shown = draft or survey.current_version
    questions = list(shown.questions.order_by("position", "pk")) if shown else []
    versions = survey.versions.annotate(answers=Count("responses")).order_by("-number")
    return render(
        request,
        "web/console/surveys/survey.html",
        {
            "nav": "surveys",
            "title": survey.title,
            "survey": survey,
            "form": form,
            "draft": draft,
            "shown": shown,
            "questions": questions,
            "versions": versions,
            "problems": problems if problems is not None else [],
            "kinds": Question.Kind.choices,
        },
        status=400 if form.errors or problems else 200,
    )


@require_http_methods(["GET", "POST"])
@access.require(BUILDERS)
def survey_page(request: HttpRequest, pk: int) -> HttpResponse:
    survey = get_object_or_404(Survey, pk=pk)
    form = SurveyForm(request.POST or None, survey=survey)
    if request.method == "POST" and form.is_valid():
        try:
            building.update_survey(survey, **form.settings())
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("Impostazioni salvate."))
            return redirect("console:survey", pk=survey.pk)
    return _survey_page(request, survey, form)


def _question_page(
    request: HttpRequest, survey: Survey, form: QuestionForm, question: Question | None
) -> HttpResponse:
    title = _("Modifica la domanda") if question else _("Nuova domanda")
    return render(
        request,
        "web/console/surveys/question.html",
        {"nav": "surveys", "title": title, "survey": survey, "form": form, "question": question},
        status=400 if form.errors else 200,
    )


def _earlier(version: SurveyVersion, question: Question | None) -> list[Question]:
    questions = version.questions.order_by("position", "pk")
    if question is not None:
        questions = questions.filter(position__lt=question.position)
    return list(questions)


@require_http_methods(["GET", "POST"])
@access.require(BUILDERS)
def question_new(request: HttpRequest, pk: int) -> HttpResponse:
    survey = get_object_or_404(Survey, pk=pk)
    # A question added to a published survey goes to a new draft copying its questions.
    version = _draft(survey) or survey.current_version
    earlier = _earlier(version, None) if version else []
    initial = {"kind": request.GET.get("tipo", Question.Kind.RATING)}
    form = QuestionForm(request.POST or None, earlier=earlier, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.question_fields()
        try:
            building.add_question(
                survey,
                data.pop("kind"),
                data.pop("code"),
                data.pop("text"),
                **data,
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("Domanda aggiunta."))
            return redirect("console:survey", pk=survey.pk)
    return _question_page(request, survey, form, None)


def _draft_question(survey: Survey, question_id: int) -> Question:
    return get_object_or_404(
        Question, pk=question_id, version__survey=survey, version__published_at__isnull=True
    )


@require_http_methods(["GET", "POST"])
@access.require(BUILDERS)
def question_edit(request: HttpRequest, pk: int, question_id: int) -> HttpResponse:
    survey = get_object_or_404(Survey, pk=pk)
    question = _draft_question(survey, question_id)
    earlier = _earlier(question.version, question)
    form = QuestionForm(request.POST or None, earlier=earlier, question=question)
    if request.method == "POST" and form.is_valid():
        try:
            building.edit_question(question, **form.question_fields())
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("Domanda salvata."))
            return redirect("console:survey", pk=survey.pk)
    return _question_page(request, survey, form, question)


@require_POST
@access.require(BUILDERS)
def question_remove(request: HttpRequest, pk: int, question_id: int) -> HttpResponse:
    survey = get_object_or_404(Survey, pk=pk)
    building.remove_question(_draft_question(survey, question_id))
    messages.success(request, _("Domanda tolta dalla bozza."))
    return redirect("console:survey", pk=survey.pk)


@require_POST
@access.require(BUILDERS)
def question_move(request: HttpRequest, pk: int, question_id: int) -> HttpResponse:
    survey = get_object_or_404(Survey, pk=pk)
    offset = -1 if request.POST.get("verso") == "su" else 1
    building.move_question(_draft_question(survey, question_id), offset)
    return redirect("console:survey", pk=survey.pk)


@require_POST
@access.require(BUILDERS)
def survey_edit_published(request: HttpRequest, pk: int) -> HttpResponse:
    """Start a new draft version from the published one."""
    survey = get_object_or_404(Survey, pk=pk)
    version = building.draft_version(survey)
    messages.success(
        request,
        _("Bozza della versione %(n)s: le risposte già date restano sulla loro versione.")
        % {"n": version.number},
    )
    return redirect("console:survey", pk=survey.pk)


@require_POST
@access.require(BUILDERS)
def survey_discard(request: HttpRequest, pk: int) -> HttpResponse:
    survey = get_object_or_404(Survey, pk=pk)
    try:
        building.discard_draft(survey)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Bozza scartata: resta in uso la versione pubblicata."))
    return redirect("console:survey", pk=survey.pk)


@require_POST
@access.require(BUILDERS)
def survey_publish(request: HttpRequest, pk: int) -> HttpResponse:
    survey = get_object_or_404(Survey, pk=pk)
    try:
        version = building.publish_survey(survey)
    except building.SurveyInvalid as error:
        return _survey_page(request, survey, SurveyForm(survey=survey), problems=error.problems)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Versione %(n)s pubblicata: le nuove risposte la useranno.") % {"n": version.number},
        )
    return redirect("console:survey", pk=survey.pk)


@require_POST
@access.require(BUILDERS)
def survey_close(request: HttpRequest, pk: int) -> HttpResponse:
    survey = get_object_or_404(Survey, pk=pk)
    try:
        building.close_survey(survey)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Questionario chiuso: non raccoglie più risposte."))
    return redirect("console:survey", pk=survey.pk)


@require_GET
@access.require(BUILDERS)
def survey_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The draft (or the version in use) as a citizen sees it, in Italian or English
    (`?lingua=en`); branching works as on the public page; nothing can be sent."""
    survey = get_object_or_404(Survey, pk=pk)
    version = _draft(survey) or survey.current_version
    english = request.GET.get("lingua") == "en"
    questions = list(version.questions.order_by("position", "pk")) if version else []
    form = SurveyAnswerForm(questions, english=english)
    return render(
        request,
        "web/console/surveys/preview.html",
        {
            "nav": "surveys",
            "title": _("Anteprima"),
            "survey": survey,
            "version": version,
            "english": english,
            "survey_title": (survey.title_en if english else "") or survey.title,
            "intro": (survey.intro_en if english else "") or survey.intro,
            "items": form.items(),
        },
    )


urlpatterns: list[URLPattern] = [
    path("questionari/", survey_list, name="surveys"),
    path("questionari/nuovo/", survey_new, name="survey-new"),
    path("questionari/<int:pk>/", survey_page, name="survey"),
    path("questionari/<int:pk>/anteprima/", survey_preview, name="survey-preview"),
    path("questionari/<int:pk>/pubblica/", survey_publish, name="survey-publish"),
    path("questionari/<int:pk>/chiudi/", survey_close, name="survey-close"),
    path("questionari/<int:pk>/nuova-versione/", survey_edit_published, name="survey-redraft"),
    path("questionari/<int:pk>/scarta-bozza/", survey_discard, name="survey-discard"),
    path("questionari/<int:pk>/domande/nuova/", question_new, name="survey-question-new"),
    path(
        "questionari/<int:pk>/domande/<int:question_id>/",
        question_edit,
        name="survey-question",
    ),
    path(
        "questionari/<int:pk>/domande/<int:question_id>/togli/",
        question_remove,
        name="survey-question-remove",
    ),
    path(
        "questionari/<int:pk>/domande/<int:question_id>/sposta/",
        question_move,
        name="survey-question-move",
    ),
]
