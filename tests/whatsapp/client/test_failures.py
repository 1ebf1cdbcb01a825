"""Server failures, timeouts and retries: a read is retried, a send never after it may have
reached the server."""

import logging
import socket
import time

import httpx
import pytest

from tests.whatsapp.client.conftest import CUSTOMER, WEBHOOK
from whatsapp import evolution
from whatsapp.evolution import AsyncEvolutionClient, EvolutionClient


class CountingTransport(httpx.HTTPTransport):
    """The real HTTP transport, counting the requests that go out."""

    def __init__(self):
        super().__init__()
        self.requests = []

    def handle_request(self, request):
        self.requests.append(f"{request.method} {request.url.path}")
        return super().handle_request(request)


@pytest.fixture
def counted(simulator):
    transport = CountingTransport()
    client = EvolutionClient(
        simulator.url, simulator.api_key, timeout=0.3, retries=2, backoff=0.01, transport=transport
    )
    yield client, transport.requests
    client.close()


def _closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def test_a_failing_send_is_a_server_error_and_is_not_retried(simulator, counted, connected):
    client, requests = counted
    simulator.control.configure(error_rate=1.0)

    with pytest.raises(evolution.ServerError) as failed:
        client.send_text(connected, CUSTOMER, "Oi")

    assert failed.value.status == 500
    assert requests == [f"POST /message/sendText/{connected}"]


def test_a_slow_read_is_retried_then_times_out(simulator, counted, connected):
    client, requests = counted
    simulator.control.configure(latency_ms=600)

    with pytest.raises(evolution.Timeout):
        client.connection_state(connected)

    assert requests == [f"GET /instance/connectionState/{connected}"] * 3


def test_a_slow_send_times_out_once_it_may_have_gone_out(simulator, counted, connected):
    client, requests = counted
    simulator.control.configure(latency_ms=600)

    with pytest.raises(evolution.Timeout):
        client.send_text(connected, CUSTOMER, "Oi")

    assert requests == [f"POST /message/sendText/{connected}"]


def test_a_send_waits_for_its_delay_on_top_of_the_timeout(simulator, connected):
    # 0.3 s timeout, 600 ms latency: a 1000 ms delay gives the call 1.3 s, so it succeeds.
    simulator.control.configure(latency_ms=600)
    with EvolutionClient(simulator.url, simulator.api_key, timeout=0.3, retries=0) as client:
        sent = client.send_text(connected, CUSTOMER, "Oi", delay=1000)
    assert sent.key_id


def test_an_unreachable_server_is_retried_even_for_sends():
    # A refused connection never reached the server: repeating the send cannot double it.
    transport = CountingTransport()
    with (
        EvolutionClient(
            _closed_port(), "key", timeout=1, retries=2, backoff=0.01, transport=transport
        ) as client,
        pytest.raises(evolution.TransportError) as unreachable,
    ):
        client.send_text("any", CUSTOMER, "Oi")
    assert not isinstance(unreachable.value, evolution.Timeout)
    assert unreachable.value.status is None
    assert len(transport.requests) == 3


def test_retries_back_off(simulator):
    started = time.monotonic()
    with (
        EvolutionClient(_closed_port(), "key", retries=2, backoff=0.1) as client,
        pytest.raises(evolution.TransportError),
    ):
        client.connection_state("any")
    assert time.monotonic() - started >= 0.3  # 0.1 + 0.2


def test_logs_never_carry_the_keys(simulator, evo, instance, caplog):
    with caplog.at_level(logging.DEBUG, logger="whatsapp.evolution"):
        with EvolutionClient(simulator.url, instance.token) as by_token:
            by_token.connection_state(instance.name)
        evo.connection_state(instance.name)
    lines = [r.getMessage() for r in caplog.records if r.name == "whatsapp.evolution"]
    assert any(f"GET /instance/connectionState/{instance.name} -> 200" in line for line in lines)
    text = "\n".join(lines)
    assert simulator.api_key not in text and instance.token not in text
    assert simulator.api_key not in repr(evo)


async def test_the_async_client_speaks_the_same_calls(simulator, new_name):
    async with AsyncEvolutionClient(simulator.url, simulator.api_key, backoff=0.01) as client:
        created = await client.create_instance(new_name(), webhook=WEBHOOK)
        simulator.control.scan(created.name, number="5511900001111")
        state = await client.connection_state(created.name)
        sent = await client.send_text(created.name, CUSTOMER, "Oi")
        with pytest.raises(evolution.InstanceNotFound):
            await client.connection_state("nobody-here")
    assert state.state == "open"
    assert sent.remote_jid == "5511987654321@s.whatsapp.net"


async def test_the_async_client_retries_reads_only(simulator, new_name):
    async with AsyncEvolutionClient(simulator.url, simulator.api_key, backoff=0.01) as client:
        created = await client.create_instance(new_name(), webhook=WEBHOOK)
    simulator.control.scan(created.name, number="5511900001111")
    simulator.control.configure(latency_ms=400)
    started = time.monotonic()
    async with AsyncEvolutionClient(
        simulator.url, simulator.api_key, timeout=0.2, retries=1, backoff=0.01
    ) as client:
        with pytest.raises(evolution.Timeout):
            await client.connection_state(created.name)
        read_took = time.monotonic() - started
        started = time.monotonic()
        with pytest.raises(evolution.Timeout):
            await client.send_text(created.name, CUSTOMER, "Oi")
        send_took = time.monotonic() - started
    assert read_took >= 0.4 > send_took  # two attempts against one
