"""The consumer process: take messages from RabbitMQ, run their handlers, settle them.

Every delivery ends in exactly one of: acknowledged after its handler returned; republished with
``x-attempt`` + 1 (through the ``.retry`` queue when RETRY_DELAY_MS > 0) and then acknowledged;
or copied to the ``.dead`` queue with the reason and last error and then acknowledged. The copy
is confirmed by the broker before the original is acknowledged, so a crash in between can
duplicate a message but never lose one.

A delivery the broker marks ``redelivered`` was taken by a consumer that never settled it: that
consumer died, lost its connection or ran out of drain time, possibly because of this very
message. It counts as a failed attempt, so a message that kills its consumer ends in the
dead-letter queue after MAX_ATTEMPTS instead of crashing consumers forever.

Handlers are synchronous and run on a thread pool sized to the number of messages that can be
in flight (prefetch per queue). On stop() (SIGTERM or SIGINT in the command) the runner cancels
its consumers, waits up to ``drain_timeout`` for handlers in flight, settles them and closes.
"""

import asyncio
import logging
import signal
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from aio_pika.abc import AbstractChannel, AbstractIncomingMessage
from aio_pika.exceptions import CONNECTION_EXCEPTIONS
from django.conf import settings

from bus.delivery import Outcome, Verdict, deliver, describe
from bus.errors import BusUnavailable, NoHandler
from bus.handlers import autodiscover, get_handler
from bus.queues import Queue
from bus.transports.rabbitmq import (
    ATTEMPT_HEADER,
    CONNECT_TIMEOUT,
    DEAD_REASON_HEADER,
    ERROR_HEADER,
    QueueNames,
    connect,
    declare,
    new_message,
    publish_confirmed,
)

logger = logging.getLogger(__name__)

UNSETTLED = "redelivered: the consumer that received it stopped before settling it"


def require_handlers(queues: Sequence[Queue]) -> None:
    """Import the handler modules; raise NoHandler naming every queue that has no handler."""
    autodiscover()
    missing = []
    for queue in queues:
        try:
            get_handler(queue)
        except NoHandler:
            missing.append(str(queue))
    if missing:
        raise NoHandler(
            f"no handler is registered for {', '.join(missing)}: add the module that registers "
            "it to consumers.HANDLER_MODULES"
        )


class Runner:
    def __init__(self, queues: Sequence[Queue], *, prefetch: int, drain_timeout: float):
        self.queues = list(queues)
        self.prefetch = prefetch
        self.drain_timeout = drain_timeout
        self.url = settings.BUS["URL"]
        self.prefix = settings.BUS["PREFIX"]
        self.max_attempts = settings.BUS["MAX_ATTEMPTS"]
        self.retry_delay = settings.BUS["RETRY_DELAY_MS"] / 1000
        self.consuming = threading.Event()  # set once every queue has a consumer
        self._executor = ThreadPoolExecutor(
            max_workers=prefetch * len(self.queues), thread_name_prefix="bus-handler"
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = asyncio.Event()
        self._in_flight: set[asyncio.Task] = set()

    def stop(self) -> None:
        """Ask a running runner to drain and return; safe from any thread."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)

    async def run(self) -> int:
        """Consume until stop(); return how many handlers were still running after the drain."""
        self._loop = asyncio.get_running_loop()
        try:
            connection = await connect(self.url, "consumer", CONNECT_TIMEOUT)
        except CONNECTION_EXCEPTIONS as exc:
            raise BusUnavailable(f"cannot reach RabbitMQ: {describe(exc)}") from exc
        try:
            # Publisher confirms are on (aio-pika's default): a retry or dead-letter copy is
            # confirmed before the original is acknowledged.
            channel = await connection.channel(on_return_raises=True)
            await channel.set_qos(prefetch_count=self.prefetch)  # per consumer, so per queue
            consumers = []
            for queue in self.queues:
                names = QueueNames.of(queue, self.prefix)
                amqp_queue = await declare(channel, names)
                callback = partial(self._on_message, channel, queue, names)
                consumers.append((amqp_queue, await amqp_queue.consume(callback)))
            logger.info("consuming %s (prefetch %d)", ", ".join(self.queues), self.prefetch)
            self.consuming.set()

            await self._stopping.wait()
            logger.info("stopping: taking no new messages, %d in flight", len(self._in_flight))
            for amqp_queue, tag in consumers:
                await amqp_queue.cancel(tag)
            abandoned = await self._drain()
        finally:
            # Closing cancels the settle step of any abandoned handler: the broker redelivers
            # those messages to another consumer.
            await connection.close()
            self._executor.shutdown(wait=False, cancel_futures=True)
        logger.info("stopped")
        return abandoned

    async def _drain(self) -> int:
        deadline = self._loop.time() + self.drain_timeout
        while self._in_flight and (remaining := deadline - self._loop.time()) > 0:
            await asyncio.wait(set(self._in_flight), timeout=remaining)
        if self._in_flight:
            logger.error(
                "%d handlers still running after the %gs drain timeout; the broker will "
                "redeliver their messages",
                len(self._in_flight),
                self.drain_timeout,
            )
        return len(self._in_flight)

    async def _on_message(
        self,
        channel: AbstractChannel,
        queue: Queue,
        names: QueueNames,
        message: AbstractIncomingMessage,
    ) -> None:
        task = asyncio.current_task()
        self._in_flight.add(task)
        attempt = _attempt(message)
        log = {"queue": str(queue), "message_id": message.message_id, "attempt": attempt}
        try:
            if message.redelivered:
                outcome = Outcome.after_failure(attempt, self.max_attempts, UNSETTLED)
                level = logging.ERROR if outcome.verdict is Verdict.DEAD else logging.WARNING
                logger.log(level, "unsettled message redelivered: %s", outcome.verdict, extra=log)
            else:
                outcome = await self._loop.run_in_executor(
                    self._executor, deliver, message.body, queue, attempt, self.max_attempts
                )
            await self._settle(channel, names, message, attempt, outcome)
        except Exception:  # the broker keeps the message and redelivers it after reconnection
            logger.exception("could not settle a message", extra=log)
        finally:
            self._in_flight.discard(task)

    async def _settle(
        self,
        channel: AbstractChannel,
        names: QueueNames,
        message: AbstractIncomingMessage,
        attempt: int,
        outcome: Outcome,
    ) -> None:
        headers = dict(message.headers or {})
        if outcome.verdict is Verdict.RETRY:
            headers |= {ATTEMPT_HEADER: attempt + 1, ERROR_HEADER: outcome.error}
            copy = new_message(
                message.body,
                message_id=message.message_id,
                headers=headers,
                expiration=self.retry_delay or None,
            )
            # Without a delay the retry goes straight back to the work queue.
            await publish_confirmed(channel, copy, names.retry if self.retry_delay else names.main)
        elif outcome.verdict is Verdict.DEAD:
            headers |= {
                ATTEMPT_HEADER: attempt,
                ERROR_HEADER: outcome.error,
                DEAD_REASON_HEADER: str(outcome.dead_reason),
            }
            copy = new_message(message.body, message_id=message.message_id, headers=headers)
            await publish_confirmed(channel, copy, names.dead)
        await message.ack()


def _attempt(message: AbstractIncomingMessage) -> int:
    # Messages from outside the bus may lack the header: they are on their first attempt.
    value = (message.headers or {}).get(ATTEMPT_HEADER, 1)
    return value if isinstance(value, int) and value >= 1 else 1


async def serve(runner: Runner) -> int:
    """Run until SIGTERM or SIGINT, then drain; return what Runner.run() returns."""
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, runner.stop)
    return await runner.run()
