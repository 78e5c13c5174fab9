from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from ascolto.channels.models import Channel, Conversation, Message, PendingInbound


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
class ConversationAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "channel", "identity", "status", "started_at", "last_message_at"]
    list_filter = ["channel", "status"]
    search_fields = ["=identity__value", "=external_thread_id", "subject"]
    date_hierarchy = "started_at"
    list_select_related = ["channel", "identity"]
    inlines = [MessageInline]
    show_full_result_count = False


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ["sent_at", "channel", "direction", "status", "attempts", "__str__"]
    list_filter = ["direction", "status", "channel"]
    search_fields = ["=external_id", "=conversation__identity__value"]
    date_hierarchy = "sent_at"
    list_select_related = ["channel"]
    show_full_result_count = False


@admin.register(PendingInbound)
class PendingInboundAdmin(ReadOnlyAdmin):
    """The intake queue: what was accepted and when it was taken in; a row still pending with
    an error after many attempts needs a look (its `last_error` says why)."""

    list_display = ["accepted_at", "channel", "code", "processed_at", "attempts", "last_error"]
    list_filter = ["channel", ("processed_at", admin.EmptyFieldListFilter)]
    search_fields = ["=code", "=external_id"]
    date_hierarchy = "accepted_at"
    show_full_result_count = False
