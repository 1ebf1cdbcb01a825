"""Related-field choices in admin forms and the related-field list filters list the persona's
own tenant's rows only; a posted or filtered id of another tenant's row gets nowhere."""

import pytest

from accounts.models import Department, User
from tests.admin.walk import admin_url, read_form
from tests.scoping_app.models import Ticket


def _departments(cast, slug):
    return [d for (tenant, _name), d in cast.departments.items() if tenant == slug]


def _option_values(page, name):
    """The option values of the ``<select name=...>`` on the page."""
    start = page.index(f'name="{name}"')
    end = page.index("</select>", start)
    return set(part.split('"', 1)[0] for part in page[start:end].split('value="')[1:]) - {""}


@pytest.mark.parametrize("persona,tenant", [("ana", "acme"), ("gabriel", "globex")])
def test_ticket_department_choices_list_only_own_departments(
    cast, login, ticket_permissions, persona, tenant
):
    page = login(cast.users[persona]).get(admin_url(Ticket, "add")).content.decode()
    own = {str(d.pk) for d in _departments(cast, tenant)}
    assert _option_values(page, "department") == own
    assert _option_values(page, "watchers") == own


@pytest.mark.parametrize("persona,tenant", [("ana", "acme"), ("gabriel", "globex")])
def test_user_department_choices_list_only_own_departments(cast, login, persona, tenant):
    client = login(cast.users[persona])
    own = {str(d.pk) for d in _departments(cast, tenant)}
    add_page = client.get(admin_url(User, "add")).content.decode()
    assert _option_values(add_page, "departments") == own
    change_page = client.get(admin_url(User, "change", cast.users[persona])).content.decode()
    assert _option_values(change_page, "departments") == own


def test_staff_choose_departments_of_every_tenant(cast, login, ticket_permissions):
    page = login(cast.staff).get(admin_url(Ticket, "add")).content.decode()
    assert _option_values(page, "department") == {str(d.pk) for d in cast.departments.values()}


def test_posting_another_tenants_department_is_refused(cast, login, ticket_permissions):
    client = login(cast.ana)
    form = read_form(client.get(admin_url(Ticket, "add")))
    globex_support = cast.departments[("globex", "Support")]
    form.pop("__kinds__")
    response = client.post(
        admin_url(Ticket, "add"),
        {
            **form,
            "title": "Smuggled",
            "department": str(globex_support.pk),
            "watchers": [str(globex_support.pk)],
        },
    )
    assert response.status_code == 200  # the form again, with errors
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"department", "watchers"}
    assert not Ticket.objects.filter(title="Smuggled").exists()


def test_staff_cannot_mix_tenants_in_one_row(cast, login, ticket_permissions):
    """Staff choose the tenant freely, but its relations must belong to that same tenant."""
    client = login(cast.staff)
    form = read_form(client.get(admin_url(Ticket, "add")))
    form.pop("__kinds__")
    response = client.post(
        admin_url(Ticket, "add"),
        {
            **form,
            "title": "Mixed",
            "tenant": str(cast.acme.pk),
            "department": str(cast.departments[("globex", "Support")].pk),
        },
    )
    assert response.status_code == 200
    assert "department" in response.context["adminform"].form.errors
    assert not Ticket.objects.filter(title="Mixed").exists()


def test_staff_cannot_give_a_user_departments_of_another_tenant(cast, login):
    client = login(cast.staff)
    url = admin_url(User, "change", cast.alice)
    form = read_form(client.get(url))
    form.pop("__kinds__")
    globex_support = cast.departments[("globex", "Support")]
    response = client.post(url, {**form, "departments": [str(globex_support.pk)]})
    assert response.status_code == 200
    assert "departments" in response.context["adminform"].form.errors
    assert list(cast.alice.departments.all()) == [cast.departments[("acme", "Sales")]]


@pytest.mark.parametrize("persona,tenant", [("ana", "acme"), ("gabriel", "globex")])
def test_ticket_department_filter_lists_only_own_departments(walk, login, persona, tenant):
    page = login(walk.user(persona)).get(admin_url(Ticket, "changelist")).content.decode()
    for department in Department.objects.all():
        listed = f"department__id__exact={department.pk}" in page
        assert listed == (department.tenant.slug == tenant), department


@pytest.mark.parametrize("persona,tenant", [("ana", "acme"), ("gabriel", "globex")])
def test_user_department_filter_lists_only_own_departments(walk, login, persona, tenant):
    page = login(walk.user(persona)).get(admin_url(User, "changelist")).content.decode()
    for department in Department.objects.all():
        listed = f"departments__id__exact={department.pk}" in page
        assert listed == (department.tenant.slug == tenant), department


def test_staff_filter_by_departments_of_every_tenant(walk, login):
    page = login(walk.user("staff")).get(admin_url(Ticket, "changelist")).content.decode()
    for department in Department.objects.all():
        assert f"department__id__exact={department.pk}" in page


def test_filtering_by_another_tenants_department_shows_nothing(walk, login):
    globex_ticket = walk.row(Ticket, "globex")
    response = login(walk.user("ana")).get(
        admin_url(Ticket, "changelist"), {"department__id__exact": globex_ticket.department_id}
    )
    assert str(globex_ticket.pk) not in response.content.decode()
    assert list(response.context["cl"].result_list) == []
