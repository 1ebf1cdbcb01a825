from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AdminExtConfig(AppConfig):
    name = "admin_ext"
    verbose_name = _("Administration")
