"""After LOGIN_MAX_FAILURES wrong passwords an account is locked for a while: even the right
password is refused, with a message that says so."""

from html import unescape

from django.conf import settings

from tests.conftest import CAST_PASSWORD

THROTTLED = "Too many failed attempts."


def _login(client, email, password):
    response = client.post("/admin/login/", {"username": email, "password": password})
    return response, unescape(response.content.decode())


def _fail(client, email, times):
    for attempt in range(times):
        response, page = _login(client, email, f"wrong-{attempt}")
        assert response.status_code == 200
        assert THROTTLED not in page, f"locked after {attempt + 1} failures"


def test_locked_account_refuses_even_the_right_password(cast, client):
    _fail(client, cast.ana.email, settings.LOGIN_MAX_FAILURES)
    response, page = _login(client, cast.ana.email, CAST_PASSWORD)
    assert response.status_code == 200
    assert THROTTLED in page
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302  # still logged out


def test_fewer_failures_than_the_limit_still_let_the_owner_in(cast, client):
    """Control: one failure short of the limit, the right password works (and resets it)."""
    _fail(client, cast.ana.email, settings.LOGIN_MAX_FAILURES - 1)
    response, _page = _login(client, cast.ana.email, CAST_PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(cast.ana.pk)


def test_lockout_is_per_account(cast, client):
    _fail(client, cast.ana.email, settings.LOGIN_MAX_FAILURES)
    response, _page = _login(client, cast.gabriel.email, CAST_PASSWORD)
    assert response.status_code == 302


def test_email_case_does_not_dodge_the_lockout(cast, client):
    _fail(client, cast.ana.email.upper(), settings.LOGIN_MAX_FAILURES)
    response, page = _login(client, cast.ana.email, CAST_PASSWORD)
    assert response.status_code == 200
    assert THROTTLED in page
