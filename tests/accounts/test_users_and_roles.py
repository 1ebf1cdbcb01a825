import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from accounts.models import Role, User
from accounts.roles import GROUP_NAMES, ROLE_PERMISSIONS
from tests.conftest import CAST_PASSWORD


def test_the_migration_created_one_group_per_role_with_the_declared_permissions(db):
    for role, grants in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=GROUP_NAMES[role])
        expected = {
            f"{action}_{label.split('.')[1]}"
            for label, actions in grants.items()
            for action in actions
        }
        assert set(group.permissions.values_list("codename", flat=True)) == expected


def test_a_role_grants_its_groups_permissions(cast):
    assert cast.ana.has_perm("accounts.change_user")
    assert cast.marcos.has_perm("accounts.view_user")
    assert not cast.marcos.has_perm("accounts.change_user")
    assert not cast.alice.has_perm("accounts.view_user")


def test_changing_the_role_changes_the_permissions(cast):
    alice = User.objects.get(pk=cast.alice.pk)
    alice.role = Role.ADMIN
    alice.save()
    assert User.objects.get(pk=alice.pk).has_perm("accounts.change_user")


def test_login_is_by_email_in_any_case(cast):
    assert authenticate(username="ANA@Acme.test", password=CAST_PASSWORD) == cast.ana
    assert authenticate(username="ana@acme.test", password="wrong") is None


def test_users_of_a_suspended_tenant_cannot_authenticate(cast):
    from tenancy.services import suspend

    suspend(cast.acme)
    assert authenticate(username="ana@acme.test", password=CAST_PASSWORD) is None
    assert authenticate(username="gabriel@globex.test", password=CAST_PASSWORD) == cast.gabriel


def test_every_tenant_member_reaches_the_admin_and_staff_have_no_tenant(cast):
    assert cast.alice.is_staff and cast.ana.is_staff
    assert cast.users["staff"].tenant is None and cast.users["staff"].is_staff


def test_a_tenant_member_needs_a_role(cast, english):
    user = User(email="norole@acme.test", tenant=cast.acme, role="")
    with pytest.raises(ValidationError, match="needs a company and a role"):
        user.full_clean(exclude=["password"])


def test_the_database_refuses_a_superuser_inside_a_tenant(cast):
    with pytest.raises(IntegrityError):
        User.objects.filter(pk=cast.ana.pk).update(is_superuser=True)


def test_phone_is_stored_in_e164(cast):
    assert cast.ana.phone == "+5511987654321"
    assert cast.ana.phone_display == "(11) 98765-4321"


def test_seed_demo_refuses_to_run_in_production(db, settings):
    from django.core.management import CommandError, call_command

    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        call_command("seed_demo")
    assert not User.objects.filter(email="staff@alrea.test").exists()
