"""The admin site of ascolto: for administrators only (decision 0008).

The admin shows every row of every model: it applies none of the console's rules of scope
(`core.access`), so an office operator or an analyst let in would read every office's cases,
every citizen and every message. Only administrators (and superusers) reach it; everybody else
works in the console, which is scoped. `AdminConfig` replaces `django.contrib.admin` in
`INSTALLED_APPS`, so `admin.site` and `@admin.register` are this site.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig
from django.http import HttpRequest

from ascolto.core import access


class AdminSite(admin.AdminSite):
    site_header = "ascolto — amministrazione"
    site_title = "ascolto"
    index_title = "Gestione"

    def has_permission(self, request: HttpRequest) -> bool:
        """Administrators and superusers only, whatever staff status or permissions another
        role was given: the admin's lists are not narrowed to an office."""
        return access.administers(request.user)


class AdminConfig(DjangoAdminConfig):
    default_site = "ascolto.core.admin_site.AdminSite"
