from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from ascolto.contactcenter.models import CallRecord


@admin.register(CallRecord)
class CallRecordAdmin(admin.ModelAdmin[CallRecord]):
    """Call records come from the telephony system; they are read, not edited."""

    list_display = ["arrived_at", "queue", "wait_seconds", "talk_seconds", "abandoned", "operator"]
    list_filter = ["queue", "abandoned"]
    search_fields = ["=external_id", "=caller__value"]
    date_hierarchy = "arrived_at"
    list_select_related = ["operator"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
