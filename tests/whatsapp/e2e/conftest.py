"""The whole gateway over real HTTP: the simulator posts its webhooks to a live server.

Our services call the simulator, the simulator calls the live server's receiver, and the tests
apply what was received with ``inbound.process_pending()`` (the worker's loop body), so every hop
between Evolution and the database is the real one.
"""

import time

import pytest

from chat.models import Conversation, Message
from whatsapp import inbound, services
from whatsapp.evolution import EvolutionClient
from whatsapp.models import WebhookEvent


def wait_until(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not (result := predicate()) and time.monotonic() < deadline:
        time.sleep(0.02)
    return result


def drain() -> int:
    """Apply everything received so far; returns how many events were taken."""
    taken = 0
    while step := inbound.process_pending():
        taken += step
    return taken


def received(instance, event: str, count: int) -> list[WebhookEvent]:
    """Wait until ``count`` ``event`` webhooks of ``instance`` are in the raw log."""
    rows = WebhookEvent.objects.filter(instance=instance, event=event).order_by("received_at")
    assert wait_until(lambda: rows.count() >= count), list(rows.values_list("event", flat=True))
    return list(rows)


@pytest.fixture
def gateway(settings, live_server, evolution_simulator):
    """Evolution is the simulator; it reaches us at the live server."""
    settings.PUBLIC_URL = live_server.url
    settings.EVOLUTION_API_URL = evolution_simulator.url
    settings.EVOLUTION_API_KEY = evolution_simulator.api_key
    return evolution_simulator


@pytest.fixture
def evo(gateway):
    with EvolutionClient(gateway.url, gateway.api_key) as client:
        yield client


@pytest.fixture
def connect(gateway):
    """``connect(tenant, name, number)``: an instance created by the service and scanned."""

    def make(tenant, name, number, **options):
        instance = services.create_instance(tenant, name, **options)
        gateway.control.scan(instance.evolution_name, number=number, profile_name=name)
        drain()
        instance.refresh_from_db()
        return instance

    return make


def send_text(evo, instance, number: str, text: str) -> Message:
    """What the send service will do: a pending outbound row, the call, then its WhatsApp id."""
    conversation, _created = Conversation.objects.get_or_create(
        tenant_id=instance.tenant_id, instance=instance, remote_jid=f"{number}@s.whatsapp.net"
    )
    message = Message.objects.create(
        tenant_id=instance.tenant_id,
        conversation=conversation,
        direction=Message.Direction.OUTBOUND,
        body=text,
        timestamp=conversation.created_at,
    )
    sent = evo.send_text(instance.evolution_name, number, text)
    message.provider_id = sent.key_id
    message.save(update_fields=["provider_id"])
    return message
