from __future__ import annotations

from typing import Any

from axes.admin import AccessAttemptAdmin as AxesAttemptAdmin
from axes.admin import AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from ascolto.core.errors import DomainError
from ascolto.organisation import actions
from ascolto.organisation.models import Office, SecondFactorReset, Team, User


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
    list_display = [
        "username",
        "first_name",
        "last_name",
        "role",
        "office",
        "extension",
        "is_active",
    ]
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
    actions = ["reset_second_factor"]

    @admin.action(
        description="Azzera la verifica in due passaggi (telefono perso)", permissions=["change"]
    )
    def reset_second_factor(self, request: HttpRequest, queryset: QuerySet[User]) -> Any:
        """After a confirmation page with the reason: every device of the chosen users is
        removed and their sessions end; they set up the app again at their next sign-in. Each
        reset is recorded (`SecondFactorReset`)."""
        if request.POST.get("confirm") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": "Azzerare la verifica in due passaggi?",
                "users": queryset,
                "opts": self.model._meta,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(
                request, "admin/organisation/user/reset_second_factor.html", context
            )
        reason = request.POST.get("reason", "")
        if not reason.strip():
            self.message_user(
                request,
                "Scrivere il motivo dell'azzeramento (per esempio: telefono perso).",
                messages.ERROR,
            )
            return None
        for user in queryset:
            try:
                actions.reset_second_factor(user, actor=request.user, reason=reason)  # type: ignore[arg-type]
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
                return None
        self.message_user(
            request,
            f"Verifica in due passaggi azzerata per {queryset.count()} utenti: la imposteranno "
            "di nuovo al prossimo accesso.",
            messages.SUCCESS,
        )
        return None


@admin.register(SecondFactorReset)
class SecondFactorResetAdmin(admin.ModelAdmin[SecondFactorReset]):
    """Read-only: resets are recorded by the action on the users' list, never changed."""

    list_display = ["at", "user", "actor", "reason", "devices"]
    list_select_related = ["user", "actor"]
    search_fields = ["user__username", "actor__username"]
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# django-axes' pages (AXES_ENABLE_ADMIN is off so that they are registered here): the sign-in
# attempts (deleting one lifts its lock), sign-ins and failures. Its clean-up action needs the
# right to delete, as every action of the admin needs more than the right to view.
class AccessAttemptAdmin(AxesAttemptAdmin):  # type: ignore[misc]
    @admin.action(description="Elimina i tentativi scaduti", permissions=["delete"])
    def cleanup_expired_attempts(self, request: HttpRequest, queryset: Any) -> None:
        super().cleanup_expired_attempts(request, queryset)


admin.site.register(AccessAttempt, AccessAttemptAdmin)
admin.site.register(AccessLog, AccessLogAdmin)
admin.site.register(AccessFailureLog, AccessFailureLogAdmin)
