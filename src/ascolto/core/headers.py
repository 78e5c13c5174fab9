"""The security headers Django's own middleware does not set (docs/security/web.md).

`SecurityHeadersMiddleware` sits right after `SecurityMiddleware` and `csp.middleware.CSPMiddleware`
(which write HSTS, nosniff, Referrer-Policy, Cross-Origin-Opener-Policy and the
Content-Security-Policy) and adds, to every response:

- `Permissions-Policy` (`ASCOLTO_PERMISSIONS_POLICY`);
- `Cross-Origin-Resource-Policy: same-origin`, or `cross-origin` on the paths another site's page
  loads (`ASCOLTO_CROSS_ORIGIN_PATHS`: the alerts banner and feed);
- `Cache-Control: no-store` (with Django's `add_never_cache_headers`) on every response under
  `ASCOLTO_NO_STORE_PATHS` (the console, the admin, the API, the citizen pages of one request)
  except the public ones (`ASCOLTO_PUBLIC_PATHS`), replacing whatever the view set unless it
  already said `no-store`: a page or a file with personal data is never kept by a browser's
  cache or a proxy;
- on the embeddable pages (`ASCOLTO_EMBED_PATHS`), the policy's `frame-ancestors` replaced by
  `ASCOLTO_EMBED_ORIGINS`, the sites that may frame them.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import add_never_cache_headers


def under(path: str, prefixes: tuple[str, ...] | list[str]) -> bool:
    """Whether `path` is one of `prefixes` or below one of them (`/api/v1/alerts` covers
    `/api/v1/alerts` and `/api/v1/alerts/…`, not `/api/v1/alertsx`)."""
    for prefix in prefixes:
        if prefix.endswith("/"):
            if path.startswith(prefix):
                return True
        elif path == prefix or path.startswith(prefix + "/"):
            return True
    return False


def keeps_no_copy(path: str) -> bool:
    """Whether the response to `path` is sent with `Cache-Control: no-store`."""
    return under(path, settings.ASCOLTO_NO_STORE_PATHS) and not under(
        path, settings.ASCOLTO_PUBLIC_PATHS
    )


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        path = request.path_info
        if settings.ASCOLTO_PERMISSIONS_POLICY:
            response.headers.setdefault("Permissions-Policy", settings.ASCOLTO_PERMISSIONS_POLICY)
        cross_origin = under(path, settings.ASCOLTO_CROSS_ORIGIN_PATHS)
        response.headers.setdefault(
            "Cross-Origin-Resource-Policy", "cross-origin" if cross_origin else "same-origin"
        )
        if keeps_no_copy(path) and "no-store" not in response.headers.get("Cache-Control", ""):
            add_never_cache_headers(response)
        if under(path, settings.ASCOLTO_EMBED_PATHS):
            response._csp_replace = {  # type: ignore[attr-defined]  # read by CSPMiddleware
                "frame-ancestors": list(settings.ASCOLTO_EMBED_ORIGINS)
            }
        return response
