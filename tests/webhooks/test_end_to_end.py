"""The whole path on the real broker: a contact is created, emit publishes webhook.outbound when
the transaction commits, a consumer on RabbitMQ POSTs it; a failure waits, the sweep sends it
again."""

import asyncio
import threading
import time

import pytest

from api import outbound
from api.models import WebhookDelivery
from bus.handlers import autodiscover
from bus.queues import Queue
from bus.transports import reset_transport
from consumers.runner import Runner
from contacts import services as contact_services
from tests.bus import broker
from tests.bus.marks import committed_db
from tests.webhooks.test_delivery import time_passes

pytestmark = committed_db
S = WebhookDelivery.Status


@pytest.fixture
def consumer(settings):
    settings.BUS = {**settings.BUS, "TRANSPORT": "rabbitmq", "RETRY_DELAY_MS": 0}
    broker.delete_all()  # no messages of earlier tests, whose rows were rolled back
    autodiscover()  # as ``manage.py consume`` does
    runner = Runner([Queue.WEBHOOK_OUTBOUND], prefetch=2, drain_timeout=5)
    thread = threading.Thread(target=lambda: asyncio.run(runner.run()))
    thread.start()
    assert runner.consuming.wait(10), "the consumer did not start"
    yield runner
    runner.stop()
    thread.join(10)
    reset_transport()
    broker.delete_all()


def wait_for_status(delivery, status, timeout: float = 15) -> WebhookDelivery:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        delivery.refresh_from_db()
        if delivery.status == status:
            return delivery
        time.sleep(0.05)
    pytest.fail(f"the delivery is {delivery.status}, not {status}")


def test_a_created_contact_reaches_the_integrator_after_a_failed_attempt(
    consumer, subscribe, webhook_capture, cast
):
    subscribe("contact.created")
    webhook_capture.fail_next(1, status=503)
    contact = contact_services.create_contact(cast.acme, phone="+5511987654321", name="Maria")

    delivery = wait_for_status(WebhookDelivery.objects.get(), S.FAILED)
    assert delivery.response_code == 503
    time_passes(delivery)
    assert outbound.republish_due() == 1  # what the minutely schedule runs
    delivery = wait_for_status(delivery, S.DELIVERED)

    assert delivery.attempts == 2
    [first, second] = webhook_capture.events("contact.created")
    assert first.body == second.body
    assert second.body["data"]["id"] == str(contact.pk)
