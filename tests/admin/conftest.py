import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission

from accounts.models import Role
from accounts.roles import ALL, ROLE_PERMISSIONS, sync_role_groups
from tests.admin import walk as walk_module

# The walk deletes WhatsApp instances, which calls their Evolution server: the simulator.

# The test-only Ticket stands in for conversations: roles get its permissions the way a real
# app declares them in accounts.roles (admins everything, managers view and change, agents view).
TICKET_GRANTS = {Role.ADMIN: ALL, Role.MANAGER: ("view", "change"), Role.AGENT: ("view",)}


@pytest.fixture(autouse=True)
def english_pages(client):
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
def walk(cast, ticket_permissions, settings, request):
    """The cast plus one row per tenant (or one platform row) of every registered model.

    Instances use the simulator as their server; it does not know the walk's instances and
    answers 404, which a deletion takes as "already gone there"."""
    simulator = request.getfixturevalue("evolution_simulator")
    settings.EVOLUTION_API_URL = simulator.url
    settings.EVOLUTION_API_KEY = simulator.api_key
    return walk_module.build(cast)
