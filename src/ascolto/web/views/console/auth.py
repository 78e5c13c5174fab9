"""Sign-in (password, then the second factor), enrolment of the second factor, sign-out, the
lockout page of throttled sign-ins, and the console's home, which sends each role to its first
page. The rules are `organisation.twofactor`, `organisation.sessions` and
`organisation.throttle`; decision 0019 says why."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from ascolto.core import access
from ascolto.organisation import sessions, sso, twofactor
from ascolto.organisation.throttle import SignInThrottle

# The recovery codes just made, kept in the session until the page that shows them once.
NEW_CODES = "ascolto_new_recovery_codes"
# Why the last single sign-on was refused (`web.views.console.sso`), shown once on this page.
SSO_REFUSED = "ascolto_sso_refused"


def _next(request: HttpRequest) -> str:
    """The page asked for before signing in, if it is on this site; else the console's home."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return candidate if candidate and allowed else reverse("console:home")


def _to(name: str, next_url: str) -> HttpResponse:
    return redirect(f"{reverse(name)}?{urlencode({'next': next_url})}")


def continue_sign_in(request: HttpRequest, user: Any, next_url: str) -> HttpResponse:
    """After the first step (a password, or a directory that checked no second factor): a user
    with a second factor goes on to the code; one whose role requires it and who has none goes
    to enrolment; the console stays closed meanwhile (`web.middleware.SecondFactorMiddleware`)."""
    if twofactor.has_device(user):
        request.session[sessions.SECOND_FACTOR_PENDING] = True
        return _to("console:second-factor", next_url)
    if twofactor.required_for(user):
        return _to("console:enrol", next_url)
    return redirect(next_url)


def _sso_refusal(reason: str | None) -> str:
    """The sign-in page's words for a refused single sign-on."""
    if reason is None:
        return ""
    if reason == "no-role":
        return _(
            "Il tuo account del Comune non ha un ruolo in ascolto: nessuno dei tuoi gruppi è "
            "abilitato. Chiedi all'amministratore di assegnarti il gruppo del tuo ruolo."
        )
    if reason == "no-office":
        return _(
            "Il tuo account del Comune ha il ruolo di operatore d'ufficio, ma nessun ufficio "
            "di ascolto corrisponde al tuo. Chiedi all'amministratore di collegarlo."
        )
    if reason == "no-username":
        return _("Il tuo account del Comune non ha un nome utente: chiedi all'amministratore.")
    if reason == "provider":
        return _("Il servizio di accesso del Comune non risponde. Riprova tra qualche minuto.")
    if reason == "denied":
        return _("L'accesso con l'account del Comune è stato annullato o negato.")
    return _(
        "Accesso con l'account del Comune non riuscito. Riprova, oppure accedi con nome "
        "utente e password."
    )


class LoginView(auth_views.LoginView):
    """The password step. A user with a second factor goes on to the code; one whose role
    requires it and who has none goes to enrolment; the console stays closed meanwhile
    (`web.middleware.SecondFactorMiddleware`). Django gives the session a new id here."""

    template_name = "web/console/login.html"
    redirect_authenticated_user = True
    extra_context = {"title": gettext_lazy("Accesso operatori")}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["ended"] = self.request.session.pop(sessions.ENDED, None)
        context["sso"] = sso.enabled()
        context["sso_refused"] = _sso_refusal(self.request.session.pop(SSO_REFUSED, None))
        return context

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        auth_login(self.request, user)
        return continue_sign_in(self.request, user, self.get_success_url())


