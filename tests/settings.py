"""Settings for the test suite: the real services on their local ports (see README).

Each can be pointed elsewhere with the usual variables; the embedded defaults have their own
smoke tests, which start a separate process without these variables.
"""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/alrea")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/1")
os.environ.setdefault("RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
# One run's name for everything it creates, inherited by the subprocesses it starts, so runs
# in parallel (or a developer's run beside CI's) never share a database, queue or key.
RUN_ID = os.environ.setdefault("ALREA_TEST_RUN_ID", str(os.getpid()))
os.environ.setdefault("BUS_PREFIX", f"test-{RUN_ID}.")
os.environ.setdefault("CACHE_KEY_PREFIX", f"alrea-test-{RUN_ID}")
os.environ.setdefault("CHANNELS_PREFIX", f"alrea-test-ws-{RUN_ID}")

from alrea.settings import *  # noqa: E402,F403
from alrea.settings import DATABASES, INSTALLED_APPS  # noqa: E402

DATABASES["default"]["TEST"] = {"NAME": f"test_alrea_{RUN_ID}"}

# A tenant-owned model with a department and an owner, so the scoping mechanism is tested on
# the shape that conversations and campaigns will have.
INSTALLED_APPS = [*INSTALLED_APPS, "tests.scoping_app"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast test logins
Q_CLUSTER = {**Q_CLUSTER, "sync": True}  # noqa: F405
# Files the tests store (seed_demo's photo, downloads without their own folder) go to the run's
# temporary folder, never to a developer's var/media; subprocesses of the run share it.
MEDIA_ROOT = Path(tempfile.gettempdir()) / f"alrea-test-media-{RUN_ID}"
