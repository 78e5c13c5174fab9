"""The survey answering page: `/scrivi/questionario/<token>/`, the link of an invitation.

The token names the invitation, signed (`surveys.tokens`); the page shows the survey's current
version in the visitor's language (the English texts when the language is English and they are
written), and nothing about the person or the case. Branching is applied twice: `survey.js`
hides the questions an earlier answer does not call for, and the action drops their answers and
does not require them, so the page works without JavaScript. An invitation answered, expired,
of a closed survey or with an altered link gets a page that says so. A link may carry answers
to show already chosen (`surveys.tokens.prefill_of`: the WhatsApp tap's rating, decision 0028).
Rate limited per address, and the submissions per browser too.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ascolto.core.errors import DomainError
from ascolto.surveys import actions, tokens
from ascolto.surveys.actions import AnswersInvalid, InvitationExpired, InvitationUsed
from ascolto.surveys.building import SurveyNotOpen
from ascolto.surveys.models import Invitation, Response
from ascolto.web.forms.survey import SurveyAnswerForm
from ascolto.web.views.scrivi.protection import Rule, browser_key, limited, too_many

PAGE_LIMIT = Rule("ASCOLTO_SURVEY_RATE_LIMIT", "120/h")
SUBMIT_LIMIT = "ASCOLTO_SURVEY_BROWSER_RATE_LIMIT"
SUBMIT_LIMIT_DEFAULT = "30/h"

ANSWERED, EXPIRED, CLOSED, INVALID, THANKS = "answered", "expired", "closed", "invalid", "thanks"


def _state(request: HttpRequest, state: str, status: int = 200) -> HttpResponse:
    titles = {
        ANSWERED: _("Questionario già compilato"),
        EXPIRED: _("Il link è scaduto"),
        CLOSED: _("Il questionario è chiuso"),
        INVALID: _("Link non valido"),
        THANKS: _("Grazie per le tue risposte"),
    }
    return render(
        request,
        "web/scrivi/survey_state.html",
        {"title": titles[state], "state": state},
        status=status,
    )


def _refusal(request: HttpRequest, error: DomainError) -> HttpResponse:
    if isinstance(error, InvitationUsed):
        return _state(request, ANSWERED)
    if isinstance(error, InvitationExpired):
        return _state(request, EXPIRED, 410)
    if isinstance(error, SurveyNotOpen):
        return _state(request, CLOSED, 410)
    return _state(request, INVALID, 404)


def answer(request: HttpRequest, token: str) -> HttpResponse:
    rules = [PAGE_LIMIT]
    if request.method == "POST":
        rules.append(Rule(SUBMIT_LIMIT, SUBMIT_LIMIT_DEFAULT, key=browser_key(request)))
    wait = limited(request, "survey", rules)
    if wait is not None:
        return too_many(request, wait)
    try:
        invitation = tokens.invitation_of(token)
        survey = invitation.survey
        version = actions.check_open(survey)
        actions.check_invitation(survey, invitation, timezone.now())
    except DomainError as error:
        return _refusal(request, error)

    language = "en" if translation.get_language() == "en" else "it"
    english = language == "en"
    questions = list(version.questions.order_by("position", "pk"))
    # A link may pre-fill answers already given elsewhere (the WhatsApp tap's rating): shown
    # chosen, changeable, and stored only with the rest when the page is sent.
    initial = actions.prefilled(questions, tokens.prefill_of(token))
    form = SurveyAnswerForm(questions, request.POST or None, english=english, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.submit_response(
                    survey,
                    form.answers(),
                    invitation=invitation,
                    source=Response.Source.WEB,
                    language=language,
                )
            except AnswersInvalid as error:
                form.add_answer_errors(error.errors)
            except DomainError as error:
                return _refusal(request, error)
            else:
                return HttpResponseRedirect(reverse("scrivi:survey-thanks", args=[token]))
        status = 400
    return render(
        request,
        "web/scrivi/survey.html",
        {
            "title": (survey.title_en if english else "") or survey.title,
            "intro": (survey.intro_en if english else "") or survey.intro,
            "items": form.items(),
            "errors": [item for item in form.items() if item.error],
        },
        status=status,
    )


def thanks(request: HttpRequest, token: str) -> HttpResponse:
    """After an answer; an invitation not answered yet goes back to its questions."""
    try:
        invitation: Invitation = tokens.invitation_of(token)
    except DomainError as error:
        return _refusal(request, error)
    if invitation.answered_at is None:
        return HttpResponseRedirect(reverse("scrivi:survey-answer", args=[token]))
    return _state(request, THANKS)


urlpatterns: list[URLPattern] = [
    path("questionario/<str:token>/", answer, name="survey-answer"),
    path("questionario/<str:token>/grazie/", thanks, name="survey-thanks"),
]