class LogoutView(auth_views.LogoutView):
    """Sign-out here; for a session that came from the city's directory, at the provider too
    (RP-initiated logout), which then sends the browser back to the sign-in page."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        provider = sso.end_session_url(request)  # read before the session is flushed
        response: HttpResponse = super().post(request, *args, **kwargs)
        return redirect(provider) if provider else response


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Codice"),
        max_length=32,
        error_messages={"required": gettext_lazy("Scrivi il codice.")},
    )


def _verified(request: HttpRequest, device: Any, next_url: str) -> HttpResponse:
    """The second factor is verified: keep it in the session, under a new session id."""
    otp_login(request, device)
    request.session.pop(sessions.SECOND_FACTOR_PENDING, None)
    request.session.cycle_key()
    return redirect(next_url)


@never_cache
@require_http_methods(["GET", "POST"])
def second_factor(request: HttpRequest) -> HttpResponse:
    """The code step: a code of the authenticator app, or one of the recovery codes."""
    user: Any = request.user
    if not user.is_authenticated:
        return redirect("console:login")
    next_url = _next(request)
    if user.is_verified():
        return redirect(next_url)
    if not twofactor.has_device(user):
        return _to("console:enrol", next_url)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        device = twofactor.verify(user, code)
        if device is not None:
            return _verified(request, device, next_url)
        form.add_error("code", _wrong_code(user, code))
    context = {"title": _("Verifica in due passaggi"), "form": form, "next": next_url}
    return render(request, "web/console/account/second_factor.html", context)


def _wrong_code(user: Any, code: str) -> str:
    wait = twofactor.retry_after(user, code)
    if wait > 2:
        return ngettext(
            "Troppi codici sbagliati di seguito: aspetta %(seconds)d secondo e riprova.",
            "Troppi codici sbagliati di seguito: aspetta %(seconds)d secondi e riprova.",
            wait,
        ) % {"seconds": wait}
    return _(
        "Codice non valido o già usato. Scrivi le 6 cifre che l'app mostra ora, "
        "oppure uno dei codici di recupero."
    )


@never_cache
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    """Set up the authenticator app: a QR code (and the secret, to type by hand), then a code
    from the app confirms it. A user who has a second factor already must verify it first:
    the password alone never replaces a device."""
    user: Any = request.user
    if not user.is_authenticated:
        return redirect("console:login")
    next_url = _next(request)
    if twofactor.has_device(user) and not user.is_verified():
        return _to("console:second-factor", next_url)
    device = twofactor.start_enrolment(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = twofactor.confirm_enrolment(device, form.cleaned_data["code"])
        if codes is not None:
            request.session[NEW_CODES] = codes
            confirmed = TOTPDevice.objects.get(pk=device.pk)
            _verified(request, confirmed, next_url)
            return _to("console:enrol-done", next_url)
        form.add_error(
            "code",
            _("Codice non valido. Scrivi le 6 cifre che l'app mostra ora per questo account."),
        )
    context = {
        "title": _("Attiva la verifica in due passaggi"),
        "form": form,
        "next": next_url,
        "qr": twofactor.qr_svg(device),
        "secret": twofactor.secret_text(device),
        "required": twofactor.required_for(user),
    }
    return render(request, "web/console/account/enrol.html", context)


@never_cache
def enrol_done(request: HttpRequest) -> HttpResponse:
    """The recovery codes, shown once: they leave the session as the page is made."""
    if not request.user.is_authenticated:
        return redirect("console:login")
    codes = request.session.pop(NEW_CODES, None)
    if not codes:
        return redirect(_next(request))
    context = {"title": _("Codici di recupero"), "codes": codes, "next": _next(request)}
    return render(request, "web/console/account/recovery_codes.html", context)


def locked_out(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """The page of a sign-in refused by throttling (django-axes' `AXES_LOCKOUT_CALLABLE`): how
    long to wait, and the way out that does not wait (a password reset)."""
    minutes = SignInThrottle().wait(request, credentials)
    context = {"title": _("Troppi tentativi di accesso"), "minutes": minutes}
    return render(request, "web/console/account/locked_out.html", context, status=429)


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("console:login")
    if access.handles_cases(request.user):
        return redirect("console:inbox")
    if access.analyses(request.user):
        return redirect("console:reports")
    if access.reads_access_log(request.user):
        return redirect("console:access-log")
    return redirect("console:login")


urlpatterns: list[URLPattern] = [
    path("accedi/", LoginView.as_view(), name="login"),
    path("accedi/codice/", second_factor, name="second-factor"),
    path("accedi/attiva/", enrol, name="enrol"),
    path("accedi/codici-di-recupero/", enrol_done, name="enrol-done"),
    path("esci/", LogoutView.as_view(), name="logout"),
    path("", home, name="home"),
]
