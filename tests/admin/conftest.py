import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache

from accounts.models import Role
from accounts.roles import ALL, ROLE_PERMISSIONS, sync_role_groups
from tests.admin import walk as walk_module

# The test-only Ticket stands in for conversations: roles get its permissions the way a real
# app declares them in accounts.roles (admins everything, managers view and change, agents view).
TICKET_GRANTS = {Role.ADMIN: ALL, Role.MANAGER: ("view", "change"), Role.AGENT: ("view",)}


def _clear_run_cache():
    """Delete this run's cache keys only: ``cache.clear()`` would FLUSHDB the Redis database
    that other runs (and the channel layer) share."""
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    backend = cache._cache
    if hasattr(backend, "get_client"):  # Redis
        client = backend.get_client(write=True)
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        if keys:
            client.delete(*keys)
    else:
        cache.clear()


@pytest.fixture(autouse=True)
def clean_cache():
    # Login throttling and unfold's search results live in the cache.
    _clear_run_cache()
    yield
    _clear_run_cache()


@pytest.fixture(autouse=True)
def english(client):
    """Messages are asserted by their English source text; the site's default is pt-br."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def ticket_permissions(db, monkeypatch):
    for role, actions in TICKET_GRANTS.items():
        monkeypatch.setitem(
            ROLE_PERMISSIONS, role, {**ROLE_PERMISSIONS[role], "scoping_app.ticket": actions}
        )
    sync_role_groups(Group, Permission)


@pytest.fixture
def walk(cast, ticket_permissions):
    """The cast plus one row per tenant (or one platform row) of every registered model."""
    return walk_module.build(cast)
