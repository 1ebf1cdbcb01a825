"""Suspending a tenant ends its users' admin sessions at their next request and refuses their
login with a word about the suspension; other tenants carry on."""

from html import unescape

import pytest

from tenancy import services
from tests.conftest import CAST_PASSWORD

SUSPENDED = "Your company's account is suspended. Contact support."


@pytest.mark.parametrize("persona", ["ana", "marcos", "alice"])
def test_suspended_tenant_session_no_longer_reaches_the_admin(cast, login, persona):
    client = login(cast.users[persona])
    assert client.get("/admin/").status_code == 200

    services.suspend(cast.acme, reason="Unpaid invoice")

    for path in ("/admin/", "/admin/accounts/department/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/admin/login/"), path


def test_suspended_tenant_login_shows_the_suspended_message(cast, client):
    services.suspend(cast.acme, reason="Unpaid invoice")
    response = client.post("/admin/login/", {"username": cast.ana.email, "password": CAST_PASSWORD})
    assert response.status_code == 200
    assert SUSPENDED in unescape(response.content.decode())
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


def test_suspended_message_needs_the_right_password(cast, client):
    """Otherwise the login page would tell anyone which emails belong to suspended companies."""
    services.suspend(cast.acme, reason="Unpaid invoice")
    response = client.post("/admin/login/", {"username": cast.ana.email, "password": "wrong"})
    assert response.status_code == 200
    assert SUSPENDED not in unescape(response.content.decode())


def test_other_tenants_are_not_affected(cast, client, login):
    services.suspend(cast.acme, reason="Unpaid invoice")
    response = client.post(
        "/admin/login/", {"username": cast.gabriel.email, "password": CAST_PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_reactivated_tenant_can_log_in_again(cast, client):
    services.suspend(cast.acme, reason="Unpaid invoice")
    services.reactivate(cast.acme)
    response = client.post("/admin/login/", {"username": cast.ana.email, "password": CAST_PASSWORD})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
