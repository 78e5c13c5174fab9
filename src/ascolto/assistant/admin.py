"""The assistant's rows in the admin, read-only: menus are edited in the console (*Assistente
virtuale*), sessions and replies are written by the engine only. Administrators look here at
replies the Graph API refused and at the unanswered questions."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from ascolto.assistant.models import Reply, SurveyAnswer, Unanswered
from ascolto.audit.admin_reads import RecordsReads


class _ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Reply)
class ReplyAdmin(_ReadOnly):
    """The bot's outbox: what was sent, what waits, what failed and why (no number is shown:
    the row keeps it only until it is sent)."""

    list_display = ["pk", "channel", "purpose", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "purpose", "channel"]
    exclude = ["recipient"]


@admin.register(Unanswered)
class UnansweredAdmin(RecordsReads, _ReadOnly):
    access_log_kind = "unanswered"

    list_display = ["text", "at"]
    search_fields = ["text"]
    date_hierarchy = "at"


@admin.register(SurveyAnswer)
class SurveyAnswerAdmin(RecordsReads, _ReadOnly):
    access_log_kind = "survey_answer"

    list_display = ["session", "path", "useful", "suggestion", "asked_at", "answered_at"]
    list_filter = ["useful"]
    date_hierarchy = "asked_at"
