"""The administrator's pages of the outgoing webhooks: the subscriptions, and the delivery log
with "send again" (docs/webhooks.md). Calls are written only by `api.webhooks`: read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from ascolto.api import webhooks
from ascolto.api.models import WebhookCall, WebhookSubscription
from ascolto.core.errors import DomainError


class SubscriptionForm(forms.ModelForm[WebhookSubscription]):
    url = forms.CharField(label="indirizzo (HTTPS)", max_length=500)
    events = forms.MultipleChoiceField(
        label="eventi",
        choices=[(k, f"{k} — {v}") for k, v in webhooks.EVENTS.items()],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = WebhookSubscription
        fields = ["name", "url", "events", "office", "is_active"]

    def clean_url(self) -> str:
        try:
            return webhooks.check_url(self.cleaned_data["url"])
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc

    def clean_events(self) -> list[str]:
        try:
            return webhooks.check_events(list(self.cleaned_data["events"]))
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin[WebhookSubscription]):
    form = SubscriptionForm
    list_display = ["name", "url", "office", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "url"]
    readonly_fields = ["secret", "created_at"]
    autocomplete_fields = ["office"]

    def save_model(
        self, request: HttpRequest, obj: WebhookSubscription, form: Any, change: bool
    ) -> None:
        if not obj.secret:
            obj.secret = webhooks.new_secret()  # shown here once saved, for the receiver
        super().save_model(request, obj, form, change)


@admin.register(WebhookCall)
class WebhookCallAdmin(admin.ModelAdmin[WebhookCall]):
    list_display = [
        "event_id",
        "event",
        "subscription",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
        "delivered_at",
        "created_at",
    ]
    list_filter = ["status", "event", "subscription"]
    search_fields = ["event_id", "last_error"]
    readonly_fields = [f.name for f in WebhookCall._meta.fields]
    actions = ["send_again"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_send_again_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("api.change_webhookcall")

    @admin.action(description="Invia di nuovo le consegne selezionate", permissions=["send_again"])
    def send_again(self, request: HttpRequest, queryset: QuerySet[WebhookCall]) -> None:
        done = webhooks.resend(list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request,
            f"{done.delivered} consegnate, {done.retrying} da ritentare, "
            f"{done.failed} non consegnate.",
            messages.SUCCESS if not done.retrying and not done.failed else messages.WARNING,
        )
