import logging
import uuid

from bus.delivery import DeadReason
from bus.payloads import ChatSend, Envelope
from bus.publish import publish_now
from bus.queues import Queue
from bus.transports import get_transport
from bus.transports.inprocess import InProcessTransport
from tests.bus.recorder import Recorder


def chat_send():
    return ChatSend(tenant_id=str(uuid.uuid4()), message_id=str(uuid.uuid4()))


def test_the_inprocess_transport_is_chosen_by_settings(inprocess_bus):
    assert isinstance(get_transport(), InProcessTransport)


def test_a_failing_handler_is_retried_until_it_succeeds(inprocess_bus, register):
    handler = register(Queue.CHAT_SEND, Recorder(failures=2))

    message_id = publish_now(chat_send())

    assert inprocess_bus.drain(5)
    assert handler.attempts == [1, 2, 3]
    assert {call.context.message_id for call in handler.calls} == {message_id}
    assert list(inprocess_bus.dead_letters) == []


def test_a_message_is_dead_lettered_after_max_attempts(inprocess_bus, register, caplog):
    handler = register(Queue.CHAT_SEND, Recorder(failures=99))
    payload = chat_send()

    with caplog.at_level(logging.ERROR, logger="bus.delivery"):
        publish_now(payload)
        assert inprocess_bus.drain(5)

    assert handler.attempts == [1, 2, 3]
    [dead] = inprocess_bus.dead_letters
    assert (dead.queue, dead.attempts, dead.reason) == (Queue.CHAT_SEND, 3, DeadReason.MAX_ATTEMPTS)
    assert dead.error == "RuntimeError: failure number 3"
    assert Envelope.decode(dead.body).payload == payload  # the message itself is kept
    errors = [record for record in caplog.records if record.name == "bus.delivery"]
    assert [record.levelno for record in errors] == [logging.ERROR]


def test_a_message_without_handler_is_dead_lettered(inprocess_bus):
    publish_now(chat_send())

    assert inprocess_bus.drain(5)
    [dead] = inprocess_bus.dead_letters
    assert (dead.attempts, dead.reason) == (1, DeadReason.NO_HANDLER)


def test_retries_wait_for_the_retry_delay(settings, register):
    settings.BUS = {**settings.BUS, "TRANSPORT": "inprocess", "RETRY_DELAY_MS": 200}
    handler = register(Queue.CHAT_SEND, Recorder(failures=1))

    publish_now(chat_send())

    assert get_transport().drain(5)
    first, second = handler.calls
    assert second.at - first.at >= 0.2


def test_drain_waits_for_every_message_and_its_retries(inprocess_bus, register):
    handler = register(Queue.CHAT_SEND, Recorder(failures=1))

    for _ in range(5):
        publish_now(chat_send())

    assert inprocess_bus.drain(5)
    assert len(handler.calls) == 6
