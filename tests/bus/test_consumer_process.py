"""``manage.py consume`` as a real process: redelivery after a crash, and draining on SIGTERM."""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from bus.publish import publish_now
from bus.queues import Queue
from tests.bus import broker
from tests.bus.marks import committed_db

ROOT = Path(__file__).resolve().parents[2]
CHAT = broker.names(Queue.CHAT_SEND)

pytestmark = [pytest.mark.usefixtures("rabbitmq"), committed_db]


def wait_until(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not (result := predicate()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return result


class Consumer:
    """``manage.py consume chat.send`` with tests/bus/handlers_for_tests.py in BUS_TEST_MODE."""

    def __init__(self, tmp_path, mode, *args, slow_seconds=0.0, broker_url=None):
        self.log_path = tmp_path / f"consumer-{uuid.uuid4().hex[:8]}.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.bus.consumer_settings",
            "BUS_TEST_MODE": mode,
            "BUS_TEST_RECORD": str(tmp_path / "record.jsonl"),
            "BUS_TEST_SLOW_SECONDS": str(slow_seconds),
            "RABBITMQ_URL": broker_url or settings.BUS["URL"],
        }
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "consume", "chat.send", *args],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.pid = self.process.pid

    def log(self) -> str:
        return self.log_path.read_text()

    def wait_consuming(self):
        if not wait_until(lambda: "consuming chat.send" in self.log() or self.process.poll()):
            pytest.fail("the consumer did not start")
        assert self.process.poll() is None, self.log()


@pytest.fixture
def start(tmp_path):
    consumers = []

    def start(mode, *args, **kwargs):
        consumer = Consumer(tmp_path, mode, *args, **kwargs)
        consumers.append(consumer)
        return consumer

    yield start
    for consumer in consumers:
        if consumer.process.poll() is None:
            consumer.process.kill()
        consumer.process.wait(10)


@pytest.fixture
def records(tmp_path):
    def read(event):
        path = tmp_path / "record.jsonl"
        lines = path.read_text().splitlines() if path.exists() else []
        return [line for line in map(json.loads, lines) if line["event"] == event]

    return read


def test_a_message_whose_consumer_dies_is_redelivered_and_handled_once(start, records, chat_send):
    message_id = publish_now(chat_send())

    first = start("die")
    assert first.process.wait(20) == -signal.SIGKILL
    assert [(line["message_id"], line["pid"]) for line in records("started")] == [
        (message_id, first.pid)
    ]
    assert broker.wait_for_depth(CHAT.main, 1) == 1  # back in its queue, not lost

    second = start("record")
    second.wait_consuming()
    assert wait_until(lambda: records("handled"))
    second.process.terminate()
    assert second.process.wait(20) == 0, second.log()

    # Handled once, by the second consumer, as the message's second attempt.
    handled = [(line["message_id"], line["attempt"], line["pid"]) for line in records("handled")]
    assert handled == [(message_id, 2, second.pid)]
    assert "unsettled message redelivered" in second.log()
    assert [broker.depth(name) for name in (CHAT.main, CHAT.retry, CHAT.dead)] == [0, 0, 0]


def test_sigterm_lets_the_message_in_flight_finish_and_takes_no_more(start, records, chat_send):
    consumer = start("slow", "--prefetch", "1", slow_seconds=1.0)
    consumer.wait_consuming()
    first = publish_now(chat_send())
    second = publish_now(chat_send())
    assert wait_until(lambda: records("started"))

    signalled_at = time.time()
    consumer.process.terminate()
    assert consumer.process.wait(20) == 0, consumer.log()

    [handled] = records("handled")
    assert (handled["message_id"], handled["attempt"]) == (first, 1)
    assert handled["at"] > signalled_at  # it finished after the signal, not before
    assert [line["message_id"] for line in records("started")] == [first]
    # The first was acknowledged; the second was never delivered and waits for the next consumer.
    waiting = broker.get(CHAT.main, timeout=1)
    assert (waiting.message_id, waiting.redelivered) == (second, False)
    assert broker.depth(CHAT.main) == 0


def test_a_handler_that_outlives_the_drain_timeout_leaves_its_message_to_the_broker(
    start, records, chat_send
):
    consumer = start("slow", "--drain-timeout", "0.2", slow_seconds=5.0)
    consumer.wait_consuming()
    message_id = publish_now(chat_send())
    assert wait_until(lambda: records("started"))

    consumer.process.terminate()

    assert consumer.process.wait(20) == 1
    assert "1 handlers still running after the 0.2s drain timeout" in consumer.log()
    assert records("handled") == []
    returned = broker.get(CHAT.main, timeout=5)
    assert (returned.message_id, returned.redelivered) == (message_id, True)


def test_sigterm_while_the_broker_is_unreachable_drains_and_exits(
    start, records, chat_send, broker_proxy
):
    consumer = start("slow", slow_seconds=3.0, broker_url=broker_proxy.url(settings.BUS["URL"]))
    consumer.wait_consuming()
    message_id = publish_now(chat_send())
    assert wait_until(lambda: records("started"))

    broker_proxy.close()  # the broker is gone, as far as the consumer can tell
    time.sleep(1.5)  # it notices, and its connection keeps trying to reconnect
    consumer.process.terminate()

    assert consumer.process.wait(10) == 0, consumer.log()  # without waiting for the broker
    assert [line["message_id"] for line in records("handled")] == [message_id]  # drained
    assert "could not settle a message" in consumer.log()
    # The broker took the unsettled message back when the connection dropped.
    returned = broker.get(CHAT.main, timeout=5)
    assert (returned.message_id, returned.redelivered) == (message_id, True)


def test_consume_refuses_to_start_for_a_queue_without_handler():
    result = subprocess.run(
        [sys.executable, "manage.py", "consume", "chat.send", "webhook.outbound"],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.bus.consumer_settings",
            # Every queue has a handler now: take one away, as if its module were missing.
            "BUS_TEST_UNHANDLED": "webhook.outbound",
        },
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert result.returncode == 1
    assert "no handler is registered for webhook.outbound" in result.stderr
