from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone, translation

from accounts.models import User
from chat.models import Conversation, Message
from tests.media.conftest import _s3_server, media_root, s3, s3_later  # noqa: F401  (uploads)
from whatsapp import services as instance_services
from whatsapp.models import WhatsAppInstance


@pytest.fixture(autouse=True)
def english_pages(client):
    """Pages and the texts code writes (a message's error) in English, whatever test ran
    before in this thread (a request's language otherwise stays active after it)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def make_line(tenant, name):
    return WhatsAppInstance.objects.create(tenant=tenant, name=name, evolution_name=name.lower())


def make_conversation(line, number, **fields):
    return Conversation.objects.create(
        tenant=line.tenant, instance=line, remote_jid=f"{number}@s.whatsapp.net", **fields
    )


def make_message(conversation, minutes_ago, body="", **fields):
    return Message.objects.create(
        tenant=conversation.tenant,
        conversation=conversation,
        direction=fields.pop("direction", Message.Direction.INBOUND),
        body=body,
        timestamp=timezone.now() - timedelta(minutes=minutes_ago),
        **fields,
    )


@pytest.fixture
def conversations(cast):
    """Acme conversations in Sales, in Support, assigned to alice, and one of Globex."""
    acme = make_line(cast.acme, "Acme-line")
    sales = cast.departments[("acme", "Sales")]
    support = cast.departments[("acme", "Support")]
    return {
        "sales": make_conversation(acme, "5511911110001", name="Sales chat", department=sales),
        "support": make_conversation(
            acme, "5511911110002", name="Support chat", department=support
        ),
        "support_for_alice": make_conversation(
            acme,
            "5511911110003",
            name="Handed to Alice",
            department=support,
            assigned_to=cast.alice,
        ),
        "inbox_for_alice": make_conversation(
            acme, "5511911110004", name="Alice's own", assigned_to=cast.alice
        ),
        "globex": make_conversation(
            make_line(cast.globex, "Globex-line"),
            "5521922220001",
            name="Globex chat",
            department=cast.departments[("globex", "Support")],
        ),
    }


def make_agent(tenant, email, *departments, role="agent"):
    """Another person of ``tenant``, a member of ``departments``."""
    person = User.objects.create_user(email, "agent-password-1", tenant=tenant, role=role)
    person.departments.set(departments)
    return person


@pytest.fixture
def simulator(settings, evolution_simulator, webhook_capture):
    """Evolution is the simulator; its webhooks go to a local recorder (not applied here)."""
    settings.EVOLUTION_API_URL = evolution_simulator.url
    settings.EVOLUTION_API_KEY = evolution_simulator.api_key
    settings.PUBLIC_URL = webhook_capture.url.rstrip("/")
    return evolution_simulator


@pytest.fixture
def line(cast, simulator):
    """Acme's number on the simulator, connected."""
    instance = instance_services.create_instance(cast.acme, "Acme Vendas")
    simulator.control.scan(instance.evolution_name, number="5511900001111")
    WhatsAppInstance.objects.filter(pk=instance.pk).update(state="open")
    instance.refresh_from_db()
    return instance
