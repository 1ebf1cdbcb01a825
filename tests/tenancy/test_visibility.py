import pytest
from asgiref.sync import async_to_sync
from django.http import Http404

from tenancy.access import aget_for_tenant_or_404, get_for_tenant_or_404, get_visible_or_404
from tests.scoping_app.models import Ticket


@pytest.fixture
def tickets(cast):
    acme_sales = cast.departments[("acme", "Sales")]
    acme_support = cast.departments[("acme", "Support")]
    return {
        "sales": Ticket.objects.create(tenant=cast.acme, title="sales", department=acme_sales),
        "support": Ticket.objects.create(
            tenant=cast.acme, title="support", department=acme_support
        ),
        "support_for_alice": Ticket.objects.create(
            tenant=cast.acme, title="support-alice", department=acme_support, assigned_to=cast.alice
        ),
        "globex": Ticket.objects.create(
            tenant=cast.globex, title="globex", department=cast.departments[("globex", "Support")]
        ),
    }


def titles(queryset):
    return sorted(queryset.values_list("title", flat=True))


def test_for_tenant_returns_only_that_tenants_rows(cast, tickets):
    assert titles(Ticket.objects.for_tenant(cast.globex)) == ["globex"]
    assert Ticket.objects.for_tenant(None).count() == 0


def test_tenant_admin_sees_the_whole_tenant(cast, tickets):
    assert titles(Ticket.objects.visible_to(cast.ana)) == ["sales", "support", "support-alice"]


def test_manager_sees_only_their_departments(cast, tickets):
    assert titles(Ticket.objects.visible_to(cast.marcos)) == ["sales"]


def test_agent_sees_their_departments_and_their_own_items(cast, tickets):
    assert titles(Ticket.objects.visible_to(cast.alice)) == ["sales", "support-alice"]


def test_platform_staff_see_every_tenant(cast, tickets):
    assert Ticket.objects.visible_to(cast.users["staff"]).count() == 4


def test_another_tenants_object_is_404_like_a_missing_one(cast, tickets):
    with pytest.raises(Http404):
        get_for_tenant_or_404(Ticket, cast.acme, pk=tickets["globex"].pk)
    with pytest.raises(Http404):
        get_for_tenant_or_404(Ticket, cast.acme, pk="not-a-uuid")
    assert get_for_tenant_or_404(Ticket, cast.globex, pk=tickets["globex"].pk).title == "globex"


def test_an_object_outside_the_users_departments_is_404(cast, tickets):
    with pytest.raises(Http404):
        get_visible_or_404(Ticket, cast.marcos, pk=tickets["support"].pk)
    assert get_visible_or_404(Ticket, cast.alice, pk=tickets["support_for_alice"].pk)


def test_the_async_helper_for_sockets_and_consumers_is_404_across_tenants(cast, tickets):
    # async_to_sync runs the ORM call on this thread, inside the test's transaction.
    lookup = async_to_sync(aget_for_tenant_or_404)
    with pytest.raises(Http404):
        lookup(Ticket, cast.acme, pk=tickets["globex"].pk)
    assert lookup(Ticket, cast.globex, pk=tickets["globex"].pk).title == "globex"


def test_managers_and_agents_see_only_their_own_departments(cast):
    from accounts.models import Department

    assert [d.name for d in Department.objects.visible_to(cast.marcos)] == ["Sales"]
    assert [d.name for d in Department.objects.visible_to(cast.alice)] == ["Sales"]
    assert Department.objects.visible_to(cast.ana).count() == 2


def test_list_filter_choices_follow_the_role_too(cast, login):
    response = login(cast.marcos).get("/admin/accounts/user/")
    assert "Sales" in response.text
    assert "departments__id__exact=" + str(cast.departments[("acme", "Support")].pk) not in (
        response.text
    )
