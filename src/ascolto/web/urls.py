"""URLs of the two faces of the web app: the operator console (/console/) and the citizen pages
(/scrivi/). Each part of the console or of the citizen pages keeps its routes beside its views."""

from __future__ import annotations

from django.urls import include, path
from django.views.generic import RedirectView

from ascolto.web.views import (
    public_alerts,
    public_charters,
    public_questionnaires,
    public_reports,
)
from ascolto.web.views.console import (
    access_log_page,
    account,
    alerts,
    assistant,
    assistant_simulator,
    auth,
    callrecords,
    calls,
    case,
    charters,
    citizens,
    contactcenter,
    inbox,
    knowledge,
    overview,
    privacy,
    questionnaires,
    reports,
    reports_ivr,
    screenpop,
    social,
    sso,
    survey_plan,
    survey_results,
    surveys,
)
from ascolto.web.views.scrivi import assistant as scrivi_assistant
from ascolto.web.views.scrivi import rating, request, status, survey_links
from ascolto.web.views.scrivi import survey as scrivi_survey

console_patterns = [
    *auth.urlpatterns,
    *sso.urlpatterns,
    *account.urlpatterns,
    *inbox.urlpatterns,
    *case.urlpatterns,
    *overview.urlpatterns,
    *calls.urlpatterns,
    *screenpop.urlpatterns,
    *citizens.urlpatterns,
    *privacy.urlpatterns,
    *contactcenter.urlpatterns,
    *callrecords.urlpatterns,
    *reports.urlpatterns,
    *reports_ivr.urlpatterns,
    *social.urlpatterns,
    *alerts.urlpatterns,
    *knowledge.urlpatterns,
    # The simulator before the editor: its path would match the editor's version actions.
    *assistant_simulator.urlpatterns,
    *assistant.urlpatterns,
    *access_log_page.urlpatterns,
    *questionnaires.urlpatterns,
    *charters.urlpatterns,
    *survey_plan.urlpatterns,
    *surveys.urlpatterns,
    *survey_results.urlpatterns,
]
scrivi_patterns = [
    *request.urlpatterns,
    *status.urlpatterns,
    *rating.urlpatterns,
    *survey_links.urlpatterns,
    *scrivi_assistant.urlpatterns,
    *scrivi_survey.urlpatterns,
]

urlpatterns = [
    path("", RedirectView.as_view(url="/scrivi/", permanent=False)),
    path("console/", include((console_patterns, "console"))),
    path("scrivi/", include((scrivi_patterns, "scrivi"))),
    path(
        "trasparenza/",
        include(
            (
                [
                    *public_reports.urlpatterns,
                    *public_questionnaires.urlpatterns,
                    *public_charters.urlpatterns,
                ],
                "trasparenza",
            )
        ),
    ),
    path("avvisi/", include((public_alerts.urlpatterns, "avvisi"))),
    path("i18n/", include("django.conf.urls.i18n")),
]
