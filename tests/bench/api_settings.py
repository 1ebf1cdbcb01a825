"""Settings of the server ``tests.bench.api`` starts: the test suite's, with DEBUG off and the
bare baseline views beside the real URLs."""

from tests.settings import *  # noqa: F403

DEBUG = False
ROOT_URLCONF = "tests.bench.api_urls"
