"""Each wired event records exactly one delivery, with its object, where the change happens."""

import pytest

from api.models import WebhookDelivery
from campaigns import services as campaign_services
from campaigns.models import Campaign, CampaignMessage
from chat import routing
from chat.models import Conversation, Message
from contacts import services as contact_services
from contacts.models import Contact
from tests.api import conftest as api_fixtures
from tests.whatsapp.webhooks import conftest as evolution_webhooks
from tests.whatsapp.webhooks import payloads as p
from whatsapp import services as instance_services

pytestmark = pytest.mark.django_db
# Fixtures of the API tests (a key of Acme's) and of the Evolution webhook tests.
acme_api, api, make_key = api_fixtures.acme_api, api_fixtures.api, api_fixtures.make_key
evolution, acme_instance = evolution_webhooks.evolution, evolution_webhooks.acme_instance
EVERY_EVENT = [
    "message.received",
    "message.status",
    "conversation.assigned",
    "conversation.closed",
    "contact.created",
    "contact.updated",
    "contact.opted_out",
    "campaign.started",
    "campaign.finished",
    "instance.connection",
]


@pytest.fixture(autouse=True)
def everything(subscribe):
    return subscribe(*EVERY_EVENT)


def emitted() -> list[tuple[str, dict]]:
    return [(d.event, d.payload["data"]) for d in WebhookDelivery.objects.order_by("created_at")]


def events() -> list[str]:
    return [event for event, _data in emitted()]


def test_a_contact_created_through_the_api_emits_contact_created(acme_api):
    created = acme_api.post(
        "/api/v1/contacts/", {"phone": "11 98765-4321", "name": "Maria"}, format="json"
    )
    assert created.status_code == 201, created.content
    [(event, data)] = emitted()
    assert event == "contact.created"
    assert (data["id"], data["phone"], data["name"]) == (
        created.json()["id"],
        "+5511987654321",
        "Maria",
    )


def test_a_contact_changed_through_the_api_emits_contact_updated(acme_api, cast):
    contact = Contact.objects.create(tenant=cast.acme, phone="+5511987654321", name="Maria")
    changed = acme_api.patch(
        f"/api/v1/contacts/{contact.pk}/", {"name": "Maria Silva"}, format="json"
    )
    assert changed.status_code == 200, changed.content
    assert emitted() == [("contact.updated", emitted()[0][1])]
    assert emitted()[0][1]["name"] == "Maria Silva"
    acme_api.patch(
        f"/api/v1/contacts/{contact.pk}/", {"name": "Maria Silva"}, format="json"
    )  # no change
    assert events() == ["contact.updated"]


def test_the_admin_contact_form_emits_created_then_updated(login, cast):
    client = login(cast.ana)
    form = {"phone": "(11) 98765-4321", "name": "Maria", "country": "BR", "custom_fields": "{}"}
    formsets = {
        f"{prefix}-{name}": value
        for prefix in ("contacttag_set", "listmembership_set")
        for name, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))
    }
    added = client.post("/admin/contacts/contact/add/", {**form, **formsets})
    assert added.status_code == 302, added.context and added.context["errors"]
    contact = Contact.objects.get()
    client.post(
        f"/admin/contacts/contact/{contact.pk}/change/", {**form, **formsets, "name": "Maria S."}
    )
    assert [(event, data["name"]) for event, data in emitted()] == [
        ("contact.created", "Maria"),
        ("contact.updated", "Maria S."),
    ]
    assert [e.kind for e in contact.events.order_by("created_at")] == ["created", "updated"]


def test_opting_out_emits_once_per_contact_that_changed(cast):
    maria = Contact.objects.create(tenant=cast.acme, phone="+5511987654321")
    joao = Contact.objects.create(tenant=cast.acme, phone="+5511987650002", opted_out=True)
    contact_services.opt_out(cast.acme, Contact.objects.filter(pk__in=[maria.pk, joao.pk]))
    [(event, data)] = emitted()
    assert (event, data["id"], data["opted_out"]) == ("contact.opted_out", str(maria.pk), True)


def test_a_customer_message_emits_message_received(evolution, acme_instance):
    evolution.send(acme_instance, p.text("acme-main", "oi, tudo bem?"))
    message = Message.objects.get()
    [(event, data)] = emitted()
    assert (event, data["id"], data["body"], data["from"]) == (
        "message.received",
        str(message.pk),
        "oi, tudo bem?",
        "5511987654321",
    )


def test_our_own_message_is_not_received_but_its_receipts_are_statuses(evolution, acme_instance):
    body = p.text("acme-main", "Seu pedido saiu", from_me=True, push_name="")
    evolution.send(acme_instance, body)
    assert events() == []
    key_id = body["data"]["key"]["id"]
    evolution.send(acme_instance, p.status("acme-main", key_id, "DELIVERY_ACK"))
    evolution.send(acme_instance, p.status("acme-main", key_id, "DELIVERY_ACK"))  # again
    evolution.send(acme_instance, p.status("acme-main", key_id, "READ"))
    assert [(e, d["status"]) for e, d in emitted()] == [
        ("message.status", "delivered"),
        ("message.status", "read"),
    ]


def test_assigning_and_closing_a_conversation(evolution, acme_instance, cast):
    evolution.send(acme_instance, p.text("acme-main", "oi"))
    WebhookDelivery.objects.all().delete()
    conversation = routing.claim(Conversation.objects.get(), by=cast.ana)
    routing.close(conversation, by=cast.ana)
    assigned, closed = emitted()
    assert assigned[0] == "conversation.assigned"
    assert assigned[1]["assigned_to"]["email"] == cast.ana.email
    assert (closed[0], closed[1]["status"]) == ("conversation.closed", "closed")


def test_assigning_and_transferring_to_a_person_emit_assigned(evolution, acme_instance, cast):
    sales = cast.departments[("acme", "Sales")]
    acme_instance.default_department = sales
    acme_instance.save()
    evolution.send(acme_instance, p.text("acme-main", "oi"))
    WebhookDelivery.objects.all().delete()
    conversation = routing.assign(Conversation.objects.get(), cast.alice, by=cast.marcos)
    routing.transfer(conversation, agent=cast.marcos, by=cast.marcos)
    routing.transfer(conversation, department=cast.departments[("acme", "Support")], by=cast.ana)
    assert [(e, d["assigned_to"]["email"]) for e, d in emitted()] == [
        ("conversation.assigned", cast.alice.email),
        ("conversation.assigned", cast.marcos.email),
    ]  # the move to Support's queue, to nobody, is no assignment


def test_a_campaign_starting_and_finishing(cast, acme_instance):
    campaign = Campaign.objects.create(tenant=cast.acme, name="Black Friday", created_by=cast.ana)
    CampaignMessage.objects.create(tenant=cast.acme, campaign=campaign, body="Oi!")
    campaign.instances.add(acme_instance)
    campaign_services.start(campaign, by=cast.ana)
    assert campaign_services.complete_if_done(campaign.pk)  # no recipient: done at once
    started, finished = emitted()
    assert (started[0], started[1]["status"]) == ("campaign.started", "running")
    assert (finished[0], finished[1]["status"]) == ("campaign.finished", "completed")
    assert finished[1]["finished_at"]


def test_an_instance_connection_change_emits_once(acme_instance):
    instance_services.record_state(acme_instance, "close", 401)
    instance_services.record_state(acme_instance, "close", 401)  # the same state again
    [(event, data)] = emitted()
    assert (event, data["state"], data["previous_state"]) == (
        "instance.connection",
        "close",
        "open",
    )
