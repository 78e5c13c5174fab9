"""The signed-in user's own account: the second factor (turn it on, new recovery codes), "sign
out everywhere", the password change; and the password reset by email, for those who cannot
sign in. Django's views and one-time tokens do the work; the pages are the console's."""

from __future__ import annotations

from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from ascolto.core.ratelimit import over_limit
from ascolto.organisation import actions, twofactor
from ascolto.web.views.console.auth import NEW_CODES


@never_cache
@require_GET
@login_required
def account(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    context = {
        "title": _("Il mio account"),
        "nav": "account",
        "has_app": twofactor.has_app(user),
        "required": twofactor.required_for(user),
        "codes_left": twofactor.recovery_codes_left(user),
    }
    return render(request, "web/console/account/account.html", context)


@require_POST
@login_required
def sign_out_everywhere(request: HttpRequest) -> HttpResponse:
    """End every other session of the user (another computer, a phone left signed in); this one
    stays signed in."""
    user: Any = request.user
    actions.end_sessions(user)
    update_session_auth_hash(request, user)
    messages.success(request, _("Le altre sessioni sono state chiuse: resta aperta solo questa."))
    return redirect("console:account")


@require_POST
@login_required
def new_recovery_codes(request: HttpRequest) -> HttpResponse:
    """Ten new recovery codes (the old ones stop working), for a user whose second factor is
    verified in this session."""
    user: Any = request.user
    if not user.is_verified():
        return redirect(f"{reverse('console:second-factor')}?next={reverse('console:account')}")
    request.session[NEW_CODES] = twofactor.new_recovery_codes(user)
    return redirect(f"{reverse('console:enrol-done')}?next={reverse('console:account')}")


class PasswordChangeView(auth_views.PasswordChangeView):
    """The password change: the current one, then the new one twice. The other sessions end
    (the password is part of their hash); this one stays."""

    template_name = "web/console/account/password_change.html"
    success_url = reverse_lazy("console:account")
    extra_context = {"title": gettext_lazy("Cambia la password"), "nav": "account"}

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, _("Password cambiata. Le altre sessioni sono state chiuse."))
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Ask for a reset link by email. The answer is the same whether the address is known or
    not; requests are counted per client address (`ASCOLTO_PASSWORD_RESET_RATE_LIMIT`)."""

    template_name = "web/console/account/password_reset.html"
    email_template_name = "web/console/account/password_reset_email.txt"
    subject_template_name = "web/console/account/password_reset_subject.txt"
    success_url = reverse_lazy("console:password-reset-sent")
    extra_context = {"title": gettext_lazy("Password dimenticata")}

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if over_limit(request, "password-reset", "ASCOLTO_PASSWORD_RESET_RATE_LIMIT", "5/h"):
            context = {"title": _("Troppe richieste")}
            return render(request, "web/console/account/reset_throttled.html", context, status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        self.extra_email_context = {
            "public_url": settings.ASCOLTO_PUBLIC_URL,
            "municipality": settings.ASCOLTO_MUNICIPALITY,
            "hours": max(1, settings.PASSWORD_RESET_TIMEOUT // 3600),
        }
        return super().form_valid(form)


class PasswordResetSentView(auth_views.PasswordResetDoneView):
    template_name = "web/console/account/password_reset_sent.html"
    extra_context = {"title": gettext_lazy("Controlla la tua email")}


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """The link of the email: a new password, twice. The token works once (it is made of the
    password it replaces) and for `PASSWORD_RESET_TIMEOUT` seconds. A reset ends the user's
    sessions and clears the wrong-password count of the account."""

    template_name = "web/console/account/password_reset_confirm.html"
    success_url = reverse_lazy("console:password-reset-done")
    extra_context = {"title": gettext_lazy("Nuova password")}

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        AxesProxyHandler.reset_attempts(username=form.user.get_username())
        return response


class PasswordResetDoneView(auth_views.PasswordResetCompleteView):
    template_name = "web/console/account/password_reset_done.html"
    extra_context = {"title": gettext_lazy("Password impostata")}


urlpatterns: list[URLPattern] = [
    path("account/", account, name="account"),
    path("account/esci-ovunque/", sign_out_everywhere, name="sign-out-everywhere"),
    path("account/codici-di-recupero/", new_recovery_codes, name="new-recovery-codes"),
    path("account/password/", PasswordChangeView.as_view(), name="password-change"),
    path("password-dimenticata/", PasswordResetView.as_view(), name="password-reset"),
    path(
        "password-dimenticata/inviata/", PasswordResetSentView.as_view(), name="password-reset-sent"
    ),
    path(
        "password-dimenticata/<uidb64>/<token>/",
        PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path(
        "password-dimenticata/fatto/", PasswordResetDoneView.as_view(), name="password-reset-done"
    ),
]
