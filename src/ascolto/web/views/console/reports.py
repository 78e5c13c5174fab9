"""Placeholder: this part of the console is being built."""

from django.urls import URLPattern, path

from ascolto.web.views.placeholder import placeholder

urlpatterns: list[URLPattern] = [path("reports/", placeholder, name="reports")]
