"""chat.send tells integrators a message went out or failed (``message.status``), as receipts do."""

import pytest

from api.models import WebhookDelivery, WebhookSubscription
from chat import outbox
from chat.models import Message
from tests.chat.test_sending import chat_with, deliver

pytestmark = pytest.mark.django_db
S = Message.Status


@pytest.fixture
def subscriptions(cast):
    """Acme listens to message.status; Globex too, and must never hear Acme's."""
    for tenant in (cast.acme, cast.globex):
        WebhookSubscription.objects.create(
            tenant=tenant, url="https://hooks.example.com/alrea", events=["message.status"]
        )


def status_events(tenant):
    rows = WebhookDelivery.objects.filter(tenant=tenant, event="message.status")
    return [row.payload["data"] for row in rows.order_by("created_at", "id")]


def test_a_sent_message_is_announced_once(line, cast, subscriptions):
    message = outbox.queue_text(chat_with(line, "+5511987654321"), "Olá, Maria!")
    deliver(message)
    deliver(message, attempt=2)  # a redelivery sends nothing and announces nothing
    assert message.status == S.SENT
    assert status_events(cast.acme) == [
        {
            "id": str(message.pk),
            "conversation_id": str(message.conversation_id),
            "direction": "out",
            "status": "sent",
            "campaign_recipient_id": None,
        }
    ]
    assert status_events(cast.globex) == []


def test_a_refused_message_is_announced_as_failed(line, cast, subscriptions):
    message = outbox.queue_text(chat_with(line, "+5511987650000"), "Olá")  # not on WhatsApp
    deliver(message)
    assert message.status == S.FAILED
    assert [event["status"] for event in status_events(cast.acme)] == ["failed"]


def test_without_a_subscription_nothing_is_stored(line, cast):
    message = outbox.queue_text(chat_with(line, "+5511987654321"), "Olá")
    deliver(message)
    assert message.status == S.SENT
    assert not WebhookDelivery.objects.exists()
