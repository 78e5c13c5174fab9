from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from ascolto.audit.admin_reads import RecordsReads
from ascolto.citizens.actions import merge_citizens
from ascolto.citizens.models import Citizen, Consent, Identity, MergeSuggestion
from ascolto.core.errors import DomainError


class IdentityInline(admin.TabularInline[Identity, Citizen]):
    model = Identity
    extra = 0
    fields = ["kind", "value", "display_name", "created_at", "last_seen_at"]
    readonly_fields = ["created_at", "last_seen_at"]


class ConsentInline(admin.TabularInline[Consent, Citizen]):
    model = Consent
    extra = 0
    readonly_fields = ["purpose", "granted", "source", "recorded_at"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Citizen)
class CitizenAdmin(RecordsReads, admin.ModelAdmin[Citizen]):
    access_log_kind = "citizen"
    access_log_citizens = ("pk",)

    list_display = ["__str__", "fiscal_code", "email", "phone", "created_at", "merged_into"]
    list_filter = [("merged_into", admin.EmptyFieldListFilter)]
    search_fields = ["last_name", "first_name", "=fiscal_code", "email", "phone"]
    readonly_fields = ["created_at", "merged_into"]
    inlines = [IdentityInline, ConsentInline]
    show_full_result_count = False
    actions = ["merge_selected"]

    @admin.action(
        description="Unisci i due cittadini selezionati (il più recente nel più vecchio)",
        permissions=["change"],
    )
    def merge_selected(self, request: HttpRequest, queryset: QuerySet[Citizen]) -> None:
        chosen = list(queryset.order_by("created_at", "pk"))
        if len(chosen) != 2:
            self.message_user(request, "Selezionare esattamente due cittadini.", messages.ERROR)
            return
        target, source = chosen
        try:
            merge_citizens(source, target, actor=request.user)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        self.message_user(request, f"{source} unito a {target}.", messages.SUCCESS)


@admin.register(Identity)
class IdentityAdmin(RecordsReads, admin.ModelAdmin[Identity]):
    access_log_kind = "identity"
    access_log_citizens = ("citizen",)

    list_display = ["value", "kind", "display_name", "citizen", "created_at", "last_seen_at"]
    list_filter = ["kind"]
    search_fields = ["=value", "display_name"]
    autocomplete_fields = ["citizen"]
    readonly_fields = ["created_at", "last_seen_at"]
    list_select_related = ["citizen"]
    show_full_result_count = False


@admin.register(MergeSuggestion)
class MergeSuggestionAdmin(RecordsReads, admin.ModelAdmin[MergeSuggestion]):
    """Read-only: suggestions are opened by intake and decided in the console
    (/console/citizens/duplicates/), where the decision goes through the actions."""

    access_log_kind = "merge_suggestion"
    access_log_citizens = ("first", "second")

    list_display = ["__str__", "first", "second", "status", "created_at", "decided_by"]
    list_filter = ["status"]
    list_select_related = ["first", "second", "decided_by"]
    readonly_fields = [
        "first",
        "second",
        "evidence",
        "status",
        "created_at",
        "decided_by",
        "decided_at",
    ]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
