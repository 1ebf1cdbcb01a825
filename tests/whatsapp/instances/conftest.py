"""Instances on the simulator, with their webhooks posted to a local receiver."""

import socket

import pytest

from whatsapp.evolution import EvolutionClient

OWN_NUMBER = "5511900001111"


@pytest.fixture
def on_simulator(settings, evolution_simulator, webhook_capture):
    """The default Evolution server is the simulator; PUBLIC_URL is the webhook receiver."""
    settings.EVOLUTION_API_URL = evolution_simulator.url
    settings.EVOLUTION_API_KEY = evolution_simulator.api_key
    settings.PUBLIC_URL = webhook_capture.url
    return evolution_simulator


@pytest.fixture
def evo(on_simulator):
    """A client to look at the simulator's side of things."""
    with EvolutionClient(on_simulator.url, on_simulator.api_key) as client:
        yield client


@pytest.fixture
def server_down(settings):
    """The default Evolution server is a port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        settings.EVOLUTION_API_URL = f"http://127.0.0.1:{probe.getsockname()[1]}"
