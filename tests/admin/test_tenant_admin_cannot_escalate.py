"""A tenant admin manages their company's users, but cannot make anyone platform staff, hand out
raw permissions or groups, move a user (or themselves) to another company, or change their
company's plan and status."""

import pytest
from django.contrib.auth.models import Group, Permission

from accounts.models import Role, User
from tenancy.models import Tenant
from tests.admin.walk import admin_url, form_data, read_form, snapshot

PLATFORM_FIELDS = ("is_superuser", "groups", "user_permissions")


def _escalation(cast):
    return {
        "is_superuser": "on",
        "groups": [Group.objects.get(name="Tenant admin").pk],
        "user_permissions": [Permission.objects.get(codename="add_plan").pk],
        "tenant": cast.globex.pk,
    }


def _assert_not_escalated(user, tenant):
    user.refresh_from_db()
    assert user.is_superuser is False
    assert list(user.groups.all()) == []
    assert list(user.user_permissions.all()) == []
    assert user.tenant == tenant
    assert not user.has_perm("tenancy.add_plan")


@pytest.mark.parametrize("view", ["add", "change"])
def test_user_form_of_tenant_admin_has_no_platform_fields(cast, login, view):
    obj = cast.marcos if view == "change" else None
    page = login(cast.ana).get(admin_url(User, view, obj)).content.decode()
    for name in (*PLATFORM_FIELDS, "tenant"):
        assert f'name="{name}"' not in page, name
    assert 'name="role"' in page and 'name="departments"' in page  # the form is there
    staff_page = login(cast.staff).get(admin_url(User, "change", cast.marcos)).content.decode()
    for name in PLATFORM_FIELDS:  # control: staff do get them
        assert f'name="{name}"' in staff_page, name


@pytest.mark.parametrize("persona,target", [("ana", "marcos"), ("ana", "ana")])
def test_posting_platform_fields_does_not_escalate(cast, login, persona, target):
    client = login(cast.users[persona])
    url = admin_url(User, "change", cast.users[target])
    form = read_form(client.get(url))
    response = client.post(url, form_data(form, display_name="Still here", **_escalation(cast)))
    assert response.status_code == 302
    user = User.objects.get(pk=cast.users[target].pk)
    assert user.display_name == "Still here"  # the save itself went through
    _assert_not_escalated(user, cast.acme)


def test_adding_a_user_with_platform_fields_does_not_escalate(cast, login):
    client = login(cast.ana)
    form = read_form(client.get(admin_url(User, "add")))
    response = client.post(
        admin_url(User, "add"),
        form_data(
            form,
            email="new@acme.test",
            password1="Quite-long-pass-42",
            password2="Quite-long-pass-42",
            role=Role.AGENT,
            **_escalation(cast),
        ),
    )
    assert response.status_code == 302
    _assert_not_escalated(User.objects.get(email="new@acme.test"), cast.acme)


def test_tenant_admin_cannot_move_a_user_to_another_tenant(cast, login):
    client = login(cast.gabriel)
    url = admin_url(User, "change", cast.gabriel)
    form = read_form(client.get(url))
    response = client.post(url, form_data(form, tenant=cast.acme.pk, display_name="Gabi"))
    assert response.status_code == 302
    cast.gabriel.refresh_from_db()
    assert cast.gabriel.display_name == "Gabi"
    assert cast.gabriel.tenant == cast.globex


def test_tenant_admin_cannot_change_plan_or_status_of_their_company(cast, login):
    client = login(cast.gabriel)
    url = admin_url(Tenant, "change", cast.globex)
    form = read_form(client.get(url))
    for name in ("plan", "status", "slug", "suspended_reason"):
        assert name not in form, name
    response = client.post(
        url,
        form_data(
            form,
            name="Globex Corp",
            plan=cast.plans["pro"].pk,
            status="active",
            slug="hijack",
        ),
    )
    assert response.status_code == 302
    globex = Tenant.objects.get(pk=cast.globex.pk)
    assert globex.name == "Globex Corp"  # what they may change, changed
    assert (globex.plan, globex.status, globex.slug) == (cast.plans["starter"], "trial", "globex")


def test_tenant_admin_cannot_touch_platform_staff_accounts(cast, login):
    staff_before = snapshot(cast.staff)
    client = login(cast.ana)
    for view in ("change", "history", "delete", "password"):
        url = (
            admin_url(User, "change", cast.staff).replace("/change/", "/password/")
            if view == "password"
            else admin_url(User, view, cast.staff)
        )
        assert client.get(url).status_code == 404, view
        assert (
            client.post(
                url,
                {
                    "password1": "Quite-long-pass-42",
                    "password2": "Quite-long-pass-42",
                    "post": "yes",
                    "email": "evil@acme.test",
                },
            ).status_code
            == 404
        ), view
    assert snapshot(cast.staff) == staff_before
