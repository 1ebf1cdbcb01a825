"""python manage.py seed_demo_whatsapp: Acme's demo WhatsApp number on the simulator."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from alrea.phones import format_phone
from campaigns.demo import seed_campaigns
from whatsapp import demo, services


class Command(BaseCommand):
    help = _(
        "Create (or restore) Acme's demo WhatsApp instance on the Evolution simulator, connect it "
        "and let a few customers write in. Needs seed_demo, the simulator and the web server."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--wait",
            type=float,
            default=20.0,
            help=_("Seconds to wait for process_webhooks to apply the webhooks."),
        )

    def handle(self, *args, wait, **options):
        if settings.PRODUCTION:
            raise CommandError(_("seed_demo_whatsapp does not run with ALREA_ENV=production."))
        try:
            seeded = demo.seed()
        except (demo.NotTheSimulator, services.InstanceError) as error:
            raise CommandError(str(getattr(error, "message", error))) from error
        instance = seeded.instance
        seed_campaigns(instance.tenant)  # the draft demo campaign sends from this number
        ready = demo.wait_until_ready(instance, wait)
        self.stdout.write(
            _("WhatsApp demo: %(name)s (%(company)s) is %(state)s as %(phone)s.")
            % {
                "name": instance.name,
                "company": instance.tenant.name,
                "state": instance.get_state_display(),
                "phone": format_phone(instance.phone_number) or "—",
            }
        )
        if seeded.injected:
            self.stdout.write(_("%(n)s customer messages sent in.") % {"n": seeded.injected})
        for name in seeded.restored:
            self.stdout.write(_("%(name)s created again on the simulator.") % {"name": name})
        if not ready:
            self.stderr.write(
                _("Not everything is stored after %(s)s s: is process_webhooks running?")
                % {"s": wait}
            )
