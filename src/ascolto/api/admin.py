"""The administrators' pages of the open interfaces (decision 0008): the external systems'
tokens, and the outgoing webhooks' subscriptions and delivery log with "send again"
(docs/webhooks.md; calls are written only by `api.webhooks`: read-only).

Creating a token draws it (`api.tokens.issue_token`) and shows it once, on the page that answers
the form: only its SHA-256 is kept, so a lost token is revoked and issued again. The list shows
each token's start, scopes, office, expiry and last use; "Revoca" ends the selected ones.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ascolto.api import webhooks
from ascolto.api.models import ApiToken, WebhookCall, WebhookSubscription
from ascolto.api.tokens import SCOPES, issue_token, revoke_token
from ascolto.core.errors import DomainError


class TokenForm(forms.ModelForm):  # type: ignore[type-arg]
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("permessi"),
        choices=[(code, f"{code} — {text}") for code, text in SCOPES.items()],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = ApiToken
        fields = ["name", "scopes", "office", "rate_per_minute", "expires_at"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    form = TokenForm
    list_display = [
        "name",
        "prefix",
        "scope_list",
        "office",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix"]
    readonly_fields = ["prefix", "last_used_at", "revoked_at", "created_by", "created_at"]
    actions = ["revoke"]

    @admin.display(description=gettext_lazy("permessi"))
    def scope_list(self, token: ApiToken) -> str:
        return ", ".join(token.scopes)

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        token, plaintext = issue_token(
            obj.name,
            form.cleaned_data["scopes"],
            office=obj.office,
            expires_at=obj.expires_at,
            rate_per_minute=obj.rate_per_minute,
            created_by=request.user,  # type: ignore[arg-type]
        )
        obj.__dict__.update({k: v for k, v in token.__dict__.items() if not k.startswith("_")})
        obj._state.adding = False
        request._issued_token = plaintext  # type: ignore[attr-defined]

    def response_add(
        self, request: HttpRequest, obj: ApiToken, post_url_continue: str | None = None
    ) -> HttpResponse:
        """The page that shows the new token, once; never a redirect that could carry it."""
        plaintext = getattr(request, "_issued_token", None)
        if plaintext is None:
            return super().response_add(request, obj, post_url_continue)
        response = TemplateResponse(
            request,
            "admin/api/apitoken/issued.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "token": obj,
                "plaintext": plaintext,
                "title": _("Token creato"),
            },
        )
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description=gettext_lazy("Revoca i token selezionati"), permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        tokens = list(queryset.filter(revoked_at__isnull=True))
        for token in tokens:
            revoke_token(token)
        self.message_user(
            request,
            ngettext("%(n)d token revocato.", "%(n)d token revocati.", len(tokens))
            % {"n": len(tokens)},
            messages.SUCCESS,
        )


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
