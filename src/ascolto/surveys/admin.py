from __future__ import annotations

from django.contrib import admin

from ascolto.audit.admin_reads import RecordsReads
from ascolto.surveys.models import PageRating


@admin.register(PageRating)
class PageRatingAdmin(RecordsReads, admin.ModelAdmin[PageRating]):
    """Page ratings given by visitors of the public pages (read-only: they are the citizens')."""

    access_log_kind = "page_rating"

    list_display = ["created_at", "page", "score", "reason", "comment"]
    list_filter = ["score", "reason"]
    search_fields = ["page"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
