"""RabbitMQ through aio-pika: the queue topology, the message format, and the publisher.

Each bus queue is three durable queues on the default exchange:

- ``<prefix><name>``: the work queue. Its dead-letter arguments point at ``.dead``, so anything
  the broker itself drops (a rejection, a policy's TTL or length limit) is kept too.
- ``<prefix><name>.retry``: failed messages wait here for ``RETRY_DELAY_MS`` (a per-message
  TTL); when it expires the broker dead-letters them back into the work queue.
- ``<prefix><name>.dead``: messages that will not be retried, with the reason and last error in
  their headers. Nothing consumes it; operators inspect, move or purge it.

Django code is synchronous, aio-pika is not: the publisher keeps one event loop on a background
thread per process, holding one robust connection with publisher confirms, and ``send()`` waits
for the broker's confirm (bounded by a timeout) before it returns.
"""

import asyncio
import logging
import os
import threading
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, Self

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractQueue, AbstractRobustConnection
from aio_pika.exceptions import CONNECTION_EXCEPTIONS, PublishError
from yarl import URL

from bus.delivery import describe
from bus.errors import BusUnavailable
from bus.payloads import Envelope
from bus.queues import Queue

logger = logging.getLogger(__name__)

ATTEMPT_HEADER = "x-attempt"  # 1 on the first delivery; the broker does not count for us
ERROR_HEADER = "x-last-error"
DEAD_REASON_HEADER = "x-dead-reason"
RECONNECT_INTERVAL = 1.0  # seconds between reconnection attempts of a robust connection
CONNECT_TIMEOUT = 10.0  # seconds for a consumer's first connection


@dataclass(frozen=True)
class QueueNames:
    main: str
    retry: str
    dead: str

    @classmethod
    def of(cls, queue: Queue, prefix: str) -> Self:
        main = f"{prefix}{queue}"
        return cls(main=main, retry=f"{main}.retry", dead=f"{main}.dead")


async def declare(channel: AbstractChannel, names: QueueNames) -> AbstractQueue:
    """Declare the three queues of one bus queue (idempotent) and return the work queue.

    Publisher and consumers both declare, so a message published before any consumer ever
    started still has a queue to wait in.
    """
    await channel.declare_queue(names.dead, durable=True)
    await channel.declare_queue(
        names.retry,
        durable=True,
        arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": names.main},
    )
    return await channel.declare_queue(
        names.main,
        durable=True,
        arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": names.dead},
    )


def new_message(
    body: bytes, *, message_id: str | None, headers: dict, expiration: float | None = None
) -> aio_pika.Message:
    return aio_pika.Message(
        body,
        message_id=message_id,
        headers=headers,
        content_type="application/json",
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        expiration=expiration,  # seconds
    )


async def publish_confirmed(
    channel: AbstractChannel, message: aio_pika.Message, to: str, timeout: float
) -> None:
    """Publish through the default exchange and wait for the broker's confirm.

    ``mandatory``: a message for a queue that does not exist comes back as PublishError
    instead of being dropped by the broker. TimeoutError after ``timeout`` seconds means the
    outcome is unknown: the message may be on the broker, with its confirm still on the way.
    """
    publishing = channel.default_exchange.publish(message, routing_key=to, mandatory=True)
    await asyncio.wait_for(publishing, timeout)


async def connect(url: str, name: str, timeout: float | None = None) -> AbstractRobustConnection:
    """``aio_pika.connect_robust``, except that a failed first attempt closes the connection.

    connect_robust leaves that connection to its ``__del__``, which schedules ``close()`` on
    whatever loop the garbage collector's thread has, and warns that it was never awaited.
    """
    connection = aio_pika.RobustConnection(
        URL(url),
        client_properties={"connection_name": f"alrea {name} {os.getpid()}"},
        reconnect_interval=RECONNECT_INTERVAL,
    )
    try:
        await connection.connect(timeout=timeout)
    except BaseException:
        await connection.close()
        raise
    return connection


