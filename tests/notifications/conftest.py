import pytest

from notifications import services
from notifications.models import Notification


@pytest.fixture
def sales(cast):
    return cast.departments[("acme", "Sales")]


@pytest.fixture
def notify_one():
    """``notify_one(user, title)``: one notification for ``user`` (an import, say)."""

    def make(user, title="Import of clientes.csv finished", link="/admin/"):
        (notification,) = services.notify(user, Notification.Kind.IMPORT_FINISHED, title, "", link)
        return notification

    return make
