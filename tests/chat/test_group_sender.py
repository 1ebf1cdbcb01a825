"""``alrea.group_sender``: how ``chat.live`` and ``notifications.live`` reach the channel layer
from synchronous code.

It used ``async_to_sync`` per message, a new event loop and new Redis connections each time, so
bursts (a campaign's events; a new conversation notifying a department of 50 agents) queued up
faster than they left. Now one thread keeps one loop.
"""

import asyncio
import logging

from channels.layers import channel_layers

from alrea.group_sender import GroupSender


def listener():
    """A channel layer of the test's own, on the same Redis and prefix: receiving binds locks to
    the receiving event loop, and the shared layer must stay usable by the sockets of later
    tests."""
    return channel_layers.make_backend("default")


def receive_all(layer, channel: str, count: int) -> list[dict]:
    async def receive():
        return [await asyncio.wait_for(layer.receive(channel), 5) for _ in range(count)]

    return asyncio.run(receive())


def joined_channel(layer, group: str) -> str:
    async def join():
        channel = await layer.new_channel()
        await layer.group_add(group, channel)
        return channel

    return asyncio.run(join())


def test_a_burst_arrives_whole_and_in_order_over_one_event_loop():
    sender, layer = GroupSender("test-burst", "not sent"), listener()
    channel = joined_channel(layer, "test.group-sender.burst")
    sender.submit([("test.group-sender.burst", {"type": "x", "n": 0})]).result(timeout=10)
    first_loop = sender._loop
    for n in range(1, 90):
        sender.submit([("test.group-sender.burst", {"type": "x", "n": n})])
    sender.submit([]).result(timeout=10)
    assert [m["n"] for m in receive_all(layer, channel, 90)] == list(range(90))
    assert sender._loop is first_loop is not None


def test_a_failed_send_is_logged_and_the_next_one_still_leaves(caplog):
    sender, layer = GroupSender("test-failure", "test push not sent"), listener()
    channel = joined_channel(layer, "test.group-sender.after")
    with caplog.at_level(logging.WARNING, logger="alrea.group_sender"):
        sender.submit([("not a valid group name!", {"type": "x"})]).result(timeout=10)
        sender.submit([("test.group-sender.after", {"type": "x", "n": 1})]).result(timeout=10)
    assert "test push not sent" in caplog.text
    assert receive_all(layer, channel, 1) == [{"type": "x", "n": 1}]
