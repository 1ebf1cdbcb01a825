"""Settings for the test suite: the real services on their local ports (see README).

Each can be pointed elsewhere with the usual variables; the embedded defaults have their own
smoke tests, which start a separate process without these variables.
"""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/alrea")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/1")
os.environ.setdefault("RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
os.environ.setdefault("BUS_PREFIX", f"test-{os.getpid()}.")
os.environ.setdefault("CACHE_KEY_PREFIX", f"alrea-test-{os.getpid()}")
os.environ.setdefault("CHANNELS_PREFIX", f"alrea-test-ws-{os.getpid()}")

from alrea.settings import *  # noqa: E402,F403
from alrea.settings import INSTALLED_APPS  # noqa: E402

# A tenant-owned model with a department and an owner, so the scoping mechanism is tested on
# the shape that conversations and campaigns will have.
INSTALLED_APPS = [*INSTALLED_APPS, "tests.scoping_app"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast test logins
Q_CLUSTER = {**Q_CLUSTER, "sync": True}  # noqa: F405
