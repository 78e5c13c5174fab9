"""Single sign-on with the city's directory (OIDC): the start, which sends the browser to the
provider, and the callback it comes back to. mozilla-django-oidc does the protocol (state,
nonce, PKCE); `organisation.sso` checks the token and maps the person; here the second factor
is decided (the directory's, when its token shows one, else the console's own) and a refusal
becomes a clear message on the sign-in page. Both answer 404 while single sign-on is off."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib import auth
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import URLPattern, path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.generic import View
from django_otp import login as otp_login
from mozilla_django_oidc.views import (  # type: ignore[import-untyped]
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from ascolto.organisation import sso
from ascolto.web.views.console.auth import SSO_REFUSED, continue_sign_in

logger = logging.getLogger(__name__)


class Start(OIDCAuthenticationRequestView):  # type: ignore[misc]
    """To the provider's authorization endpoint, with state, nonce and the PKCE challenge
    kept in the session."""

    def __init__(self, **kwargs: Any) -> None:
        View.__init__(self, **kwargs)  # the library's reads the endpoint here; `get` does

    def get(self, request: HttpRequest) -> HttpResponseBase:
        if not sso.enabled():
            raise Http404
        try:
            self.OIDC_OP_AUTH_ENDPOINT = sso.endpoints().authorization
        except sso.Unavailable as exc:
            logger.warning("single sign-on unavailable: %s", exc)
            request.session[SSO_REFUSED] = "provider"
            return redirect("console:login")
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        response: HttpResponseBase = super().get(request)
        return response


class Callback(OIDCAuthenticationCallbackView):  # type: ignore[misc]
    """Back from the provider: the library checks the state and calls `DirectoryBackend`."""

    def get(self, request: HttpRequest) -> HttpResponseBase:
        if not sso.enabled():
            raise Http404
        import requests  # here, as `sso_directory` imports it: on the first single sign-on

        try:
            response: HttpResponseBase = super().get(request)
        except SuspiciousOperation as exc:
            # A forged or replayed state, or an ID token that fails a check: no details to the
            # person (the log has the kind of failure, no token and no personal data).
            logger.warning("single sign-on refused: %s", exc)
            return self.login_failure()
        except requests.HTTPError as exc:
            # The provider answered and refused (a spent code, a wrong secret or verifier).
            status = exc.response.status_code if exc.response is not None else None
            logger.warning("single sign-on refused by the provider: HTTP %s", status)
            return self.login_failure()
        except (requests.RequestException, sso.Unavailable) as exc:
            logger.warning("single sign-on: the provider failed: %s", type(exc).__name__)
            setattr(request, sso.REFUSAL, "provider")
            return self.login_failure()
        return response

    def login_failure(self) -> HttpResponse:
        # A session already signed in stays so: a stray or forged callback address must not
        # sign anybody out.
        request = self.request
        reason = getattr(request, sso.REFUSAL, None)
        if request.GET.get("error") == "access_denied":
            reason = "denied"
        request.session[SSO_REFUSED] = reason or "failed"
        return redirect("console:login")

    def login_success(self) -> HttpResponse:
        """Signed in under a new session id (Django's login cycles it), then the second
        factor: the directory's when its ID token shows one, else the console's."""
        request = self.request
        user = self.user
        next_url = _safe_next(request, request.session.pop("oidc_login_next", None))
        auth.login(request, user)
        if sso.trusts_mfa(getattr(request, sso.ASSURANCE, {})):
            otp_login(request, sso.directory_device(user))
            return redirect(next_url)
        return continue_sign_in(request, user, next_url)


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("console:home")


urlpatterns: list[URLPattern] = [
    path("accedi/comune/", never_cache(Start.as_view()), name="sso-start"),
    path("accedi/comune/ritorno/", never_cache(Callback.as_view()), name="sso-callback"),
]
