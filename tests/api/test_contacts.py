import pytest

from contacts import services as contact_services
from contacts.models import Contact, ContactEvent, ContactList, Tag

pytestmark = pytest.mark.django_db

CONTACTS = "/api/v1/contacts/"


@pytest.fixture
def maria(cast):
    return contact_services.create_contact(cast.acme, name="Maria", phone="(11) 98765-4321")


def test_create_normalises_the_phone_and_records_the_source(acme_api, cast):
    response = acme_api.post(
        CONTACTS,
        {"phone": "(11) 98765-4321", "name": "Maria", "tags": ["vip", "VIP "], "state": "SP"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["phone"] == "+5511987654321"
    assert body["tags"] == ["vip"]
    contact = Contact.objects.get(pk=body["id"])
    assert contact.tenant == cast.acme
    assert contact.source == Contact.Source.API
    assert ContactEvent.objects.filter(contact=contact, kind="created").exists()
    assert Tag.objects.get(tenant=cast.acme, name="vip").contact_count == 1


def test_search_by_phone_in_any_format(acme_api, maria):
    for written in ("+55 11 98765-4321", "(11) 98765-4321", "11987654321", "011 8765-4321"):
        for param in ("phone", "search"):
            results = acme_api.get(CONTACTS, {param: written}).json()["results"]
            assert [c["id"] for c in results] == [str(maria.pk)], (param, written)


def test_filters_by_tag_list_and_opt_out(acme_api, cast, maria):
    other = contact_services.create_contact(cast.acme, phone="(11) 91111-2222")
    vip = Tag.objects.create(tenant=cast.acme, name="vip")
    newsletter = ContactList.objects.create(tenant=cast.acme, name="News")
    contact_services.add_tag(cast.acme, Contact.objects.filter(pk=maria.pk), vip)
    contact_services.add_to_list(cast.acme, Contact.objects.filter(pk=other.pk), newsletter)
    contact_services.opt_out(cast.acme, Contact.objects.filter(pk=other.pk))

    def ids(**query):
        return [c["id"] for c in acme_api.get(CONTACTS, query).json()["results"]]

    assert ids(tag=vip.pk) == [str(maria.pk)]
    assert ids(list=newsletter.pk) == [str(other.pk)]
    assert ids(opted_out="true") == [str(other.pk)]
    assert ids(opted_out="false") == [str(maria.pk)]


def test_cursor_pages_cover_every_contact_once(acme_api, cast):
    for n in range(7):
        contact_services.create_contact(cast.acme, phone=f"(11) 98888-00{n:02d}")
    seen, url = [], f"{CONTACTS}?limit=3"
    while url:
        page = acme_api.get(url).json()
        seen += [c["id"] for c in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == 7


def test_update_renormalises_and_sets_tags_and_lists(acme_api, cast, maria):
    newsletter = ContactList.objects.create(tenant=cast.acme, name="News")
    response = acme_api.patch(
        f"{CONTACTS}{maria.pk}/",
        {"phone": "21 3456-7890", "tags": ["a"], "lists": [str(newsletter.pk)]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["phone"] == "+552134567890"
    assert response.json()["tags"] == ["a"]
    assert response.json()["lists"] == [str(newsletter.pk)]
    response = acme_api.patch(f"{CONTACTS}{maria.pk}/", {"tags": []}, format="json")
    assert response.json()["tags"] == []
    assert Tag.objects.get(name="a").contact_count == 0
    assert ContactEvent.objects.filter(contact=maria, kind="updated", detail="phone").exists()


def test_delete_moves_the_counters(acme_api, cast, maria):
    vip = Tag.objects.create(tenant=cast.acme, name="vip")
    contact_services.add_tag(cast.acme, Contact.objects.filter(pk=maria.pk), vip)
    assert acme_api.delete(f"{CONTACTS}{maria.pk}/").status_code == 204
    assert not Contact.objects.filter(pk=maria.pk).exists()
    vip.refresh_from_db()
    assert vip.contact_count == 0


def test_tags_and_lists_add_and_remove_contacts(acme_api, cast, maria):
    tag = acme_api.post("/api/v1/tags/", {"name": "vip"}, format="json").json()
    added = acme_api.post(
        f"/api/v1/tags/{tag['id']}/add/", {"contact_ids": [str(maria.pk)]}, format="json"
    )
    assert added.json() == {"changed": 1}
    assert acme_api.get(f"/api/v1/tags/{tag['id']}/").json()["contact_count"] == 1
    contact_list = acme_api.post("/api/v1/lists/", {"name": "News"}, format="json").json()
    url = f"/api/v1/lists/{contact_list['id']}/"
    acme_api.post(f"{url}add/", {"contact_ids": [str(maria.pk)]}, format="json")
    removed = acme_api.post(f"{url}remove/", {"contact_ids": [str(maria.pk)]}, format="json")
    assert removed.json() == {"changed": 1}
    assert acme_api.get(url).json()["contact_count"] == 0


def test_instances_show_their_connection_state(acme_api, cast):
    from whatsapp.models import WhatsAppInstance

    WhatsAppInstance.objects.create(
        tenant=cast.acme, name="Vendas", evolution_name="acme-v", state="open"
    )
    [instance] = acme_api.get("/api/v1/instances/").json()["results"]
    assert instance["state"] == "open"
    assert instance["connected"] is True
    assert "token" not in instance and "webhook_secret" not in instance
