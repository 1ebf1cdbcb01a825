from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AdminExtConfig(AppConfig):
    name = "admin_ext"
    verbose_name = _("Administration")

    def ready(self):
        from django.contrib import admin

        admin.site.index_title = _("Dashboard")  # the header of the front page
