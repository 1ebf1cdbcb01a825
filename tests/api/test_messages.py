"""POST /api/v1/messages/ queues a text on chat.send; the consumer sends it through Evolution."""

import uuid
from datetime import UTC, datetime

import pytest

from bus.handlers import DeliveryContext
from bus.payloads import ChatSend
from bus.queues import Queue
from chat.models import Conversation, Message
from consumers import chat as chat_consumer
from contacts.models import Contact
from whatsapp import services as instance_services
from whatsapp.models import WhatsAppInstance

pytestmark = pytest.mark.django_db
MESSAGES = "/api/v1/messages/"


@pytest.fixture
def line(cast, settings, evolution_simulator, webhook_capture):
    """Acme's number on the Evolution simulator, connected."""
    settings.EVOLUTION_API_URL = evolution_simulator.url
    settings.EVOLUTION_API_KEY = evolution_simulator.api_key
    settings.PUBLIC_URL = webhook_capture.url.rstrip("/")
    instance = instance_services.create_instance(cast.acme, "Acme Vendas")
    evolution_simulator.control.scan(instance.evolution_name, number="5511900001111")
    WhatsAppInstance.objects.filter(pk=instance.pk).update(state="open")
    instance.refresh_from_db()
    return instance


def deliver(message_id, tenant_id):
    """What the chat.send consumer does with the message the API queued."""
    payload = ChatSend(tenant_id=tenant_id, message_id=uuid.UUID(message_id))
    context = DeliveryContext(str(uuid.uuid4()), Queue.CHAT_SEND, 1, datetime.now(UTC))
    chat_consumer.send(payload, context)


def test_send_to_a_phone_is_queued_then_sent(acme_api, cast, line, evolution_simulator):
    response = acme_api.post(
        MESSAGES, {"to": "(11) 98765-4321", "text": "Seu pedido saiu."}, format="json"
    )
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["status"] == "pending"
    conversation = Conversation.objects.get(pk=body["conversation"])
    assert (conversation.instance, conversation.remote_jid) == (
        line,
        "5511987654321@s.whatsapp.net",
    )
    assert Contact.objects.get(tenant=cast.acme).phone == "+5511987654321"

    deliver(body["id"], cast.acme.pk)
    [sent] = evolution_simulator.control.sent(line.evolution_name)
    assert sent["message"]["conversation"] == "Seu pedido saiu."
    status = acme_api.get(f"{MESSAGES}{body['id']}/").json()
    assert status["status"] == "sent"
    assert status["provider_id"] == sent["key"]["id"]


def test_send_in_an_existing_conversation_reuses_it(acme_api, line):
    first = acme_api.post(MESSAGES, {"to": "11987654321", "text": "1"}, format="json").json()
    second = acme_api.post(
        MESSAGES, {"conversation": first["conversation"], "text": "2"}, format="json"
    ).json()
    assert second["conversation"] == first["conversation"]
    assert Conversation.objects.count() == 1
    assert Message.objects.count() == 2


def test_a_retry_with_the_idempotency_key_queues_once(acme_api, line):
    for _ in range(2):
        acme_api.post(
            MESSAGES,
            {"to": "11987654321", "text": "Olá"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="notice-1",
        )
    assert Message.objects.count() == 1


def test_bad_requests_are_refused(acme_api, cast, line):
    cases = [
        ({"text": "x"}, "non_field_errors"),
        ({"to": "11987654321", "conversation": str(uuid.uuid4()), "text": "x"}, "conversation"),
        ({"to": "123", "text": "x"}, "to"),
        ({"to": "11987654321", "text": "   "}, "text"),
    ]
    for body, field in cases:
        response = acme_api.post(MESSAGES, body, format="json")
        assert response.status_code == 400, body
        assert field in response.json()["errors"], (body, response.json())
    assert not Message.objects.exists()


def test_no_number_to_send_from(acme_api):
    response = acme_api.post(MESSAGES, {"to": "11987654321", "text": "x"}, format="json")
    assert response.status_code == 400
    assert "instance" in response.json()["errors"]


def test_globex_cannot_send_through_or_into_acme(api, make_key, globex_api, acme_api, line):
    acme_message = acme_api.post(MESSAGES, {"to": "11987654321", "text": "1"}, format="json")
    conversation = acme_message.json()["conversation"]
    globex = api(make_key(tenant=globex_api))
    for body, field in (
        ({"conversation": conversation, "text": "x"}, "conversation"),
        ({"to": "11987654321", "instance": str(line.pk), "text": "x"}, "instance"),
    ):
        response = globex.post(MESSAGES, body, format="json")
        assert response.status_code == 400
        assert field in response.json()["errors"]
    assert globex.get(f"{MESSAGES}{acme_message.json()['id']}/").status_code == 404
    assert Message.objects.count() == 1


def test_sending_needs_messages_write(api, make_key, line):
    client = api(make_key(key_scopes=["messages:read"]))
    response = client.post(MESSAGES, {"to": "11987654321", "text": "x"}, format="json")
    assert response.status_code == 403
