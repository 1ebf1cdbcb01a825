"""Two customer messages of one chat handled at once, each in its own transaction on its own
connection: one after-hours reply, not two."""

import threading
import time

import pytest
from django.db import connection, transaction

from chat import outbox, reception
from chat.models import Message, Reception
from tests.chat.conftest import make_conversation, make_line, make_message
from tests.chat.reception_helpers import make_hours
from tests.chat.test_routing_race import in_thread
from tests.whatsapp.webhooks import payloads as p
from tests.whatsapp.webhooks.conftest import Evolution
from whatsapp import inbound

pytestmark = pytest.mark.django_db(transaction=True)
HOLD_SECONDS = 0.5


def replies():
    return Message.objects.filter(metadata__automatic=outbox.AFTER_HOURS)


def test_the_second_message_waits_for_the_first_and_sends_nothing(cast):
    make_hours(cast.acme, {})  # never open
    conversation = make_conversation(make_line(cast.acme, "Acme-line"), "5511911110001")
    first, second = make_message(conversation, 1, "oi"), make_message(conversation, 0, "alô")
    first_handled = threading.Event()

    def first_slowly():
        with transaction.atomic():
            reception.on_customer_message(conversation, first, started=False)
            first_handled.set()
            time.sleep(HOLD_SECONDS)  # replied, not committed yet

    first_thread, _first = in_thread(first_slowly)
    assert first_handled.wait(10)
    started = time.monotonic()
    second_thread, _second = in_thread(
        lambda: reception.on_customer_message(conversation, second, started=False)
    )
    second_thread.join(10)
    waited = time.monotonic() - started
    first_thread.join(10)

    assert waited >= HOLD_SECONDS * 0.8  # the second waited on the conversation's row lock
    assert replies().count() == 1


def test_two_webhook_workers_at_once_send_one_reply(cast):
    make_hours(cast.acme, {})
    line = make_line(cast.acme, "Acme-line")
    line.state = "open"
    line.save()
    evolution = Evolution()
    # The chat exists already, so both messages race on the reply, not on opening it.
    evolution.send(line, p.text(line.evolution_name, "primeira"))
    replies().delete()
    Reception.objects.all().delete()
    for n in range(2):
        response = evolution.post(
            p.text(line.evolution_name, f"mensagem {n}", timestamp=p.BASE_TS + n + 1),
            instance=line,
        )
        assert response.status_code == 200
    start = threading.Barrier(2)

    def worker():
        start.wait(10)
        return inbound.process_pending(limit=1)

    runs = [in_thread(worker) for _ in range(2)]
    for thread, _outcome in runs:
        thread.join(20)
    assert sorted(outcome["result"] for _thread, outcome in runs) == [1, 1]
    assert Message.objects.filter(direction=Message.Direction.INBOUND).count() == 3
    assert replies().count() == 1
    connection.close()
