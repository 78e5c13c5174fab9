from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from ascolto.core import outbox
from ascolto.core.models import OutboxEvent


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin[OutboxEvent]):
    list_display = [
        "id",
        "topic",
        "created_at",
        "processed_at",
        "attempts",
        "next_attempt_at",
        "failed_at",
        "last_error",
    ]
    list_filter = [
        "topic",
        ("processed_at", admin.EmptyFieldListFilter),
        ("failed_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["topic", "last_error"]
    readonly_fields = [f.name for f in OutboxEvent._meta.fields]
    actions = ["retry"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_retry_permission(self, request: HttpRequest) -> bool:
        """Retrying runs the event's handlers again: it needs the right to change events
        (which the change form does not offer: events are read-only here)."""
        return request.user.has_perm("core.change_outboxevent")

    @admin.action(description="Elabora di nuovo gli eventi selezionati", permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet[OutboxEvent]) -> None:
        done = sum(outbox.process_event(pk) for pk in queryset.values_list("pk", flat=True))
        self.message_user(request, f"{done} eventi elaborati.", messages.SUCCESS)
