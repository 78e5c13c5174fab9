"""Open311 GeoReport v2 under /open311/ (docs/open311.md): discovery, then the v2 methods and
FixMyStreet's updates extension, each in XML and JSON by its extension."""

from __future__ import annotations

from django.urls import re_path

from ascolto.open311 import views

FMT = r"\.(?P<fmt>xml|json)$"

app_name = "open311"
urlpatterns = [
    re_path(r"^discovery" + FMT, views.discovery, name="discovery"),
    re_path(r"^v2/services" + FMT, views.service_list, name="services"),
    re_path(
        r"^v2/services/(?P<code>[A-Za-z0-9_-]{1,64})" + FMT,
        views.service_definition,
        name="service",
    ),
    re_path(r"^v2/requests" + FMT, views.service_requests, name="requests"),
    re_path(
        r"^v2/requests/(?P<request_id>[^/.]{1,40})" + FMT, views.service_request, name="request"
    ),
    re_path(r"^v2/tokens/(?P<token>[^/.]{1,64})" + FMT, views.token, name="token"),
    re_path(r"^v2/servicerequestupdates" + FMT, views.request_updates, name="updates"),
]
