from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from alrea import health
from whatsapp import receiver

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("healthz", health.healthz, name="healthz"),
    path("favicon.ico", RedirectView.as_view(url="/static/admin_ext/favicon.svg")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("notifications/", include("notifications.urls")),
    path("chat/", include("chat.urls")),
    path("api/", include("api.urls")),
    path("media/", include("media.urls")),
    path("webhooks/evolution/", include("whatsapp.urls")),
    # The same receiver without the trailing slash: an operator may configure the URL so, and
    # APPEND_SLASH cannot redirect a POST.
    path("webhooks/evolution", receiver.evolution_webhook),
]
