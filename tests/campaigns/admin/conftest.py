"""Fixtures of the campaign admin tests."""

import pytest
from django.conf import settings

from campaigns.models import Campaign, CampaignMessage
from contacts.models import Contact, Tag
from whatsapp import services as instance_services
from whatsapp.models import WhatsAppInstance


@pytest.fixture(autouse=True)
def english_pages(client):
    """Messages are asserted by their English source text; the site's default is pt-br."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def simulator(settings, evolution_simulator, webhook_capture):
    settings.EVOLUTION_API_URL = evolution_simulator.url
    settings.EVOLUTION_API_KEY = evolution_simulator.api_key
    settings.PUBLIC_URL = webhook_capture.url.rstrip("/")
    return evolution_simulator


@pytest.fixture
def connected(cast, simulator):
    """Acme's number, connected on the simulator."""
    instance = instance_services.create_instance(cast.acme, "Acme Vendas")
    simulator.control.scan(instance.evolution_name, number="5511940028922")
    WhatsAppInstance.objects.filter(pk=instance.pk).update(state="open")
    instance.refresh_from_db()
    return instance


@pytest.fixture
def make_campaign(cast):
    """``make_campaign(name, department=..., created_by=..., tenant=...)``: a draft with one
    variation and no number."""

    def make(name="Promo", *, tenant=None, body="{{saudacao}}, {{primeiro_nome}}!", **fields):
        tenant = tenant or cast.acme
        fields.setdefault("created_by", cast.ana if tenant == cast.acme else cast.gabriel)
        campaign = Campaign.objects.create(tenant=tenant, name=name, **fields)
        if body:
            CampaignMessage.objects.create(tenant=tenant, campaign=campaign, body=body)
        return campaign

    return make


@pytest.fixture
def ready(cast, connected, make_campaign):
    """A draft of Sales with Acme's number and a tag of three contacts: it can start."""
    tag = Tag.objects.create(tenant=cast.acme, name="Clientes")
    for n, name in enumerate(["Maria Oliveira", "João Pereira", "=cmd|' /C calc'!A0"]):
        contact = Contact.objects.create(tenant=cast.acme, name=name, phone=f"+55119876500{n:02d}")
        contact.tags.add(tag)
    campaign = make_campaign(
        "Black Friday",
        department=cast.departments[("acme", "Sales")],
        interval_min=0,
        interval_max=0,
    )
    campaign.instances.set([connected])
    campaign.audience_tags.set([tag])
    return campaign
