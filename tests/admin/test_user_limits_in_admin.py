"""The plan's user limit and the last-administrator rule, as a tenant admin meets them in the
user form: a clear form error, nothing saved."""

from html import unescape

import pytest

from accounts.models import Role, User
from tests.admin.walk import admin_url, form_data, read_form

PASSWORD = "Quite-long-pass-42"


def _add_user(client, email, **fields):
    form = read_form(client.get(admin_url(User, "add")))
    return client.post(
        admin_url(User, "add"),
        form_data(
            form, email=email, password1=PASSWORD, password2=PASSWORD, role=Role.AGENT, **fields
        ),
    )


def _page(response):
    return unescape(response.content.decode())


def test_plan_user_limit_blocks_the_user_beyond_it(cast, login):
    client = login(cast.gabriel)  # Globex: plan Starter allows 3 users; gabriel is one
    assert cast.globex.plan.max_users == 3
    for n in (1, 2):
        response = _add_user(client, f"user{n}@globex.test")
        assert response.status_code == 302, n
    response = _add_user(client, "user3@globex.test")
    assert response.status_code == 200
    assert "Your plan (Starter) allows 3 users and 0 more fit; you tried to add 1." in _page(
        response
    )
    assert not User.objects.filter(email="user3@globex.test").exists()
    assert User.objects.filter(tenant=cast.globex).count() == 3


def test_reactivating_a_user_beyond_the_limit_is_blocked(cast, login):
    for n in (1, 2):
        User.objects.create_user(
            f"user{n}@globex.test", PASSWORD, tenant=cast.globex, role=Role.AGENT, is_active=n == 1
        )
    inactive = User.objects.get(email="user2@globex.test")
    other_seat = User.objects.create_user(
        "user3@globex.test", PASSWORD, tenant=cast.globex, role=Role.AGENT
    )
    assert other_seat.is_active  # Globex is now at 3 active users
    client = login(cast.gabriel)
    url = admin_url(User, "change", inactive)
    response = client.post(url, form_data(read_form(client.get(url)), is_active="on"))
    assert response.status_code == 200
    assert "allows 3 users" in _page(response)
    inactive.refresh_from_db()
    assert inactive.is_active is False


def test_a_deactivated_user_frees_a_seat(cast, login):
    """Control for the limit: the count is of active users."""
    for n in (1, 2):
        User.objects.create_user(
            f"user{n}@globex.test", PASSWORD, tenant=cast.globex, role=Role.AGENT
        )
    User.objects.filter(email="user2@globex.test").update(is_active=False)
    response = _add_user(login(cast.gabriel), "user3@globex.test")
    assert response.status_code == 302


@pytest.mark.parametrize(
    "change", [{"role": Role.MANAGER}, {"is_active": None}], ids=["demoted", "deactivated"]
)
def test_last_active_admin_cannot_be_demoted_or_deactivated(cast, login, change):
    client = login(cast.ana)
    url = admin_url(User, "change", cast.ana)
    response = client.post(url, form_data(read_form(client.get(url)), **change))
    assert response.status_code == 200
    assert "Ana Souza is the company's last active administrator." in _page(response)
    cast.ana.refresh_from_db()
    assert (cast.ana.role, cast.ana.is_active) == (Role.ADMIN, True)


@pytest.mark.parametrize(
    "change", [{"role": Role.MANAGER}, {"is_active": None}], ids=["demoted", "deactivated"]
)
def test_an_admin_can_step_down_when_another_remains(cast, login, change):
    User.objects.filter(pk=cast.marcos.pk).update(role=Role.ADMIN)
    client = login(cast.ana)
    url = admin_url(User, "change", cast.ana)
    response = client.post(url, form_data(read_form(client.get(url)), **change))
    assert response.status_code == 302
    cast.ana.refresh_from_db()
    assert (cast.ana.role, cast.ana.is_active) != (Role.ADMIN, True)


def test_the_last_active_admin_cannot_be_deleted(cast, login):
    client = login(cast.ana)
    client.cookies["django_language"] = "en"
    page = client.get(f"/admin/accounts/user/{cast.ana.pk}/delete/")
    assert "last active administrator" in page.text
    client.post(f"/admin/accounts/user/{cast.ana.pk}/delete/", {"post": "yes"})
    assert type(cast.ana).objects.filter(pk=cast.ana.pk).exists()


def test_deleting_two_admins_at_once_cannot_empty_the_company(cast, login):
    from accounts.models import Role, User

    second = User.objects.create_user(
        "bia@acme.test", "pw-123456789", tenant=cast.acme, role=Role.ADMIN
    )
    client = login(cast.ana)
    client.post(
        "/admin/accounts/user/",
        {"action": "delete_selected", "_selected_action": [cast.ana.pk, second.pk], "post": "yes"},
    )
    assert User.objects.filter(pk__in=[cast.ana.pk, second.pk]).count() == 2
    # One of two admins may go.
    client.post(
        "/admin/accounts/user/",
        {"action": "delete_selected", "_selected_action": [second.pk], "post": "yes"},
    )
    assert not User.objects.filter(pk=second.pk).exists()
