"""Campaigns sending through the Evolution simulator, one handler call at a time.

The tests play the consumer: they refill the pipeline and call ``engine.handle`` for each
queued recipient, as ``manage.py consume campaign.send`` would for each message.
"""

import pytest

from campaigns import dispatch, engine, services
from campaigns.models import Campaign, CampaignMessage, CampaignRecipient
from contacts.models import Contact, Tag
from whatsapp import services as instance_services
from whatsapp.models import WhatsAppInstance


@pytest.fixture
def simulator(settings, evolution_simulator, webhook_capture):
    """Evolution is the simulator; its webhooks go to a local recorder (not applied here)."""
    settings.EVOLUTION_API_URL = evolution_simulator.url
    settings.EVOLUTION_API_KEY = evolution_simulator.api_key
    settings.PUBLIC_URL = webhook_capture.url.rstrip("/")
    settings.CAMPAIGN_TYPING_MS = 0
    return evolution_simulator


@pytest.fixture
def number(cast, simulator):
    """``number(name, phone)``: a connected Acme instance on the simulator."""

    def make(name, phone, tenant=None, **fields):
        instance = instance_services.create_instance(tenant or cast.acme, name)
        simulator.control.scan(instance.evolution_name, number=phone, profile_name=name)
        WhatsAppInstance.objects.filter(pk=instance.pk).update(state="open", **fields)
        instance.refresh_from_db()
        return instance

    return make


@pytest.fixture
def audience(cast):
    """``audience(n)``: a tag of Acme with ``n`` contacts (11 9xxxx numbers)."""

    def make(count, tag_name="Clientes"):
        tag = Tag.objects.create(tenant=cast.acme, name=tag_name)
        for n in range(count):
            contact = Contact.objects.create(
                tenant=cast.acme, name=f"Cliente {n}", phone=f"+55119{87650000 + n + 1:08d}"
            )
            contact.tags.add(tag)
        return tag

    return make


@pytest.fixture
def campaign(cast):
    """``campaign(instances, tag, *bodies, **settings)``: started, recipients pending."""

    def make(instances, tag, *bodies, start=True, **fields):
        fields = {"interval_min": 0, "interval_max": 0, "typing_presence": False, **fields}
        campaign = Campaign.objects.create(tenant=cast.acme, name="Promo", **fields)
        campaign.instances.set(instances)
        campaign.audience_tags.set([tag])
        for order, body in enumerate(bodies or ["Oi {{primeiro_nome}}!"]):
            CampaignMessage.objects.create(
                tenant=cast.acme, campaign=campaign, body=body, order=order
            )
        if start:
            services.start(campaign, by=cast.ana)
        return campaign

    return make


def run(campaign, *, limit=1000) -> int:
    """Refill and handle until nothing is queued; returns how many handler calls ran."""
    calls = 0
    while calls < limit:
        dispatch.refill(campaign.pk)
        queued = list(
            CampaignRecipient.objects.filter(campaign=campaign, status="queued").values_list(
                "pk", flat=True
            )
        )
        if not queued:
            return calls
        for pk in queued:
            engine.handle(campaign.tenant_id, campaign.pk, pk)
            calls += 1
    return calls
