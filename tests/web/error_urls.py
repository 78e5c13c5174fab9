"""The project's URLs and error handlers, plus views that fail on purpose (tests of the error
pages)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.urls import path

from ascolto.config import urls as project


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


def forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied("no")


def suspicious(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation("odd")


handler400 = project.handler400
handler403 = project.handler403
handler404 = project.handler404
handler500 = project.handler500

urlpatterns = [
    path("test-errors/boom/", boom),
    path("test-errors/forbidden/", forbidden),
    path("test-errors/suspicious/", suspicious),
    *project.urlpatterns,
]
