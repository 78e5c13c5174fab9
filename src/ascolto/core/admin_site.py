"""The admin site of ascolto: for administrators only (decision 0008).

The admin shows every row of every model: it applies none of the console's rules of scope
(`core.access`), so an office operator or an analyst let in would read every office's cases,
every citizen and every message. Only administrators (and superusers) reach it; everybody else
works in the console, which is scoped. `AdminConfig` replaces `django.contrib.admin` in
`INSTALLED_APPS`, so `admin.site` and `@admin.register` are this site.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from ascolto.core import access


class AdminSite(admin.AdminSite):
    site_header = "ascolto — amministrazione"
    site_title = "ascolto"
    index_title = "Gestione"

    def has_permission(self, request: HttpRequest) -> bool:
        """Administrators and superusers only, whatever staff status or permissions another
        role was given: the admin's lists are not narrowed to an office. And only once their
        second factor is verified in this session (django-otp's `is_verified`, decision 0019)."""
        user = request.user
        verified = getattr(user, "is_verified", None)
        return access.administers(user) and callable(verified) and bool(verified())

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        """Staff sign in once, on the console's page (password, then the second factor); the
        admin has no sign-in form of its own that would skip the second factor."""
        if request.user.is_authenticated:
            raise PermissionDenied("the admin is for administrators only")
        next_url = request.GET.get("next") or reverse("admin:index")
        return HttpResponseRedirect(f"{reverse('console:login')}?{urlencode({'next': next_url})}")


class AdminConfig(DjangoAdminConfig):
    default_site = "ascolto.core.admin_site.AdminSite"
