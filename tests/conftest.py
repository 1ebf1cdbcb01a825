import socket
import threading
from urllib.parse import urlsplit

import pytest
from channels.layers import channel_layers
from django.conf import settings
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.utils import translation

from accounts.demo import seed_cast
from tests.evolution_fixtures import (  # noqa: F401  (fixtures shared by every folder)
    _simulator_server,
    _webhook_capture_server,
    evolution_simulator,
    webhook_capture,
)

CAST_PASSWORD = "cast-password-1"


def _unreachable_services():
    """Log in to each service, not only reach its port: a refused password is just as down."""
    import psycopg
    import redis

    database = settings.DATABASES["default"]
    rabbitmq = urlsplit(settings.RABBITMQ_URL)
    checks = {
        "PostgreSQL": lambda: psycopg.connect(
            host=database["HOST"],
            port=database["PORT"] or 5432,
            user=database["USER"],
            password=database["PASSWORD"] or None,
            dbname="postgres",
            connect_timeout=3,
        ).close(),
        "Redis": lambda: redis.Redis.from_url(settings.REDIS_URL, socket_timeout=3).ping(),
        "RabbitMQ": lambda: socket.create_connection(
            (rabbitmq.hostname, rabbitmq.port or 5672), timeout=3
        ).close(),
    }
    down = []
    for name, check in checks.items():
        try:
            check()
        except Exception as exc:  # any failure means the suite cannot run
            down.append(f"{name} ({type(exc).__name__}: {str(exc).strip().splitlines()[0]})")
    return down


def pytest_collection_modifyitems(items):
    """Every test that commits (transaction=True, live_server) gets serialized rollback.

    Such a test ends with a flush. A plain flush re-runs post_migrate, which recreates the role
    groups under new ids; a later serialized test then restores the groups saved at database
    creation under their old ids and collides on their names. With serialized rollback the
    flush skips post_migrate and the rows the migrations made are restored as they were.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        transactional = (marker and marker.kwargs.get("transaction")) or (
            "live_server" in getattr(item, "fixturenames", ())
            or "transactional_db" in getattr(item, "fixturenames", ())
        )
        if transactional and not (marker and marker.kwargs.get("serialized_rollback")):
            kwargs = dict(marker.kwargs) if marker else {}
            serialized = {**kwargs, "transaction": True, "serialized_rollback": True}
            # append=False: the closest marker wins, and the test's own one comes first.
            item.add_marker(pytest.mark.django_db(**serialized), append=False)


def pytest_sessionstart(session):
    # Fail in one clear line instead of hundreds of connection errors.
    down = _unreachable_services()
    if down:
        pytest.exit(
            "The test suite needs these services, which are down: "
            + "; ".join(down)
            + ". See README.md (Run the tests).",
            returncode=3,
        )


def _clear_run_cache():
    """Delete this run's cache keys only: ``cache.clear()`` would FLUSHDB the Redis database that
    parallel runs (and this run's channel layer) share; this run's keys all start with its
    KEY_PREFIX (tests/settings.py)."""
    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match=f"{settings.CACHES['default']['KEY_PREFIX']}:*"))
    if keys:
        client.delete(*keys)


@pytest.fixture(autouse=True)
def clean_cache():
    # Login throttling and unfold's search results live in the cache: no test sees another's.
    _clear_run_cache()
    yield
    _clear_run_cache()


@pytest.fixture(autouse=True)
def fresh_channel_layer():
    """Each test gets a channel layer of its own. channels_redis keeps its receive lock on the
    layer, bound to the event loop of the socket receiving: a socket an earlier test left
    receiving (on a loop since closed) kept the lock held, and every later socket failed with
    "Lock is bound to a different event loop" (CI saw four tests fail so)."""
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture
def cast(db):
    """Acme (ana admin, marcos manager of Sales, alice agent in Sales), Globex (gabriel admin),
    and platform staff: fixtures/demo.json, the same cast as the demo."""
    return seed_cast(CAST_PASSWORD)


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


@pytest.fixture(autouse=True)
def requests_keep_the_tests_language():
    """Put the test's language back after each request it makes. LocaleMiddleware activates the
    request's language in the thread and nothing restores the one before, so a test that posts a
    webhook and then reads a text written outside any request (a consumer's error) would read
    it in the request's language (pt-BR), not the one the test chose."""
    before: dict[int, list] = {}

    def started(**kwargs):
        before.setdefault(threading.get_ident(), []).append(translation.get_language())

    def finished(**kwargs):
        languages = before.get(threading.get_ident())
        if not languages:
            return
        language = languages.pop()
        if language:
            translation.activate(language)
        else:
            translation.deactivate()

    request_started.connect(started)
    request_finished.connect(finished)
    yield
    request_started.disconnect(started)
    request_finished.disconnect(finished)


@pytest.fixture
def english():
    """Messages in English, for tests that read them (the default language is pt-BR)."""
    with translation.override("en"):
        yield
