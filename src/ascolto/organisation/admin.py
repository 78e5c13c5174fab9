from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from ascolto.organisation.models import Office, Team, User


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin[Office]):
    list_display = ["name", "code", "kind", "parent", "email", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "code", "email"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["path"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin[Team]):
    list_display = ["name", "code", "office", "is_active"]
    list_filter = ["is_active", "office"]
    search_fields = ["name", "code", "office__name"]
    autocomplete_fields = ["office"]
    filter_horizontal = ["members"]


@admin.register(User)
class UserAdmin(BaseUserAdmin[User]):
    list_display = ["username", "first_name", "last_name", "role", "office", "is_active"]
    list_filter = ["role", "is_active", "is_staff", "office"]
    search_fields = ["username", "first_name", "last_name", "email"]
    autocomplete_fields = ["office"]
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("Ruolo nell'ente", {"fields": ("role", "office", "extension")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        ("Ruolo nell'ente", {"fields": ("role", "office", "extension")}),
    )
