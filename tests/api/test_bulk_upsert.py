from collections import Counter

import pytest

from api.models import WebhookDelivery, WebhookSubscription
from contacts import services as contact_services
from contacts.models import Contact, ContactList, Tag

pytestmark = pytest.mark.django_db

BULK = "/api/v1/contacts/bulk/"


def upsert(client, contacts, **options):
    return client.post(BULK, {"contacts": contacts, **options}, format="json")


def test_per_item_results_in_request_order(acme_api, cast, english):
    existing = contact_services.create_contact(cast.acme, name="Old", phone="(11) 91111-1111")
    same = contact_services.create_contact(cast.acme, name="Same", phone="(11) 92222-2222")
    response = upsert(
        acme_api,
        [
            {"phone": "(11) 98765-4321", "name": "Maria", "birth_date": "17/05/1990"},
            {"phone": "+55 11 91111-1111", "name": "New name"},
            {"phone": "123", "name": "Bad phone"},
            {"phone": "11922222222", "name": "Same"},
            {"phone": "21 3456 7890", "email": "nope"},
            {"phone": "021 3456-7890", "email": "joao@example.com", "state": "rio de janeiro"},
        ],
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200, response.json()
    results = response.json()["results"]
    assert [r["index"] for r in results] == list(range(6))
    assert [r["status"] for r in results] == [
        "created",
        "updated",
        "invalid",
        "unchanged",
        "invalid",
        "created",
    ]
    assert results[1]["id"] == str(existing.pk)
    assert results[3]["id"] == str(same.pk)
    assert "phone" in results[2]["reason"].lower() and results[2]["id"] is None
    assert "e-mail" in results[4]["reason"]
    maria = Contact.objects.get(pk=results[0]["id"])
    assert (maria.phone, str(maria.birth_date), maria.source) == (
        "+5511987654321",
        "1990-05-17",
        Contact.Source.API,
    )
    joao = Contact.objects.get(pk=results[5]["id"])
    assert (joao.phone, joao.state) == ("+552134567890", "RJ")
    assert response.json()["counts"] == {
        "created": 2,
        "updated": 1,
        "unchanged": 1,
        "skipped": 0,
        "invalid": 2,
        "duplicate": 0,
    }


def test_the_last_item_of_a_phone_wins_like_in_a_spreadsheet(acme_api):
    results = upsert(
        acme_api, [{"phone": "11987654321", "name": "A"}, {"phone": "(11) 98765-4321", "name": "B"}]
    ).json()["results"]
    assert [r["status"] for r in results] == ["duplicate", "created"]
    assert Contact.objects.get().name == "B"


def test_tags_lists_custom_fields_and_options(acme_api, cast):
    newsletter = ContactList.objects.create(tenant=cast.acme, name="News")
    response = upsert(
        acme_api,
        [
            {"phone": "11987654321", "tags": ["vip", "VIP"], "custom_fields": {"plano": "ouro"}},
            {"phone": "11911112222"},
        ],
        tags=["erp"],
        list=str(newsletter.pk),
    )
    assert response.status_code == 200, response.json()
    maria = Contact.objects.get(phone="+5511987654321")
    assert sorted(maria.tags.values_list("name", flat=True)) == ["erp", "vip"]
    assert maria.custom_fields == {"plano": "ouro"}
    newsletter.refresh_from_db()
    assert newsletter.contact_count == 2
    assert Tag.objects.get(tenant=cast.acme, name="erp").contact_count == 2


def test_update_existing_false_skips_known_phones(acme_api, cast):
    contact_services.create_contact(cast.acme, name="Old", phone="(11) 98765-4321")
    results = upsert(
        acme_api, [{"phone": "11987654321", "name": "New"}], update_existing=False
    ).json()["results"]
    assert results[0]["status"] == "skipped"
    assert Contact.objects.get().name == "Old"


def test_structural_errors_refuse_the_whole_request(acme_api):
    response = upsert(
        acme_api, [{"phone": "11987654321"}, {"phone": "11911112222", "colour": "red"}, "x"]
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "colour" in errors["contacts[1]"][0]
    assert any(key.startswith("contacts[2]") for key in errors)
    assert not Contact.objects.exists()


def test_at_most_1000_items(acme_api):
    response = upsert(acme_api, [{"phone": f"1198{n:07d}"} for n in range(1001)])
    assert response.status_code == 400
    assert "contacts" in response.json()["errors"]
    assert not Contact.objects.exists()
    assert upsert(acme_api, []).status_code == 400


def test_1000_items_in_one_request(acme_api):
    response = upsert(acme_api, [{"phone": f"1198{n:07d}", "name": f"C{n}"} for n in range(1000)])
    assert response.status_code == 200
    assert response.json()["counts"]["created"] == 1000
    assert len(response.json()["results"]) == 1000
    assert Contact.objects.count() == 1000


def test_plan_limit_refuses_the_batch_before_writing(acme_api, cast):
    cast.acme.plan.max_contacts = 1
    cast.acme.plan.save()
    response = upsert(acme_api, [{"phone": "11987654321"}, {"phone": "11911112222"}])
    assert response.status_code == 403
    assert response.json()["code"] == "plan_limit"
    assert not Contact.objects.exists()


def test_each_written_contact_is_announced_to_webhooks(acme_api, cast, globex_api):
    """One contact.created / contact.updated per contact and subscription, as single saves."""
    for url in ("https://erp.example.com/hooks", "https://crm.example.com/hooks"):
        WebhookSubscription.objects.create(
            tenant=cast.acme, url=url, events=["contact.created", "contact.updated"]
        )
    WebhookSubscription.objects.create(
        tenant=globex_api, url="https://globex.example.com/hooks", events=["contact.created"]
    )
    contact_services.create_contact(cast.acme, name="Old", phone="(11) 91111-1111")
    contact_services.create_contact(cast.acme, name="Same", phone="(11) 92222-2222")
    WebhookDelivery.objects.all().delete()  # the single saves' own events
    response = upsert(
        acme_api,
        [
            {"phone": "(11) 98765-4321", "name": "Maria"},
            {"phone": "(11) 98765-4322", "name": "João"},
            {"phone": "(11) 91111-1111", "name": "New name"},
            {"phone": "(11) 92222-2222", "name": "Same"},
            {"phone": "123"},
        ],
    )
    assert response.status_code == 200, response.json()
    deliveries = WebhookDelivery.objects.filter(tenant=cast.acme)
    announced = Counter((d.event, d.payload["data"]["phone"]) for d in deliveries)
    assert announced == {
        ("contact.created", "+5511987654321"): 2,
        ("contact.created", "+5511987654322"): 2,
        ("contact.updated", "+5511911111111"): 2,
    }
    updated = deliveries.filter(event="contact.updated").first().payload["data"]
    assert updated["name"] == "New name"
    # One event id per contact, the same for both subscriptions (receivers dedupe on it).
    assert len({d.payload["id"] for d in deliveries}) == 3
    assert not WebhookDelivery.objects.filter(tenant=globex_api).exists()
