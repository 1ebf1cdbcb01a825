"""Settings for the campaign.send consumers the tests start: tests.settings on the test
database (the run's BUS_PREFIX and ALREA_TEST_RUN_ID come from the environment)."""

from tests.settings import *  # noqa: F403
from tests.settings import DATABASES

DATABASES["default"]["NAME"] = DATABASES["default"]["TEST"]["NAME"]
