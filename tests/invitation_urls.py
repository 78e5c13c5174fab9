"""The project's URLs plus a stand-in for the answering page `scrivi:survey-answer` (its view
is branch s-engine's): used by `tests.invitation_cases.answering_page` only while it is missing."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from ascolto.config.urls import urlpatterns as project
from ascolto.web.urls import scrivi_patterns


def _answering_page(request: HttpRequest, token: str) -> HttpResponse:
    return HttpResponse(f"questionario {token}")


urlpatterns = [
    path(
        "scrivi/",
        include(
            (
                [
                    *scrivi_patterns,
                    path("questionario/<str:token>/", _answering_page, name="survey-answer"),
                ],
                "scrivi",
            )
        ),
    ),
    *project,
]
