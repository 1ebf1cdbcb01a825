import pytest
from django.core.management import CommandError, call_command

from bus.queues import Queue
from tests.bus.recorder import Recorder


def test_consume_explains_that_the_inprocess_bus_has_nothing_to_consume(settings):
    settings.BUS = {**settings.BUS, "TRANSPORT": "inprocess"}

    with pytest.raises(CommandError, match="runs inside the web process"):
        call_command("consume", "chat.send")


def test_consume_rejects_an_unknown_queue_and_lists_the_real_ones():
    with pytest.raises(CommandError, match=r"Unknown queue chat\.sned; the queues are campaign"):
        call_command("consume", "chat.send", "chat.sned")


@pytest.mark.parametrize("args", [(), ("--all", "chat.send")])
def test_consume_needs_either_queue_names_or_all(args):
    with pytest.raises(CommandError, match="Name one or more queues, or pass --all"):
        call_command("consume", *args)


def test_consume_all_names_every_queue_that_has_no_handler(register):
    for queue in Queue:
        register(queue, None)

    with pytest.raises(CommandError) as raised:
        call_command("consume", "--all")

    assert str(raised.value).startswith(
        "no handler is registered for campaign.send, chat.send, media.download, "
        "media.migrate_s3, contact.profile_pic, webhook.outbound"
    )


def test_consume_rejects_a_prefetch_below_one():
    with pytest.raises(CommandError, match="--prefetch must be at least 1"):
        call_command("consume", "chat.send", "--prefetch", "0")


def test_consume_says_when_it_cannot_reach_the_broker(settings, register):
    settings.BUS = {**settings.BUS, "URL": "amqp://guest:guest@127.0.0.1:1/"}
    register(Queue.CHAT_SEND, Recorder())

    with pytest.raises(CommandError, match="cannot reach RabbitMQ: AMQPConnectionError"):
        call_command("consume", "chat.send")
