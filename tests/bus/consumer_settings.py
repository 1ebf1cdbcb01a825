"""Settings for consumer processes that the tests start: tests.settings plus a test handler.

The process inherits BUS_PREFIX from the test process, so it sees the same queues.
"""

from tests.settings import *  # noqa: F403
from tests.settings import BUS

BUS = {**BUS, "HANDLER_MODULES": ["tests.bus.handlers_for_tests"], "RETRY_DELAY_MS": 0}
