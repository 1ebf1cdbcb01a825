from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from accounts.demo import seed_cast
from api.demo import seed_api_key
from campaigns.demo import seed_campaigns
from chat.demo import seed_conversations
from contacts.demo import seed_contacts

DEMO_PASSWORD = "alrea-demo-2026"


class Command(BaseCommand):
    help = _("Create the demo companies (Acme and Globex), their departments and users.")

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEMO_PASSWORD, help=_("Password for every user."))

    def handle(self, *args, password, **options):
        if settings.PRODUCTION:
            # It creates a superuser with a published password.
            raise CommandError(_("seed_demo does not run with ALREA_ENV=production."))
        cast = seed_cast(password)
        for tenant in cast.tenants.values():
            added = seed_contacts(tenant)
            if added:
                self.stdout.write(
                    _("%(n)s demo contacts added to %(tenant)s.")
                    % {"n": added, "tenant": tenant.name}
                )
            for name in seed_campaigns(tenant):
                self.stdout.write(
                    _("Demo campaign %(name)s added to %(tenant)s.")
                    % {"name": name, "tenant": tenant.name}
                )
        acme = cast.tenants["acme"]
        if chats := seed_conversations(acme):
            self.stdout.write(
                _("%(n)s demo conversations added to %(tenant)s.")
                % {"n": chats, "tenant": acme.name}
            )
        key = seed_api_key(acme)
        self.stdout.write(
            _("API key of %(tenant)s (docs/api.md): %(key)s") % {"tenant": acme.name, "key": key}
        )
        self.stdout.write(
            self.style.SUCCESS(_("Demo data ready. Logins (password: %s):") % password)
        )
        for user in cast.users.values():
            where = user.tenant.name if user.tenant else _("platform staff")
            role = user.get_role_display() or _("superuser")
            self.stdout.write(f"  {user.email:<24} {role:<14} {where}")
