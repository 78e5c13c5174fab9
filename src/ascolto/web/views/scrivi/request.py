"""Placeholder: this part of the citizen pages is being built."""

from django.urls import URLPattern, path

from ascolto.web.views.placeholder import placeholder

urlpatterns: list[URLPattern] = [path("", placeholder, name="home")]
