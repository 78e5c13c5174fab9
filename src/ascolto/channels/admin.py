from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ascolto.audit.admin_reads import RecordsReads
from ascolto.channels import queue
from ascolto.channels.adapters.meta import deliveries
from ascolto.channels.models import Channel, Conversation, Message, PendingInbound, WebhookDelivery


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin[Channel]):
    """The config is validated against the schema of its kind by `Channel.clean()`."""

    list_display = ["name", "code", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "code"]


class MessageInline(admin.TabularInline[Message, Conversation]):
    model = Message
    extra = 0
    fields = ("sent_at", "direction", "author", "status", "text")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Conversations and messages are written by the channels, never by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Conversation)
class ConversationAdmin(RecordsReads, ReadOnlyAdmin):
    access_log_kind = "conversation"
    access_log_citizens = ("identity__citizen",)

    list_display = ["__str__", "channel", "identity", "status", "started_at", "last_message_at"]
    list_filter = ["channel", "status"]
    search_fields = ["=identity__value", "=external_thread_id", "subject"]
    date_hierarchy = "started_at"
    list_select_related = ["channel", "identity"]
    inlines = [MessageInline]
    show_full_result_count = False


@admin.register(Message)
class MessageAdmin(RecordsReads, ReadOnlyAdmin):
    access_log_kind = "message"
    access_log_citizens = ("conversation__identity__citizen",)

    list_display = ["sent_at", "channel", "direction", "status", "attempts", "__str__"]
    list_filter = ["direction", "status", "channel"]
    search_fields = ["=external_id", "=conversation__identity__value"]
    date_hierarchy = "sent_at"
    list_select_related = ["channel"]
    show_full_result_count = False


class NeedsAttention(admin.SimpleListFilter):
    """Requests still not taken in after `queue.FLAG_AFTER` tries: they need a look."""

    title = gettext_lazy("da verificare")
    parameter_name = "attention"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", _("Non ancora presi in carico dopo più tentativi"))]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[PendingInbound]
    ) -> QuerySet[PendingInbound]:
        if self.value() == "yes":
            return queryset.filter(pk__in=queue.needs_attention().values("pk"))
        return queryset


@admin.register(PendingInbound)
class PendingInboundAdmin(RecordsReads, ReadOnlyAdmin):
    """The intake queue: what was accepted and when it was taken in. A row that keeps failing
    is retried with backoff for ever and, after a few failures, listed under "da verificare"
    with its error: retry it now once the cause is fixed, or take the request in by hand and
    mark it handled. A row is never deleted: it is what a citizen sent."""

    access_log_kind = "pending_inbound"

    list_display = [
        "accepted_at",
        "channel",
        "code",
        "processed_at",
        "attempts",
        "next_attempt_at",
        "last_error",
        "handled_at",
    ]
    list_filter = [
        NeedsAttention,
        "channel",
        ("processed_at", admin.EmptyFieldListFilter),
        ("handled_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["=code", "=external_id"]
    date_hierarchy = "accepted_at"
    show_full_result_count = False
    actions = ["retry_now", "mark_handled"]

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_retry_now_permission(self, request: HttpRequest) -> bool:
        """Acting on the queue needs the right to change its rows (which the change form does
        not offer: rows are read-only here), not only to view them."""
        return request.user.has_perm("channels.change_pendinginbound")

    def has_mark_handled_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("channels.change_pendinginbound")

    @admin.action(
        description=gettext_lazy("Riprova ora le richieste selezionate"), permissions=["retry_now"]
    )
    def retry_now(self, request: HttpRequest, queryset: QuerySet[PendingInbound]) -> None:
        done = queue.retry_now(queryset.values_list("pk", flat=True))
        if done.processed:
            text = ngettext(
                "%(n)d richiesta presa in carico.",
                "%(n)d richieste prese in carico.",
                done.processed,
            ) % {"n": done.processed}
            self.message_user(request, text, messages.SUCCESS)
        if done.failed:
            text = ngettext(
                "%(n)d richiesta non è stata presa in carico: vedi l'ultimo errore.",
                "%(n)d richieste non sono state prese in carico: vedi l'ultimo errore.",
                done.failed,
            ) % {"n": done.failed}
            self.message_user(request, text, messages.ERROR)

    @admin.action(
        description=gettext_lazy("Segna come gestite a mano (non più ritentate)"),
        permissions=["mark_handled"],
    )
    def mark_handled(self, request: HttpRequest, queryset: QuerySet[PendingInbound]) -> None:
        count = queue.mark_handled(queryset.values_list("pk", flat=True), request.user)
        text = ngettext(
            "%(n)d richiesta segnata come gestita a mano.",
            "%(n)d richieste segnate come gestite a mano.",
            count,
        ) % {"n": count}
        self.message_user(request, text, messages.SUCCESS)


class DeliveryNeedsAttention(admin.SimpleListFilter):
    """Meta deliveries still not taken in after `queue.FLAG_AFTER` tries."""

    title = gettext_lazy("da verificare")
    parameter_name = "attention"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", _("Non ancora prese in carico dopo più tentativi"))]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]
    ) -> QuerySet[WebhookDelivery]:
        if self.value() == "yes":
            return queryset.filter(pk__in=deliveries.needs_attention().values("pk"))
        return queryset


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(RecordsReads, ReadOnlyAdmin):
    """Meta's webhook deliveries as they arrived, and when they were taken in. One that keeps
    failing is retried with backoff for ever and, after a few failures, listed under "da
    verificare" with its error: retry it now once the cause is fixed (a channel configured, a
    secret set), or deal with it by hand and mark it handled. Never deleted here."""

    access_log_kind = "webhook_delivery"

    list_display = [
        "received_at",
        "channel",
        "processed_at",
        "attempts",
        "next_attempt_at",
        "last_error",
        "handled_at",
    ]
    list_filter = [
        DeliveryNeedsAttention,
        "channel",
        ("processed_at", admin.EmptyFieldListFilter),
        ("handled_at", admin.EmptyFieldListFilter),
    ]
    date_hierarchy = "received_at"
    show_full_result_count = False
    actions = ["retry_now", "mark_handled"]

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_retry_now_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("channels.change_webhookdelivery")

    def has_mark_handled_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("channels.change_webhookdelivery")

    @admin.action(
        description=gettext_lazy("Riprova ora le consegne selezionate"), permissions=["retry_now"]
    )
    def retry_now(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        done = deliveries.retry_now(queryset.values_list("pk", flat=True))
        if done.processed:
            text = ngettext(
                "%(n)d consegna presa in carico.", "%(n)d consegne prese in carico.", done.processed
            ) % {"n": done.processed}
            self.message_user(request, text, messages.SUCCESS)
        if done.failed:
            text = ngettext(
                "%(n)d consegna non è stata presa in carico: vedi l'ultimo errore.",
                "%(n)d consegne non sono state prese in carico: vedi l'ultimo errore.",
                done.failed,
            ) % {"n": done.failed}
            self.message_user(request, text, messages.ERROR)

    @admin.action(
        description=gettext_lazy("Segna come gestite a mano (non più ritentate)"),
        permissions=["mark_handled"],
    )
    def mark_handled(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        count = deliveries.mark_handled(queryset.values_list("pk", flat=True), request.user)
        text = ngettext(
            "%(n)d consegna segnata come gestita a mano.",
            "%(n)d consegne segnate come gestite a mano.",
            count,
        ) % {"n": count}
        self.message_user(request, text, messages.SUCCESS)
