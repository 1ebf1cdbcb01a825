"""chat.send against the Evolution simulator: sent once, refusals settled, retries to the bus."""

import time
import uuid
from datetime import UTC, datetime

import pytest

from bus.errors import Gone
from bus.handlers import DeliveryContext
from bus.payloads import ChatSend
from bus.queues import Queue
from chat import outbox
from chat.models import Conversation, Message
from consumers import chat as chat_consumer
from contacts.models import Contact
from tests.whatsapp.webhooks import payloads as p
from tests.whatsapp.webhooks.conftest import Evolution
from whatsapp import evolution, health

pytestmark = pytest.mark.django_db
S = Message.Status


def chat_with(line, phone: str) -> Conversation:
    contact = Contact.objects.create(tenant=line.tenant, phone=phone, name="Maria")
    return Conversation.objects.create(
        tenant=line.tenant, instance=line, remote_jid=f"{phone[1:]}@s.whatsapp.net", contact=contact
    )


def deliver(message: Message, attempt: int = 1) -> None:
    """What the consumer does with the ChatSend that queue_text published."""
    payload = ChatSend(tenant_id=message.tenant_id, message_id=message.pk)
    context = DeliveryContext(str(uuid.uuid4()), Queue.CHAT_SEND, attempt, datetime.now(UTC))
    chat_consumer.send(payload, context)
    message.refresh_from_db()


def test_a_queued_text_is_sent_once_even_when_delivered_twice(line, simulator):
    message = outbox.queue_text(chat_with(line, "+5511987654321"), "Olá, Maria!")
    assert message.status == S.PENDING

    deliver(message)
    deliver(message, attempt=2)  # a redelivery after a lost acknowledgement

    [sent] = simulator.control.sent(line.evolution_name)
    assert sent["key"]["remoteJid"] == "5511987654321@s.whatsapp.net"
    assert sent["message"]["conversation"] == "Olá, Maria!"
    assert (message.status, message.provider_id, message.error) == (S.SENT, sent["key"]["id"], "")
    assert message.sent_at is not None
    assert health.todays_stats(line).sent == 1


def test_a_number_not_on_whatsapp_fails_for_good(line, simulator):
    message = outbox.queue_text(chat_with(line, "+5511987650000"), "Olá")
    deliver(message)
    assert message.status == S.FAILED and message.failed_at
    assert "not on WhatsApp" in message.error
    assert simulator.control.sent(line.evolution_name) == []


def test_a_disconnected_number_fails_the_message_with_a_clear_error(line, simulator):
    simulator.control.disconnect(line.evolution_name)
    message = outbox.queue_text(chat_with(line, "+5511987654321"), "Olá")
    deliver(message)
    assert message.status == S.FAILED
    assert "disconnected" in message.error


def test_no_answer_in_time_leaves_the_message_to_the_reconciler(line, simulator, settings):
    settings.EVOLUTION_TIMEOUT_SECONDS = 0.3
    simulator.control.configure(latency_ms=1500)
    message = outbox.queue_text(chat_with(line, "+5511987654321"), "Olá")
    deliver(message)
    # It may have gone out: never sent blindly again, nor failed.
    assert (message.status, message.provider_id) == (S.SENDING, "")
    assert "may have been sent" in message.error
    simulator.control.configure(latency_ms=0)
    deliver(message, attempt=2)  # a redelivery does not try again: only the reconciler may
    time.sleep(1.5)  # past the first call's latency (the simulator drops a call given up on)
    assert simulator.control.sent(line.evolution_name) == []
    assert message.status == S.SENDING


def test_a_server_error_gives_the_message_back_for_a_retry(line, simulator):
    simulator.control.configure(error_rate=1.0)
    message = outbox.queue_text(chat_with(line, "+5511987654321"), "Olá")
    with pytest.raises(evolution.ServerError):
        deliver(message)
    message.refresh_from_db()
    assert message.status == S.PENDING

    simulator.control.configure(error_rate=0.0)
    deliver(message, attempt=2)
    assert message.status == S.SENT
    assert len(simulator.control.sent(line.evolution_name)) == 1


def test_a_group_chat_is_sent_to_its_jid(line, simulator):
    group = Conversation.objects.create(
        tenant=line.tenant,
        instance=line,
        remote_jid="120363401234567890@g.us",
        kind=Conversation.Kind.GROUP,
    )
    message = outbox.queue_text(group, "Bom dia, grupo")
    deliver(message)
    [sent] = simulator.control.sent(line.evolution_name)
    assert sent["key"]["remoteJid"] == "120363401234567890@g.us"


def test_a_deleted_message_is_done(line, cast):
    payload = ChatSend(tenant_id=cast.acme.pk, message_id=uuid.uuid4())
    context = DeliveryContext(str(uuid.uuid4()), Queue.CHAT_SEND, 1, datetime.now(UTC))
    with pytest.raises(Gone):
        chat_consumer.send(payload, context)


def test_another_companys_message_is_not_sent(line, cast, simulator):
    message = outbox.queue_text(chat_with(line, "+5511987654321"), "Olá")
    payload = ChatSend(tenant_id=cast.globex.pk, message_id=message.pk)
    context = DeliveryContext(str(uuid.uuid4()), Queue.CHAT_SEND, 1, datetime.now(UTC))
    with pytest.raises(Gone):
        chat_consumer.send(payload, context)
    message.refresh_from_db()
    assert message.status == S.PENDING
    assert simulator.control.sent() == []


def test_an_opt_out_keyword_is_confirmed_once_over_whatsapp(
    line, simulator, django_capture_on_commit_callbacks
):
    webhooks = Evolution()
    with django_capture_on_commit_callbacks() as callbacks:
        for text in ("SAIR", "sair!"):
            webhooks.send(line, p.text(line.evolution_name, text, timestamp=int(time.time())))
    published = [cb.args[0].payload for cb in callbacks if getattr(cb, "args", None)]
    sends = [payload for payload in published if isinstance(payload, ChatSend)]
    context = DeliveryContext(str(uuid.uuid4()), Queue.CHAT_SEND, 1, datetime.now(UTC))
    for payload in sends:
        chat_consumer.send(payload, context)

    [sent] = simulator.control.sent(line.evolution_name)
    assert sent["key"]["remoteJid"] == p.CUSTOMER
    assert sent["message"]["conversation"] == line.tenant.opt_out_reply
    assert Contact.objects.get(phone="+5511987654321").opted_out
