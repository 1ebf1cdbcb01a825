"""Opening a conversation: the unread count goes to zero and the customer's messages are marked
read on WhatsApp (markMessageAsRead, after the commit, in batches), against the simulator."""

import pytest
from django.urls import reverse

from chat import reading
from chat.models import Conversation, Message
from tests.chat.conftest import make_message

pytestmark = pytest.mark.django_db


def customer_chat(cast, line, simulator, texts):
    """Messages the simulator's customer sent, stored as the webhook would have."""
    sent = [
        simulator.control.inbound(line.evolution_name, number="5511987654321", text=text)
        for text in texts
    ]
    conversation = Conversation.objects.create(
        tenant=cast.acme,
        instance=line,
        remote_jid=sent[0]["key"]["remoteJid"],
        department=cast.departments[("acme", "Sales")],
        unread_count=len(sent),
    )
    for minutes, message in enumerate(reversed(sent)):
        make_message(
            conversation,
            minutes,
            body="x",
            provider_id=message["key"]["id"],
            status=Message.Status.DELIVERED,
        )
    return conversation


def test_opening_marks_the_customers_messages_read_on_whatsapp(
    client, cast, line, simulator, webhook_capture, django_capture_on_commit_callbacks
):
    conversation = customer_chat(cast, line, simulator, ["Oi", "Tudo bem?"])
    webhook_capture.clear()
    client.force_login(cast.alice)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(reverse("chat:read", args=[conversation.pk]))
    assert answer.json() == {"marked": 2}
    conversation.refresh_from_db()
    assert conversation.unread_count == 0
    assert set(conversation.messages.values_list("status", flat=True)) == {Message.Status.READ}
    # The simulator reports each read key back, as WhatsApp does.
    updates = webhook_capture.wait_for_event("messages.update", count=2)
    assert {u.body["data"]["status"] for u in updates} == {"READ"}
    assert {u.body["data"]["keyId"] for u in updates} == set(
        conversation.messages.values_list("provider_id", flat=True)
    )


def test_opening_again_marks_nothing_twice(
    client, cast, line, simulator, django_capture_on_commit_callbacks
):
    conversation = customer_chat(cast, line, simulator, ["Oi"])
    with django_capture_on_commit_callbacks(execute=True) as first:
        assert reading.open_conversation(conversation) == 1
    with django_capture_on_commit_callbacks(execute=True) as second:
        assert reading.open_conversation(conversation) == 0
    assert first and not second  # no receipt task, no live push the second time


def test_receipts_leave_in_batches(cast, line, simulator, django_capture_on_commit_callbacks):
    conversation = customer_chat(cast, line, simulator, [f"m{n}" for n in range(3)])
    reading_batch, reading.BATCH = reading.BATCH, 2
    try:
        with django_capture_on_commit_callbacks() as callbacks:
            reading.open_conversation(conversation)
    finally:
        reading.BATCH = reading_batch
    receipts = [
        c for c in callbacks if "batch" in getattr(getattr(c, "__code__", None), "co_varnames", ())
    ]
    assert len(receipts) == 2


def test_a_disconnected_number_loses_the_receipt_not_the_page(
    client, cast, line, simulator, django_capture_on_commit_callbacks
):
    conversation = customer_chat(cast, line, simulator, ["Oi"])
    simulator.control.disconnect(line.evolution_name)
    client.force_login(cast.alice)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(reverse("chat:read", args=[conversation.pk]))
    assert answer.status_code == 200
    conversation.refresh_from_db()
    assert conversation.unread_count == 0


def test_globex_cannot_read_acmes_conversation(client, cast, line, simulator):
    conversation = customer_chat(cast, line, simulator, ["Oi"])
    client.force_login(cast.gabriel)
    assert client.post(reverse("chat:read", args=[conversation.pk])).status_code == 404
    conversation.refresh_from_db()
    assert conversation.unread_count == 1
