"""Placeholder: this part of the citizen pages is being built."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
