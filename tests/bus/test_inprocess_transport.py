import json
import logging
import os
import threading
import warnings

from bus.delivery import DeadReason
from bus.payloads import Envelope
from bus.publish import publish_now
from bus.queues import Queue
from bus.transports import get_transport
from bus.transports.inprocess import InProcessTransport
from tests.bus.marks import committed_db
from tests.bus.recorder import Recorder

pytestmark = committed_db


def test_the_inprocess_transport_is_chosen_by_settings(inprocess_bus):
    assert isinstance(get_transport(), InProcessTransport)


def test_a_failing_handler_is_retried_until_it_succeeds(inprocess_bus, register, chat_send):
    handler = register(Queue.CHAT_SEND, Recorder(failures=2))

    message_id = publish_now(chat_send())

    assert inprocess_bus.drain(5)
    assert handler.attempts == [1, 2, 3]
    assert {call.context.message_id for call in handler.calls} == {message_id}
    assert list(inprocess_bus.dead_letters) == []


def test_a_message_is_dead_lettered_after_max_attempts(inprocess_bus, register, caplog, chat_send):
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


def test_a_message_without_handler_is_dead_lettered(inprocess_bus, register, chat_send):
    register(Queue.CHAT_SEND, None)
    publish_now(chat_send())

    assert inprocess_bus.drain(5)
    [dead] = inprocess_bus.dead_letters
    assert (dead.attempts, dead.reason) == (1, DeadReason.NO_HANDLER)


def test_retries_wait_for_the_retry_delay(settings, register, chat_send):
    settings.BUS = {**settings.BUS, "TRANSPORT": "inprocess", "RETRY_DELAY_MS": 200}
    handler = register(Queue.CHAT_SEND, Recorder(failures=1))

    publish_now(chat_send())

    assert get_transport().drain(5)
    first, second = handler.calls
    assert second.at - first.at >= 0.2


def test_drain_waits_for_every_message_and_its_retries(inprocess_bus, register, chat_send):
    handler = register(Queue.CHAT_SEND, Recorder(failures=1))

    for _ in range(5):
        publish_now(chat_send())

    assert inprocess_bus.drain(5)
    assert len(handler.calls) == 6


class Interrupted(BaseException):
    """Not an Exception, like SystemExit or asyncio.CancelledError."""


def test_a_handler_that_raises_a_base_exception_does_not_stop_the_worker(
    inprocess_bus, register, chat_send
):
    handler = Recorder()

    def interrupted_once(payload, context):
        handler(payload, context)
        if len(handler.calls) == 1:
            raise Interrupted

    register(Queue.CHAT_SEND, interrupted_once)

    first = publish_now(chat_send())
    second = publish_now(chat_send())

    assert inprocess_bus.drain(5)
    calls = [(call.context.message_id, call.context.attempt) for call in handler.calls]
    assert calls == [(first, 1), (second, 1), (first, 2)]  # a failed attempt, retried


def test_a_forked_child_does_not_handle_the_messages_of_its_parent(
    inprocess_bus, register, chat_send
):
    started, release = threading.Event(), threading.Event()
    handled = []

    def handler(payload, context):
        handled.append(context.message_id)
        started.set()
        release.wait(5)

    register(Queue.CHAT_SEND, handler)
    busy = publish_now(chat_send())
    waiting = publish_now(chat_send())
    own = Envelope.wrap(chat_send())  # built here: the child must not use our database connection
    assert started.wait(5)  # the parent's worker is busy with one message, the other waits

    read, write = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # forking a process with threads
        pid = os.fork()
    if pid == 0:  # the child: report, and never return into pytest
        try:
            release.set()
            pending = inprocess_bus.check(1)["pending"]
            inprocess_bus.send(own)
            drained = inprocess_bus.drain(5)
            os.write(write, json.dumps([pending, drained, handled]).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as child:
        pending, drained, child_handled = json.loads(child.read())
    os.waitpid(pid, 0)
    release.set()

    assert (pending, drained) == (0, True)
    assert child_handled == [busy, own.id]  # its own message, none of the parent's
    assert inprocess_bus.drain(5)
    assert handled == [busy, waiting]
