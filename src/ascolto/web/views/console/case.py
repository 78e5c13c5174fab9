"""Placeholder: this part of the console is being built."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
