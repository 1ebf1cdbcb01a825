"""python manage.py demo_customers --every 15: customers keep writing to the demo number."""

import logging
import time

import httpx
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from whatsapp import demo, demo_customers
from whatsapp.models import ConnectionState, WhatsAppInstance
from whatsapp.simulator import SimulatorControl

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = _(
        "A customer writes to the demo number on the Evolution simulator every few seconds "
        "(dev only), so the chat page is alive. Stops with Ctrl+C, or after --count messages."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--every", type=float, default=15.0, help=_("Seconds between two messages.")
        )
        parser.add_argument(
            "--count", type=int, default=0, help=_("Stop after this many (0: never).")
        )
        parser.add_argument("--instance", default=demo.INSTANCE_NAME, help=_("Instance name."))

    def handle(self, *args, every, count, instance, **options):
        if settings.PRODUCTION:
            raise CommandError(_("demo_customers does not run with ALREA_ENV=production."))
        if every < 0 or count < 0:
            raise CommandError(_("--every and --count cannot be negative."))
        found = list(WhatsAppInstance.objects.filter(name=instance)[:2])
        if len(found) != 1:
            raise CommandError(_("No single instance is named %(name)r.") % {"name": instance})
        number = found[0]
        control = SimulatorControl(settings.EVOLUTION_API_URL, settings.EVOLUTION_API_KEY)
        sent = 0
        try:
            while not count or sent < count:
                number.refresh_from_db(fields=["state"])
                if number.state == ConnectionState.OPEN:
                    try:
                        demo_customers.tick(
                            control, number.evolution_name, sent, typing_seconds=min(2.0, every / 2)
                        )
                        sent += 1
                    except httpx.HTTPError as error:  # the simulator restarting: try again later
                        logger.warning("demo customer message not sent: %s", error)
                if not count or sent < count:
                    time.sleep(every)
        except KeyboardInterrupt:
            pass
        finally:
            control.close()
        self.stdout.write(_("%(n)s demo customer messages sent.") % {"n": sent})
