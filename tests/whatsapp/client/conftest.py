"""A client on the simulator, and instances to call it with."""

import uuid

import pytest

from whatsapp.evolution import EvolutionClient

WEBHOOK = {
    "enabled": True,
    "url": "http://127.0.0.1:9/unused",  # nothing listens: deliveries fail, which is fine here
    "headers": {"x-alrea-webhook-secret": "test-secret"},
    "byEvents": False,
    "base64": False,
    "events": ["CONNECTION_UPDATE", "MESSAGES_UPSERT"],
}
OWN_NUMBER = "5511900001111"
CUSTOMER = "+5511987654321"


@pytest.fixture
def simulator(evolution_simulator):
    return evolution_simulator


@pytest.fixture
def evo(simulator):
    with EvolutionClient(simulator.url, simulator.api_key, timeout=5, backoff=0.01) as client:
        yield client


@pytest.fixture
def new_name():
    return lambda: f"alrea-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def instance(evo, new_name):
    """An instance just created (QR shown, not scanned)."""
    return evo.create_instance(new_name(), webhook=WEBHOOK)


@pytest.fixture
def connected(simulator, instance):
    """The name of an instance whose QR was scanned."""
    simulator.control.scan(instance.name, number=OWN_NUMBER, profile_name="Loja Teste")
    return instance.name
