"""Synchronous helpers that look at the real broker from a test, each on its own connection
(to RABBITMQ_URL itself, whatever a test points the bus at)."""

import asyncio
import time
from dataclasses import dataclass

import aio_pika
from django.conf import settings

from bus.queues import Queue
from bus.transports.rabbitmq import QueueNames


@dataclass(frozen=True)
class Got:
    body: bytes
    headers: dict
    message_id: str | None
    delivery_mode: int
    redelivered: bool


def names(queue: Queue) -> QueueNames:
    return QueueNames.of(queue, settings.BUS["PREFIX"])


def _run(coro_fn):
    async def session():
        connection = await aio_pika.connect(settings.RABBITMQ_URL, timeout=5)
        async with connection:
            return await coro_fn(await connection.channel())

    return asyncio.run(session())


def depth(name: str) -> int:
    """Messages ready in a queue (not those a consumer holds unacknowledged)."""

    async def go(channel):
        queue = await channel.declare_queue(name, passive=True)
        return queue.declaration_result.message_count

    return _run(go)


def wait_for_depth(name: str, expected: int, timeout: float = 10) -> int:
    deadline = time.monotonic() + timeout
    while (current := depth(name)) != expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return current


def get(name: str, timeout: float = 10) -> Got | None:
    """Take one message off a queue, waiting up to ``timeout`` for one to arrive."""

    async def go(channel):
        queue = await channel.declare_queue(name, passive=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = await queue.get(no_ack=True, fail=False)
            if message is not None:
                return Got(
                    message.body,
                    dict(message.headers),
                    message.message_id,
                    message.delivery_mode,
                    message.redelivered,
                )
            await asyncio.sleep(0.05)
        return None

    return _run(go)


def publish_raw(name: str, body: bytes) -> None:
    """Publish bytes that did not come from the bus, as a misbehaving producer would."""

    async def go(channel):
        await channel.default_exchange.publish(aio_pika.Message(body), routing_key=name)

    _run(go)


def declare_succeeds(name: str, **kwargs) -> bool:
    """Whether declaring ``name`` with these properties matches the existing queue.

    RabbitMQ refuses (PRECONDITION_FAILED) a declaration whose durability or x-arguments differ
    from the queue's, so this is how a client reads them back.
    """

    async def go(channel):
        try:
            await channel.declare_queue(name, **kwargs)
        except aio_pika.exceptions.ChannelPreconditionFailed:
            return False
        return True

    return _run(go)


def delete_all() -> None:
    """Delete every queue this test process may have declared."""

    async def go(channel):
        for queue in Queue:
            for name in (names(queue).main, names(queue).retry, names(queue).dead):
                await channel.queue_delete(name)

    _run(go)


def refuse_messages(queue: Queue) -> None:
    """Replace the work queue of ``queue`` by one that is always full and refuses every message
    published to it (the broker nacks them), as a queue under a length limit does.

    Its arguments differ from the bus's, so only a publisher that already declared the queue
    (publishers declare each queue once) gets as far as publishing to it.
    """
    main, dead = names(queue).main, names(queue).dead

    async def go(channel):
        await channel.queue_delete(main)
        arguments = {"x-dead-letter-exchange": "", "x-dead-letter-routing-key": dead}
        full = {"x-max-length": 0, "x-overflow": "reject-publish"}
        await channel.declare_queue(main, durable=True, arguments=arguments | full)

    _run(go)


def delete(name: str) -> None:
    _run(lambda channel: channel.queue_delete(name))


def declare(name: str) -> None:
    """Declare a queue without arguments (the bus's ``.dead`` queues have none)."""

    async def go(channel):
        await channel.declare_queue(name, durable=True)

    _run(go)
