"""Sign-in, sign-out and the console's home, which sends each role to its first page."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _

from ascolto.core import access


class LoginView(auth_views.LoginView):
    template_name = "web/console/login.html"
    redirect_authenticated_user = True
    extra_context = {"title": _("Accesso operatori")}


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("console:login")
    if access.handles_cases(request.user):
        return redirect("console:inbox")
    if access.analyses(request.user):
        return redirect("console:reports")
    if access.reads_access_log(request.user):
        return redirect("console:access-log")
    return redirect("console:login")


urlpatterns: list[URLPattern] = [
    path("accedi/", LoginView.as_view(), name="login"),
    path("esci/", auth_views.LogoutView.as_view(), name="logout"),
    path("", home, name="home"),
]
