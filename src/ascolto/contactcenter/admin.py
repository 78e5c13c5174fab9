from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from ascolto.audit.admin_reads import RecordsReads
from ascolto.contactcenter.models import (
    CallbackBooking,
    CallRecord,
    ForecastPoint,
    ForecastRun,
    IncomingCall,
    IvrNode,
)


@admin.register(CallRecord)
class CallRecordAdmin(RecordsReads, admin.ModelAdmin[CallRecord]):
    """Call records come from the telephony system; they are read, not edited."""

    access_log_kind = "call_record"
    access_log_citizens = ("caller__citizen",)

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


class ForecastPointInline(admin.TabularInline[ForecastPoint, ForecastRun]):
    model = ForecastPoint
    extra = 0
    fields = (
        "series",
        "start",
        "calls",
        "lo80",
        "hi80",
        "lo95",
        "hi95",
        "agents",
        "rostered",
        "scheduled",
    )
    readonly_fields = fields
    can_delete = False
    max_num = 0
    show_change_link = False


@admin.register(ForecastRun)
class ForecastRunAdmin(admin.ModelAdmin[ForecastRun]):
    """Forecast runs are made by the `forecast` command; here they are read."""

    list_display = [
        "created_at",
        "horizon_start",
        "horizon_end",
        "interval_minutes",
        "model_name",
        "mase",
    ]
    list_filter = ["model_name", "source"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in ForecastRun._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(CallbackBooking)
class CallbackBookingAdmin(RecordsReads, admin.ModelAdmin[CallbackBooking]):
    """Callbacks to make, earliest slot first; book them with `book_callback`."""

    access_log_kind = "callback"
    access_log_citizens = ("ticket__citizen",)

    list_display = ["slot_start", "slot_end", "ticket", "requested_via", "created_at"]
    list_filter = ["requested_via", "ticket__status"]
    search_fields = ["=ticket__code", "=phone"]
    date_hierarchy = "slot_start"
    list_select_related = ["ticket"]
    readonly_fields = ["ticket", "phone", "slot_start", "slot_end", "requested_via", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(IvrNode)
class IvrNodeAdmin(admin.ModelAdmin[IvrNode]):
    """The IVR menu of 020202, one choice a row (also loaded from a file: `load_ivr`)."""

    list_display = ["path", "label", "transfer"]
    search_fields = ["path", "label", "transfer"]
    list_filter = ["transfer"]
    readonly_fields = ["path"]
    autocomplete_fields = ["parent"]
    fields = ["parent", "code", "label", "transfer", "path"]


@admin.register(IncomingCall)
class IncomingCallAdmin(RecordsReads, admin.ModelAdmin[IncomingCall]):
    """Screen-pops announced by the telephony system; read, not edited."""

    access_log_kind = "incoming_call"

    list_display = ["created_at", "call_id", "operator", "queue", "seen_at"]
    search_fields = ["=call_id"]
    list_select_related = ["operator"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
