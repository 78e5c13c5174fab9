"""The charters in the admin, read-only: they are defined in the console
(`/console/carte-dei-servizi/`), whose forms go through `charters.actions`."""

from __future__ import annotations

from django.contrib import admin

from ascolto.charters.models import QualityIndicator, ServiceCharter


class ReadOnly:
    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(ServiceCharter)
class ServiceCharterAdmin(ReadOnly, admin.ModelAdmin[ServiceCharter]):
    list_display = ["title", "service", "issued_on", "updated_on", "update_state", "published"]
    list_filter = ["update_state", "published"]
    search_fields = ["title"]


@admin.register(QualityIndicator)
class QualityIndicatorAdmin(ReadOnly, admin.ModelAdmin[QualityIndicator]):
    list_display = ["name", "charter", "formula", "target", "direction", "period"]
    list_filter = ["formula", "period"]
