import time

import pytest

from bus.errors import BusUnavailable
from bus.health import check
from bus.publish import publish_now
from bus.queues import Queue
from tests.bus.marks import committed_db
from tests.bus.recorder import Recorder

UNREACHABLE = "amqp://guest:guest@127.0.0.1:1/"


def test_the_health_check_reaches_the_broker(settings):
    assert settings.BUS["TRANSPORT"] == "rabbitmq"
    assert check() == {"transport": "rabbitmq"}


def test_the_health_check_fails_fast_when_the_broker_is_unreachable(settings):
    settings.BUS = {**settings.BUS, "URL": UNREACHABLE}
    started = time.monotonic()

    with pytest.raises(BusUnavailable):
        check()

    assert time.monotonic() - started < settings.HEALTHZ_TIMEOUT_SECONDS + 0.5


@committed_db
def test_publishing_to_an_unreachable_broker_raises_bus_unavailable(settings, chat_send):
    settings.BUS = {**settings.BUS, "URL": UNREACHABLE}

    with pytest.raises(BusUnavailable, match="RabbitMQ"):
        publish_now(chat_send())


@committed_db
def test_the_inprocess_health_check_reports_pending_and_dead_letters(
    inprocess_bus, register, chat_send
):
    register(Queue.CHAT_SEND, Recorder(failures=99))
    publish_now(chat_send())
    assert inprocess_bus.drain(5)

    assert check() == {"transport": "inprocess", "pending": 0, "dead_letters": 1}
