from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WhatsAppConfig(AppConfig):
    name = "whatsapp"
    verbose_name = _("WhatsApp")

    def ready(self):
        from tenancy.limits import Resource, register_usage
        from whatsapp.models import WhatsAppInstance

        register_usage(
            Resource.INSTANCES,
            lambda tenant: WhatsAppInstance.objects.for_tenant(tenant).count(),
        )
