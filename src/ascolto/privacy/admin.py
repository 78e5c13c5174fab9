"""The records of the data-protection tools in the admin (administrators only, decision 0008):
read-only, as the actions write them."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from ascolto.privacy.models import AccessArchive, Erasure, LegalHold, RetentionRun


class ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AccessArchive)
class AccessArchiveAdmin(ReadOnly):
    list_display = ("pk", "citizen_id", "status", "requested_by", "created_at", "expires_at")
    list_filter = ("status",)
    exclude = ("folder",)


@admin.register(Erasure)
class ErasureAdmin(ReadOnly):
    list_display = ("pk", "citizen_id", "cause", "performed_by", "performed_at")
    list_filter = ("cause",)


@admin.register(LegalHold)
class LegalHoldAdmin(ReadOnly):
    list_display = ("ticket", "reason", "set_by", "set_at", "released_at")


@admin.register(RetentionRun)
class RetentionRunAdmin(ReadOnly):
    list_display = ("started_at", "finished_at", "dry_run", "counts")
