"""Settings for consumer processes that the tests start: tests.settings plus a test handler.

The process inherits the test run's id from the test process, so it sees the same queues
(BUS_PREFIX) and the test database, where it finds the tenants the test committed.
"""

from tests.settings import *  # noqa: F403
from tests.settings import BUS, DATABASES

DATABASES["default"]["NAME"] = DATABASES["default"]["TEST"]["NAME"]

BUS = {**BUS, "HANDLER_MODULES": ["tests.bus.handlers_for_tests"], "RETRY_DELAY_MS": 0}
