"""Admin of cases and of what routes them.

Cases are read-only here: every change to a case goes through `tickets/actions.py`, so it is
recorded in the case's history. The admin offers those actions that need no further input.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from ascolto.audit.admin_reads import RecordsReads
from ascolto.core.errors import DomainError
from ascolto.tickets import actions
from ascolto.tickets.models import (
    Campaign,
    RoutingRule,
    SlaPolicy,
    Tag,
    Theme,
    Ticket,
    TicketEvent,
)


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin[Theme]):
    list_display = ["__str__", "code", "level", "parent", "office", "is_active", "open311_public"]
    list_filter = ["level", "is_active", "open311_public"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent", "office"]
    readonly_fields = ["level", "path"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin[Tag]):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin[Campaign]):
    list_display = ["name", "code", "starts_on", "ends_on", "theme", "task_force"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["theme", "tag", "task_force"]
    date_hierarchy = "starts_on"


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin[SlaPolicy]):
    list_display = ["name", "code", "resolution_days", "working_days", "first_response_hours"]
    search_fields = ["name", "code"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin[RoutingRule]):
    list_display = [
        "priority",
        "name",
        "channel_kind",
        "theme",
        "kind",
        "office",
        "team",
        "level",
        "sla_policy",
        "is_active",
    ]
    list_display_links = ["name"]
    list_filter = ["is_active", "channel_kind", "level"]
    search_fields = ["name"]
    autocomplete_fields = ["theme", "office", "team"]


class TicketEventInline(admin.TabularInline[TicketEvent, Ticket]):
    model = TicketEvent
    extra = 0
    fields = ("at", "kind", "actor", "from_value", "to_value", "data")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Ticket)
class TicketAdmin(RecordsReads, admin.ModelAdmin[Ticket]):
    access_log_kind = "ticket"
    access_log_field = "code"
    access_log_citizens = ("citizen",)

    list_display = [
        "code",
        "created_at",
        "channel",
        "kind",
        "theme",
        "level",
        "office",
        "status",
        "due_at",
    ]
    list_filter = ["status", "kind", "level", "channel", "campaign", "office"]
    search_fields = ["=code", "subject", "=citizen__fiscal_code", "=identity__value"]
    date_hierarchy = "created_at"
    list_select_related = ["channel", "theme", "office"]
    show_full_result_count = False
    inlines = [TicketEventInline]
    actions = ["close_resolved"]

    def get_readonly_fields(self, request: HttpRequest, obj: Ticket | None = None) -> list[str]:
        return [f.name for f in Ticket._meta.get_fields() if f.concrete and not f.auto_created] + [
            "tags",
            "conversations",
        ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(description="Chiudi i casi risolti selezionati", permissions=["change"])
    def close_resolved(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        closed, refused = 0, []
        for ticket in queryset.filter(status=Ticket.Status.RESOLVED):
            try:
                actions.close_ticket(ticket, actor=request.user)  # type: ignore[arg-type]
                closed += 1
            except DomainError as exc:
                refused.append(f"{ticket.code}: {exc.message}")
        self.message_user(request, f"{closed} casi chiusi.", messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.WARNING)


@admin.register(TicketEvent)
class TicketEventAdmin(RecordsReads, admin.ModelAdmin[TicketEvent]):
    """The history of cases: append-only, so view-only here."""

    access_log_kind = "ticket_event"
    access_log_citizens = ("ticket__citizen",)

    list_display = ["at", "ticket", "kind", "actor", "from_value", "to_value"]
    list_filter = ["kind"]
    search_fields = ["=ticket__code"]
    date_hierarchy = "at"
    list_select_related = ["ticket", "actor"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
