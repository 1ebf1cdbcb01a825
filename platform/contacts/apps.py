from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContactsConfig(AppConfig):
    name = "contacts"
    verbose_name = _("Contacts")

    def ready(self):
        from contacts.models import Contact
        from tenancy.limits import Resource, register_usage

        register_usage(Resource.CONTACTS, lambda tenant: Contact.objects.for_tenant(tenant).count())
