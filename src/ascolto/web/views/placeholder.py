"""Temporary: a page that says it is being built (removed when every part exists)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def placeholder(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return render(request, "web/console/base.html", {"title": "in costruzione"})
