from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from ascolto.audit.admin_reads import RecordsReads
from ascolto.social.models import SocialThread


@admin.register(SocialThread)
class SocialThreadAdmin(RecordsReads, admin.ModelAdmin[SocialThread]):
    """Read-only: the triage queue is worked in the console (`/console/social/`), whose actions
    claim the thread first; a change made here would skip the claim."""

    access_log_kind = "social_thread"
    access_log_citizens = ("conversation__identity__citizen",)

    list_display = ["pk", "conversation", "state", "claimed_by", "claimed_until", "ticket"]
    list_filter = ["state", "conversation__channel"]
    search_fields = ["=post_id", "=conversation__identity__value"]
    list_select_related = ["conversation__channel", "claimed_by", "ticket"]
    readonly_fields = [
        "conversation",
        "state",
        "post_id",
        "permalink",
        "claimed_by",
        "claimed_until",
        "ticket",
        "proposed_reply",
        "handled_by",
        "handled_at",
        "last_error",
        "created_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
