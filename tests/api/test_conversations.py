import pytest
from django.utils import timezone

from chat.models import Conversation, ConversationEvent, Message
from contacts import services as contact_services
from whatsapp.models import WhatsAppInstance

pytestmark = pytest.mark.django_db
CONVERSATIONS = "/api/v1/conversations/"


@pytest.fixture
def chat(cast):
    """An Acme conversation in Sales with two messages."""
    instance = WhatsAppInstance.objects.create(
        tenant=cast.acme, name="Vendas", evolution_name="acme-vendas", state="open"
    )
    maria = contact_services.create_contact(cast.acme, name="Maria", phone="(11) 98765-4321")
    conversation = Conversation.objects.create(
        tenant=cast.acme,
        instance=instance,
        remote_jid="5511987654321@s.whatsapp.net",
        contact=maria,
        department=cast.departments[("acme", "Sales")],
        status=Conversation.Status.PENDING,
        last_message_at=timezone.now(),
    )
    for n, direction in enumerate(("in", "out")):
        Message.objects.create(
            tenant=cast.acme,
            conversation=conversation,
            direction=direction,
            body=f"m{n}",
            timestamp=timezone.now(),
        )
    return conversation


def test_list_and_retrieve_with_messages(acme_api, chat):
    [listed] = acme_api.get(CONVERSATIONS).json()["results"]
    assert (listed["id"], listed["phone"], listed["department"]) == (
        str(chat.pk),
        "+5511987654321",
        "Sales",
    )
    assert acme_api.get(CONVERSATIONS, {"status": "closed"}).json()["results"] == []
    detail = acme_api.get(f"{CONVERSATIONS}{chat.pk}/").json()
    assert [m["body"] for m in detail["messages"]] == ["m0", "m1"]


def test_assign_and_close_go_through_routing(acme_api, cast, chat):
    response = acme_api.post(
        f"{CONVERSATIONS}{chat.pk}/assign/", {"agent": str(cast.alice.pk)}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["assigned_to"], response.json()["status"]) == (
        cast.alice.email,
        "open",
    )
    closed = acme_api.post(f"{CONVERSATIONS}{chat.pk}/close/")
    assert closed.json()["status"] == "closed"
    kinds = list(ConversationEvent.objects.filter(conversation=chat).values_list("kind", flat=True))
    assert "assigned" in kinds and "closed" in kinds
    # Closing twice: the service's refusal, as a validation error.
    again = acme_api.post(f"{CONVERSATIONS}{chat.pk}/close/")
    assert again.status_code == 400


def test_assign_refuses_an_agent_outside_the_department_or_company(acme_api, cast, chat):
    outsider = acme_api.post(
        f"{CONVERSATIONS}{chat.pk}/assign/", {"agent": str(cast.gabriel.pk)}, format="json"
    )
    assert outsider.status_code == 400
    assert "agent" in outsider.json()["errors"]
    chat.refresh_from_db()
    assert chat.assigned_to is None


def test_globex_cannot_reach_acme_conversations(api, make_key, globex_api, chat, cast):
    globex = api(make_key(tenant=globex_api))
    assert globex.get(CONVERSATIONS).json()["results"] == []
    assert globex.get(f"{CONVERSATIONS}{chat.pk}/").status_code == 404
    assert globex.post(f"{CONVERSATIONS}{chat.pk}/close/").status_code == 404
    response = globex.post(
        f"{CONVERSATIONS}{chat.pk}/assign/", {"agent": str(cast.gabriel.pk)}, format="json"
    )
    assert response.status_code == 404
    chat.refresh_from_db()
    assert chat.status == Conversation.Status.PENDING


def test_scopes(api, make_key, chat):
    reader = api(make_key(key_scopes=["conversations:read"]))
    assert reader.get(CONVERSATIONS).status_code == 200
    assert reader.post(f"{CONVERSATIONS}{chat.pk}/close/").status_code == 403
