import threading
import uuid

import pytest
from django.db import transaction

from bus.payloads import ChatSend
from bus.publish import publish, publish_now
from bus.queues import Queue
from tests.bus.recorder import Recorder

pytestmark = pytest.mark.django_db(transaction=True)


def chat_send():
    return ChatSend(tenant_id=str(uuid.uuid4()), message_id=str(uuid.uuid4()))


def test_a_message_published_in_a_transaction_is_sent_only_after_commit(inprocess_bus, register):
    handler = register(Queue.CHAT_SEND, Recorder())

    with transaction.atomic():
        message_id = publish(chat_send())
        assert inprocess_bus.drain(5)
        assert handler.calls == []

    assert inprocess_bus.drain(5)
    assert [call.context.message_id for call in handler.calls] == [message_id]


def test_a_message_published_in_a_rolled_back_transaction_is_never_sent(inprocess_bus, register):
    handler = register(Queue.CHAT_SEND, Recorder())

    with pytest.raises(RuntimeError), transaction.atomic():
        publish(chat_send())
        raise RuntimeError("roll back")

    assert inprocess_bus.drain(5)
    assert handler.calls == []


def test_a_rolled_back_savepoint_drops_only_its_own_messages(inprocess_bus, register):
    handler = register(Queue.CHAT_SEND, Recorder())

    with transaction.atomic():
        kept = publish(chat_send())
        with pytest.raises(RuntimeError), transaction.atomic():
            publish(chat_send())
            raise RuntimeError("roll back the savepoint")

    assert inprocess_bus.drain(5)
    assert [call.context.message_id for call in handler.calls] == [kept]


def test_outside_a_transaction_publish_sends_at_once(inprocess_bus, register):
    handler = register(Queue.CHAT_SEND, Recorder())

    message_id = publish(chat_send())

    assert handler.wait_for_calls(1, timeout=5)
    assert handler.calls[0].context.message_id == message_id


def test_publish_now_does_not_wait_for_the_commit(inprocess_bus, register):
    handler = register(Queue.CHAT_SEND, Recorder())

    with transaction.atomic():
        message_id = publish_now(chat_send())
        assert handler.wait_for_calls(1, timeout=5)

    assert [call.context.message_id for call in handler.calls] == [message_id]


def test_handlers_run_off_the_publishing_thread(inprocess_bus, register):
    handler = register(Queue.CHAT_SEND, Recorder())

    publish(chat_send())

    assert handler.wait_for_calls(1, timeout=5)
    assert handler.calls[0].thread != threading.current_thread().name


def test_publish_refuses_what_is_not_a_payload(inprocess_bus):
    with pytest.raises(TypeError, match="expected a bus payload"):
        publish({"tenant_id": str(uuid.uuid4())})
