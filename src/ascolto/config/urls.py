"""URL map of the project: the health checks, the admin, the API (with the telephony system's
webhooks), Open311, Meta's webhooks, the console and the citizen pages; the error pages
(web/views/errors.py)."""

from django.contrib import admin
from django.urls import include, path

from ascolto.api.urls import api
from ascolto.channels.adapters.meta.views import webhook as meta_webhook
from ascolto.web.views.health import healthz, metrics, readyz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("webhooks/meta/<slug:code>/", meta_webhook, name="meta-webhook"),
    path("open311/", include("ascolto.open311.urls")),
    path("", include("ascolto.web.urls")),
]

handler400 = "ascolto.web.views.errors.bad_request"
handler403 = "ascolto.web.views.errors.permission_denied"
handler404 = "ascolto.web.views.errors.page_not_found"
handler500 = "ascolto.web.views.errors.server_error"
