"""Departments saved through the admin belong to the saver's tenant, and their names are unique
per tenant: a duplicate is a form error, the same name in another tenant is fine."""

from html import unescape

from accounts.models import Department
from tests.admin.walk import admin_url, form_data, read_form

DUPLICATE = "This company already has a department with this name."


def _add(client, **fields):
    form = read_form(client.get(admin_url(Department, "add")))
    return client.post(admin_url(Department, "add"), form_data(form, **fields))


def test_department_saved_by_tenant_admin_belongs_to_their_tenant(cast, login):
    response = _add(login(cast.ana), name="Marketing", colour="#112233")
    assert response.status_code == 302
    assert Department.objects.get(name="Marketing").tenant == cast.acme


def test_posted_tenant_is_ignored_for_tenant_admin(cast, login):
    response = _add(login(cast.ana), name="Smuggled", colour="#112233", tenant=cast.globex.pk)
    assert response.status_code == 302
    assert Department.objects.get(name="Smuggled").tenant == cast.acme


def test_duplicate_department_name_in_same_tenant_is_a_form_error(cast, login):
    response = _add(login(cast.ana), name="Sales", colour="#112233")
    assert response.status_code == 200
    assert DUPLICATE in unescape(response.content.decode())
    assert Department.objects.filter(tenant=cast.acme, name="Sales").count() == 1


def test_renaming_onto_an_existing_name_is_a_form_error(cast, login):
    client = login(cast.ana)
    support = cast.departments[("acme", "Support")]
    url = admin_url(Department, "change", support)
    response = client.post(url, form_data(read_form(client.get(url)), name="Sales"))
    assert response.status_code == 200
    assert DUPLICATE in unescape(response.content.decode())
    support.refresh_from_db()
    assert support.name == "Support"


def test_same_department_name_in_another_tenant_is_fine(cast, login):
    response = _add(login(cast.gabriel), name="Sales", colour="#112233")
    assert response.status_code == 302
    assert Department.objects.filter(name="Sales").count() == 2
    assert Department.objects.get(tenant=cast.globex, name="Sales")


def test_staff_get_the_same_form_error_for_a_chosen_tenant(cast, login):
    response = _add(login(cast.staff), name="Sales", colour="#112233", tenant=cast.acme.pk)
    assert response.status_code == 200
    assert DUPLICATE in unescape(response.content.decode())
