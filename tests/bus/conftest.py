import asyncio
import threading
import time
import uuid
from urllib.parse import urlsplit

import pytest

from bus.handlers import _handlers, autodiscover, handles, unregister
from bus.payloads import ChatSend
from bus.transports import get_transport, reset_transport
from consumers.runner import Runner
from tests.bus import broker
from tests.bus.proxy import BrokerProxy


@pytest.fixture
def chat_send(cast):
    """Make a chat.send payload of Acme (or of ``tenant``) for a message id of its own."""

    def make(tenant=None):
        return ChatSend(tenant_id=(tenant or cast.acme).pk, message_id=uuid.uuid4())

    return make


@pytest.fixture
def register():
    """Register handlers for the test only, in place of the real ones (put back after).

    ``register(queue, None)`` leaves ``queue`` without a handler.
    """
    autodiscover()  # the real handlers, so that a later import does not meet the test's
    replaced = {}

    def register(queue, handler):
        replaced.setdefault(queue, _handlers.get(queue))
        unregister(queue)
        if handler is not None:
            handles(queue)(handler)
        return handler

    yield register
    for queue, real in replaced.items():
        unregister(queue)
        if real is not None:
            handles(queue)(real)


@pytest.fixture
def inprocess_bus(settings):
    settings.BUS = {
        **settings.BUS,
        "TRANSPORT": "inprocess",
        "MAX_ATTEMPTS": 3,
        "RETRY_DELAY_MS": 0,
    }
    return get_transport()


@pytest.fixture
def rabbitmq(settings):
    """The real broker with 3 attempts and no retry delay, on queues of the run that start
    empty (other tests' publishes land there too) and are deleted after."""
    broker.delete_all()
    settings.BUS = {**settings.BUS, "TRANSPORT": "rabbitmq", "MAX_ATTEMPTS": 3, "RETRY_DELAY_MS": 0}
    yield settings.BUS
    reset_transport()
    broker.delete_all()


@pytest.fixture
def start_consumer():
    """Start a Runner on a thread of this process; stopped (and checked) at teardown."""
    started = []

    def start(*queues, prefetch=2, drain_timeout=5):
        runner = Runner(queues, prefetch=prefetch, drain_timeout=drain_timeout)
        result = {}
        thread = threading.Thread(target=lambda: result.update(abandoned=asyncio.run(runner.run())))
        thread.start()
        started.append((runner, thread, result))
        deadline = time.monotonic() + 10
        while not runner.consuming.wait(0.05):
            if not thread.is_alive() or time.monotonic() > deadline:
                pytest.fail("the consumer did not start")
        return runner

    yield start
    for runner, thread, result in started:
        runner.stop()
        thread.join(10)
        assert not thread.is_alive(), "the consumer did not stop"
        assert result == {"abandoned": 0}


@pytest.fixture
def broker_proxy(settings):
    """A TCP proxy to the broker that a test can stall (pause) or take down (close)."""
    url = urlsplit(settings.BUS["URL"])
    proxy = BrokerProxy((url.hostname, url.port or 5672))
    yield proxy
    proxy.close()
