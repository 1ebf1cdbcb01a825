"""The consumer process: take messages from RabbitMQ, run their handlers, settle them.

Every delivery ends in exactly one of: acknowledged after its handler returned; republished with
``x-attempt`` + 1 (through the ``.retry`` queue when RETRY_DELAY_MS > 0) and then acknowledged;
or copied to the ``.dead`` queue with the reason and last error and then acknowledged. The copy
is confirmed by the broker before the original is acknowledged, so a crash in between can
duplicate a message but never lose one. If settling fails (the broker refuses or does not
confirm the copy within PUBLISH_TIMEOUT_SECONDS, the channel is gone), the message is given back
to the broker (``nack`` with requeue) and comes round again as a redelivery.

A delivery the broker marks ``redelivered`` was taken by a consumer that never settled it: that
consumer died, lost its connection or ran out of drain time, possibly because of this very
message. It counts as a failed attempt, so a message that kills its consumer ends in the
dead-letter queue after MAX_ATTEMPTS instead of crashing consumers forever.

Handlers are synchronous and run on a thread pool sized to the number of messages that can be
in flight (prefetch per queue). On stop() (SIGTERM or SIGINT in the command) the runner cancels
its consumers (without waiting for a broker that is down), waits up to ``drain_timeout`` for
handlers in flight, settles them and closes.
"""

import asyncio
import logging
import signal
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue
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
CANCEL_TIMEOUT = 2.0  # seconds to stop the broker's deliveries on stop()
SETTLE_RETRY_DELAY = 1.0  # seconds before a message that could not be settled is given back


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
        self.publish_timeout = float(settings.BUS["PUBLISH_TIMEOUT_SECONDS"])
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
            await self._cancel(consumers)
            abandoned = await self._drain()
        finally:
            # The messages of handlers still running after the drain were not settled: once the
            # connection is closed the broker redelivers them to another consumer.
            await connection.close()
            self._executor.shutdown(wait=False, cancel_futures=True)
        logger.info("stopped")
        return abandoned

    async def _cancel(self, consumers: list[tuple[AbstractQueue, str]]) -> None:
        """Stop the broker's deliveries, without waiting long for a broker that went away.

        A robust queue's cancel() forgets the consumer at once (so a reconnection does not
        restore it), then waits for the connection to come back to tell the broker. With the
        broker down there is nothing to tell: it took back the unsettled messages with the
        connection.
        """
        cancels = asyncio.gather(
            *(amqp_queue.cancel(tag) for amqp_queue, tag in consumers), return_exceptions=True
        )
        try:
            results = await asyncio.wait_for(cancels, CANCEL_TIMEOUT)
        except TimeoutError:
            results = [TimeoutError(f"no answer from RabbitMQ within {CANCEL_TIMEOUT:g}s")]
        for error in {describe(result) for result in results if isinstance(result, Exception)}:
            logger.warning("could not cancel the consumers: %s", error)

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
        # Handled in a task of our own: aiormq cancels the tasks it runs callbacks in when the
        # connection drops, and the drain must still wait for the handler on its thread.
        task = self._loop.create_task(self._handle(channel, queue, names, message))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _handle(
        self,
        channel: AbstractChannel,
        queue: Queue,
        names: QueueNames,
        message: AbstractIncomingMessage,
    ) -> None:
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
        except Exception:
            # An unsettled message would hold its prefetch slot for as long as the channel
            # lives: hand it back to the broker, which redelivers it (a failed attempt). If the
            # channel is gone, so is the slot, and the broker redelivers it anyway.
            logger.exception("could not settle a message, giving it back", extra=log)
            await asyncio.sleep(SETTLE_RETRY_DELAY)  # a settle that keeps failing must not spin
            try:
                await message.nack(requeue=True)
            except Exception as exc:
                logger.error("could not give the message back: %s", describe(exc), extra=log)

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
            to = names.retry if self.retry_delay else names.main
            await publish_confirmed(channel, copy, to, self.publish_timeout)
        elif outcome.verdict is Verdict.DEAD:
            headers |= {
                ATTEMPT_HEADER: attempt,
                ERROR_HEADER: outcome.error,
                DEAD_REASON_HEADER: str(outcome.dead_reason),
            }
            copy = new_message(message.body, message_id=message.message_id, headers=headers)
            await publish_confirmed(channel, copy, names.dead, self.publish_timeout)
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
