"""A Globex key never reads or writes Acme: not by id, not through filters, not by nested ids."""

import pytest

from contacts import services as contact_services
from contacts.models import Contact, ContactList, Tag
from whatsapp.models import WhatsAppInstance

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme_rows(cast):
    maria = contact_services.create_contact(cast.acme, name="Maria", phone="(11) 98765-4321")
    vip = Tag.objects.create(tenant=cast.acme, name="vip")
    newsletter = ContactList.objects.create(tenant=cast.acme, name="Newsletter")
    contact_services.add_tag(cast.acme, Contact.objects.filter(pk=maria.pk), vip)
    contact_services.add_to_list(cast.acme, Contact.objects.filter(pk=maria.pk), newsletter)
    instance = WhatsAppInstance.objects.create(
        tenant=cast.acme, name="Vendas", evolution_name="acme-vendas"
    )
    return {"contact": maria, "tag": vip, "list": newsletter, "instance": instance}


@pytest.fixture
def globex(api, make_key, globex_api):
    return api(make_key(tenant=globex_api))


@pytest.mark.parametrize(
    "path",
    ["contacts/{contact}/", "tags/{tag}/", "lists/{list}/", "instances/{instance}/"],
)
def test_another_tenants_ids_answer_404(globex, acme_rows, path):
    url = "/api/v1/" + path.format(**{k: v.pk for k, v in acme_rows.items()})
    assert globex.get(url).status_code == 404
    assert globex.patch(url, {"name": "taken"}, format="json").status_code in (404, 405)
    assert globex.delete(url).status_code in (404, 405)
    assert Contact.objects.filter(name="taken").count() == 0
    assert Tag.objects.filter(name="taken").count() == 0


def test_lists_and_filters_show_only_own_rows(globex, acme_rows):
    for path in ("contacts/", "tags/", "lists/", "instances/"):
        assert globex.get(f"/api/v1/{path}").json()["results"] == []
    for query in ("phone=11987654321", "search=Maria", "search=+5511987654321"):
        assert globex.get(f"/api/v1/contacts/?{query}").json()["results"] == []


def test_filtering_by_another_tenants_tag_or_list_is_an_error(globex, acme_rows):
    for name in ("tag", "list"):
        response = globex.get(f"/api/v1/contacts/?{name}={acme_rows[name].pk}")
        assert response.status_code == 400
        assert name in response.json()["errors"]


def test_nested_ids_of_another_tenant_are_refused(globex, acme_rows, cast):
    own = contact_services.create_contact(cast.globex, name="G", phone="(21) 99876-5432")
    # Acme's contact added to a Globex tag: nothing happens to Acme's contact.
    tag = globex.post("/api/v1/tags/", {"name": "g"}, format="json").json()
    response = globex.post(
        f"/api/v1/tags/{tag['id']}/add/",
        {"contact_ids": [str(acme_rows["contact"].pk), str(own.pk)]},
        format="json",
    )
    assert response.json() == {"changed": 1}
    assert not acme_rows["contact"].tags.filter(name="g").exists()
    # Acme's list on a Globex contact.
    response = globex.patch(
        f"/api/v1/contacts/{own.pk}/", {"lists": [str(acme_rows["list"].pk)]}, format="json"
    )
    assert response.status_code == 400
    assert "lists[0]" in response.json()["errors"]
    # Acme's list as the target of a Globex bulk upsert.
    response = globex.post(
        "/api/v1/contacts/bulk/",
        {"contacts": [{"phone": "21999990000"}], "list": str(acme_rows["list"].pk)},
        format="json",
    )
    assert response.status_code == 400
    assert "list" in response.json()["errors"]
    assert acme_rows["list"].contact_set.count() == 1


def test_same_phone_in_two_tenants_are_two_contacts(globex, acme_rows):
    response = globex.post("/api/v1/contacts/", {"phone": "+55 11 98765-4321"}, format="json")
    assert response.status_code == 201
    assert Contact.objects.filter(phone="+5511987654321").count() == 2
    bulk = globex.post(
        "/api/v1/contacts/bulk/",
        {"contacts": [{"phone": "11987654321", "name": "Globex's Maria"}]},
        format="json",
    )
    assert bulk.json()["results"][0]["status"] == "updated"
    acme_rows["contact"].refresh_from_db()
    assert acme_rows["contact"].name == "Maria"
