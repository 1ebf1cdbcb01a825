"""The whole path on the real broker: a customer's photo arrives by webhook, ingest publishes
media.download when its transaction commits, a consumer on RabbitMQ stores it."""

import asyncio
import threading
import time

import pytest

from bus.queues import Queue
from bus.transports import reset_transport
from chat.models import Attachment
from consumers.runner import Runner
from tests.bus import broker
from tests.bus.marks import committed_db
from whatsapp.simulator import media as samples

pytestmark = committed_db


@pytest.fixture
def consumer(settings):
    settings.BUS = {**settings.BUS, "TRANSPORT": "rabbitmq", "RETRY_DELAY_MS": 0}
    broker.delete_all()  # no messages of earlier tests, whose rows were rolled back
    runner = Runner([Queue.MEDIA_DOWNLOAD], prefetch=2, drain_timeout=5)
    thread = threading.Thread(target=lambda: asyncio.run(runner.run()))
    thread.start()
    assert runner.consuming.wait(10), "the consumer did not start"
    yield runner
    runner.stop()
    thread.join(10)
    reset_transport()
    broker.delete_all()


def wait_until_settled(attachment: Attachment, timeout: float = 15) -> Attachment:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        attachment.refresh_from_db()
        if attachment.status != Attachment.Status.PENDING:
            return attachment
        time.sleep(0.05)
    pytest.fail("the attachment is still pending")


def test_a_received_photo_is_stored_by_the_consumer(consumer, line, receive, media_root):
    attachment = wait_until_settled(receive(line, "image"))

    assert attachment.status == Attachment.Status.READY, attachment.error
    assert (media_root / attachment.storage_key).read_bytes() == samples.sample("imageMessage")
