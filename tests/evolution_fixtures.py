"""The Evolution simulator and a webhook recorder, for every test folder (see tests/conftest.py)."""

import pytest

from tests.whatsapp.webhook_capture import WebhookCapture
from whatsapp.simulator import Switches
from whatsapp.simulator.server import BackgroundSimulator

SIMULATOR_API_KEY = "test-simulator-global-key"

# Fast and deterministic: delays scaled by 0.01, acks and retries in milliseconds, no auto-connect
# (tests connect an instance with ``control.scan(name)``).
TEST_SWITCHES = Switches(
    connect_delay_seconds=None,
    delay_scale=0.01,
    ack_delay_ms=5,
    webhook_retry_base_ms=5,
    webhook_timeout_ms=5000,
)


@pytest.fixture(scope="session")
def _simulator_server():
    server = BackgroundSimulator(SIMULATOR_API_KEY, switches=TEST_SWITCHES).start()
    yield server
    server.stop()


@pytest.fixture
def evolution_simulator(_simulator_server):
    """A running simulator, reset for this test: ``.url``, ``.api_key``, ``.control``."""
    _simulator_server.control.reset()
    return _simulator_server


@pytest.fixture(scope="session")
def _webhook_capture_server():
    capture = WebhookCapture().start()
    yield capture
    capture.stop()


@pytest.fixture
def webhook_capture(_webhook_capture_server):
    """A local HTTP receiver recording every POST: ``.url``, ``.requests``, ``.fail_next()``."""
    _webhook_capture_server.clear()
    return _webhook_capture_server
