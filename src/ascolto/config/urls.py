"""URL map of the project: the admin, the API, the console and the citizen pages."""

from django.contrib import admin
from django.urls import include, path

from ascolto.api.urls import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("ascolto.web.urls")),
]
