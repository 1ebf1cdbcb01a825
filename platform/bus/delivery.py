"""Handling one delivery, and the retry / dead-letter decision both transports share.

A transport receives a body, calls ``deliver()`` in a worker thread and acts on the outcome:
acknowledge it, send it round again with ``attempt + 1``, or move it to the dead-letter queue.
"""

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Self

from django.db import close_old_connections

from bus.errors import MalformedMessage, NoHandler
from bus.handlers import DeliveryContext, get_handler
from bus.payloads import Envelope
from bus.queues import Queue

logger = logging.getLogger(__name__)

MAX_ERROR_LENGTH = 1000  # the last error travels in a message header; keep headers small


class Verdict(StrEnum):
    HANDLED = "handled"
    RETRY = "retry"
    DEAD = "dead"


class DeadReason(StrEnum):
    MALFORMED = "malformed"
    NO_HANDLER = "no-handler"
    MAX_ATTEMPTS = "max-attempts"


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict
    error: str = ""
    dead_reason: DeadReason | None = None

    @classmethod
    def after_failure(cls, attempt: int, max_attempts: int, error: str) -> Self:
        """A failed attempt is retried until it was attempt number ``max_attempts``."""
        if attempt >= max_attempts:
            return cls(Verdict.DEAD, error, DeadReason.MAX_ATTEMPTS)
        return cls(Verdict.RETRY, error)


HANDLED = Outcome(Verdict.HANDLED)


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH]


def deliver(body: bytes, queue: Queue, attempt: int, max_attempts: int) -> Outcome:
    """Decode ``body`` and run the handler of ``queue`` on it; never raises."""
    log = {"queue": str(queue), "attempt": attempt}
    try:
        envelope = Envelope.decode(body)
        if envelope.queue != queue:
            raise MalformedMessage(f"a {envelope.queue} message arrived on {queue}")
    except MalformedMessage as exc:
        logger.error("malformed message dead-lettered: %s", exc, extra=log)
        return Outcome(Verdict.DEAD, describe(exc), DeadReason.MALFORMED)

    log |= {"message_id": envelope.id, "tenant_id": envelope.payload.tenant_id}
    try:
        handler = get_handler(queue)
    except NoHandler as exc:
        logger.error("message dead-lettered: %s", exc, extra=log)
        return Outcome(Verdict.DEAD, describe(exc), DeadReason.NO_HANDLER)

    context = DeliveryContext(envelope.id, queue, attempt, envelope.published_at)
    # Worker threads live long: drop connections that are broken or past CONN_MAX_AGE on both
    # sides of the handler, as Django does around each request.
    close_old_connections()
    try:
        handler(envelope.payload, context)
    except Exception as exc:  # any handler failure is a failed attempt
        outcome = Outcome.after_failure(attempt, max_attempts, describe(exc))
        if outcome.verdict is Verdict.RETRY:
            logger.warning("handler failed, will retry", exc_info=True, extra=log)
        else:
            logger.error("handler failed on the last attempt", exc_info=True, extra=log)
        return outcome
    finally:
        close_old_connections()
    return HANDLED