class RabbitMQTransport:
    def __init__(self, *, url: str, prefix: str, timeout: float):
        self.url = url
        self.prefix = prefix
        self.timeout = timeout
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # Used on the loop's thread only:
        self._connecting: asyncio.Lock | None = None
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractChannel | None = None
        self._declared: set[Queue] = set()

    @classmethod
    def from_settings(cls, config: dict) -> Self:
        return cls(
            url=config["URL"],
            prefix=config["PREFIX"],
            timeout=float(config["PUBLISH_TIMEOUT_SECONDS"]),
        )

    def send(self, envelope: Envelope) -> None:
        self._call(self._publish(envelope), self.timeout)

    def check(self, timeout: float) -> dict:
        self._call(self._ping(), timeout)
        return {"transport": "rabbitmq"}

    def close(self) -> None:
        with self._lock:
            loop, pid = self._loop, self._pid
            self._loop = self._pid = None
        if loop is None or pid != os.getpid():
            return
        try:
            asyncio.run_coroutine_threadsafe(self._disconnect(), loop).result(self.timeout)
        except Exception:  # closing is best effort: the broker also notices a dropped socket
            logger.warning("bus publisher did not close its connection cleanly", exc_info=True)
        loop.call_soon_threadsafe(loop.stop)

    # --- the calling thread's side -------------------------------------------------------------

    def _call(self, coro: Coroutine[Any, Any, None], timeout: float) -> None:
        """Run ``coro`` on the publisher loop and wait for it; failures become BusUnavailable."""
        future = asyncio.run_coroutine_threadsafe(coro, self._ensure_loop())
        try:
            future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise BusUnavailable(f"RabbitMQ did not answer within {timeout:g}s") from None
        except CONNECTION_EXCEPTIONS as exc:
            raise BusUnavailable(f"RabbitMQ: {describe(exc)}") from exc

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            # A forked child inherits this object but not the parent's thread: start its own.
            if self._pid != os.getpid():
                self._loop = asyncio.new_event_loop()
                self._connecting = asyncio.Lock()
                self._connection = self._channel = None
                self._declared = set()
                self._pid = os.getpid()
                threading.Thread(
                    target=_run_forever, args=(self._loop,), name="bus-publisher", daemon=True
                ).start()
            return self._loop

    # --- the loop thread's side ----------------------------------------------------------------

    async def _ready_channel(self) -> AbstractChannel:
        async with self._connecting:
            if self._connection is None:
                self._connection = await connect(self.url, "publisher", self.timeout)
            if self._channel is None:
                self._channel = await self._connection.channel(on_return_raises=True)
        # After a connection loss the robust channel is restored in the background; wait for
        # it (the caller's timeout bounds the wait) rather than fail at once.
        await self._channel.ready()
        return self._channel

    async def _publish(self, envelope: Envelope) -> None:
        channel = await self._ready_channel()
        names = QueueNames.of(envelope.queue, self.prefix)
        if envelope.queue not in self._declared:
            await declare(channel, names)
            self._declared.add(envelope.queue)

        def message():
            return new_message(
                envelope.encode(), message_id=envelope.id, headers={ATTEMPT_HEADER: 1}
            )

        try:
            await publish_confirmed(channel, message(), names.main, self.timeout)
        except PublishError:
            # The queue was deleted since this process declared it: declare it again, once.
            await declare(channel, names)
            await publish_confirmed(channel, message(), names.main, self.timeout)

    async def _ping(self) -> None:
        """A round trip to the broker that leaves the publishing channel alone."""
        await self._ready_channel()
        channel = await self._connection.channel()
        await channel.close()

    async def _disconnect(self) -> None:
        if self._connection is not None:
            await self._connection.close()


def _run_forever(loop: asyncio.AbstractEventLoop) -> None:
    asyncio.set_event_loop(loop)
    try:
        loop.run_forever()
    finally:
        loop.close()
