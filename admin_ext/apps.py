from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AdminExtConfig(AppConfig):
    name = "admin_ext"
    verbose_name = _("Administration")

    def ready(self):
        from django.contrib import admin

        admin.site.site_header = admin.site.site_title = "Alrea"
        admin.site.index_title = _("Dashboard")
