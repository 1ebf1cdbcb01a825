"""python manage.py simulate_message "Oi!": a customer writes to an instance on the simulator."""

import httpx
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from whatsapp import demo
from whatsapp.models import WhatsAppInstance
from whatsapp.simulator import SimulatorControl


class Command(BaseCommand):
    help = _(
        "A customer sends a message to an instance on the Evolution simulator (dev only): it "
        "arrives as a webhook, like a real one."
    )

    def add_arguments(self, parser):
        parser.add_argument("text", help=_("The message (the caption with --image)."))
        parser.add_argument("--instance", default=demo.INSTANCE_NAME, help=_("Instance name."))
        parser.add_argument("--number", default=demo.MARIA, help=_("The customer's number."))
        parser.add_argument("--name", default="Maria Oliveira", help=_("The customer's name."))
        parser.add_argument("--image", action="store_true", help=_("Send a photo."))

    def handle(self, *args, text, instance, number, name, image, **options):
        if settings.PRODUCTION:
            raise CommandError(_("simulate_message does not run with ALREA_ENV=production."))
        found = list(WhatsAppInstance.objects.filter(name=instance)[:2])
        if len(found) != 1:
            raise CommandError(_("No single instance is named %(name)r.") % {"name": instance})
        spec = {"type": "image", "caption": text} if image else {"type": "text", "text": text}
        control = SimulatorControl(settings.EVOLUTION_API_URL, settings.EVOLUTION_API_KEY)
        try:
            sent = control.inbound(found[0].evolution_name, number=number, push_name=name, **spec)
        except httpx.HTTPError as error:
            raise CommandError(
                _("The simulator at %(url)s refused it: %(error)s")
                % {"url": settings.EVOLUTION_API_URL, "error": error}
            ) from error
        finally:
            control.close()
        self.stdout.write(_("Sent as WhatsApp message %(id)s.") % {"id": sent["key"]["id"]})
