import logging
import threading
import uuid

import pytest
from django.db import transaction

from bus.errors import BusUnavailable
from bus.payloads import ChatSend, MediaDownload
from bus.publish import publish, publish_now
from bus.queues import Queue
from tenancy.limits import TenantSuspendedError
from tenancy.models import Tenant
from tenancy.services import suspend
from tests.bus import broker
from tests.bus.marks import committed_db
from tests.bus.recorder import Recorder

pytestmark = committed_db


def test_a_message_published_in_a_transaction_is_sent_only_after_commit(
    inprocess_bus, register, chat_send
):
    handler = register(Queue.CHAT_SEND, Recorder())

    with transaction.atomic():
        message_id = publish(chat_send())
        assert inprocess_bus.drain(5)
        assert handler.calls == []

    assert inprocess_bus.drain(5)
    assert [call.context.message_id for call in handler.calls] == [message_id]


def test_a_message_published_in_a_rolled_back_transaction_is_never_sent(
    inprocess_bus, register, chat_send
):
    handler = register(Queue.CHAT_SEND, Recorder())

    with pytest.raises(RuntimeError), transaction.atomic():
        publish(chat_send())
        raise RuntimeError("roll back")

    assert inprocess_bus.drain(5)
    assert handler.calls == []


def test_a_rolled_back_savepoint_drops_only_its_own_messages(inprocess_bus, register, chat_send):
    handler = register(Queue.CHAT_SEND, Recorder())

    with transaction.atomic():
        kept = publish(chat_send())
        with pytest.raises(RuntimeError), transaction.atomic():
            publish(chat_send())
            raise RuntimeError("roll back the savepoint")

    assert inprocess_bus.drain(5)
    assert [call.context.message_id for call in handler.calls] == [kept]


def test_outside_a_transaction_publish_sends_at_once(inprocess_bus, register, chat_send):
    handler = register(Queue.CHAT_SEND, Recorder())

    message_id = publish(chat_send())

    assert handler.wait_for_calls(1, timeout=5)
    assert handler.calls[0].context.message_id == message_id


def test_publish_now_does_not_wait_for_the_commit(inprocess_bus, register, chat_send):
    handler = register(Queue.CHAT_SEND, Recorder())

    with transaction.atomic():
        message_id = publish_now(chat_send())
        assert handler.wait_for_calls(1, timeout=5)

    assert [call.context.message_id for call in handler.calls] == [message_id]


def test_handlers_run_off_the_publishing_thread(inprocess_bus, register, chat_send):
    handler = register(Queue.CHAT_SEND, Recorder())

    publish(chat_send())

    assert handler.wait_for_calls(1, timeout=5)
    assert handler.calls[0].thread != threading.current_thread().name


def test_publish_refuses_what_is_not_a_payload(inprocess_bus):
    with pytest.raises(TypeError, match="expected a bus payload"):
        publish({"tenant_id": str(uuid.uuid4())})


def test_a_send_that_fails_after_commit_is_logged_and_the_later_messages_are_still_sent(
    rabbitmq, cast, chat_send, caplog
):
    publish_now(chat_send())  # the publisher declares the chat.send queues
    broker.refuse_messages(Queue.CHAT_SEND)
    media = MediaDownload(tenant_id=cast.acme.pk, message_id=uuid.uuid4())
    later_hooks = []

    with caplog.at_level(logging.ERROR, logger="bus.publish"), transaction.atomic():
        refused = publish(chat_send())
        sent = publish(media)
        transaction.on_commit(lambda: later_hooks.append("ran"))

    assert broker.get(broker.names(Queue.MEDIA_DOWNLOAD).main).message_id == sent
    assert later_hooks == ["ran"]
    [record] = [record for record in caplog.records if record.name == "bus.publish"]
    assert record.levelno == logging.ERROR
    assert (record.message_id, record.queue, record.tenant_id) == (
        refused,
        "chat.send",
        str(cast.acme.pk),
    )
    assert isinstance(record.exc_info[1], BusUnavailable)  # the broker refused (nack)


@pytest.mark.parametrize("send", [publish, publish_now])
def test_a_suspended_tenant_cannot_publish(inprocess_bus, register, cast, chat_send, send):
    handler = register(Queue.CHAT_SEND, Recorder())
    suspend(cast.acme)

    with pytest.raises(TenantSuspendedError), transaction.atomic():
        send(chat_send())

    assert inprocess_bus.drain(5)
    assert handler.calls == []
    publish(chat_send(cast.globex))  # other tenants still send
    assert inprocess_bus.drain(5)
    assert len(handler.calls) == 1


def test_publishing_for_a_tenant_that_does_not_exist_fails_at_the_call_site(inprocess_bus):
    with pytest.raises(Tenant.DoesNotExist):
        publish(ChatSend(tenant_id=uuid.uuid4(), message_id=uuid.uuid4()))
