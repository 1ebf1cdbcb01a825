from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from alrea import health

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("healthz", health.healthz, name="healthz"),
    path("favicon.ico", RedirectView.as_view(url="/static/admin_ext/favicon.svg")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("webhooks/evolution/", include("whatsapp.urls")),
]
