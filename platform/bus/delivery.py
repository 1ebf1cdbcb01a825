"""Handling one delivery, and the retry / dead-letter decision both transports share.

A transport receives a body, calls ``deliver()`` in a worker thread and acts on the outcome:
acknowledge it, send it round again with ``attempt + 1``, or move it to the dead-letter queue.
"""

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Self

from django.db import close_old_connections

from bus.errors import Gone, MalformedMessage, NoHandler
from bus.handlers import DeliveryContext, get_handler
from bus.payloads import Envelope
from bus.queues import Queue
from tenancy.models import Tenant

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
    TENANT_SUSPENDED = "tenant-suspended"  # kept to be moved back once the tenant is reactivated
    TENANT_GONE = "tenant-gone"


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
    """Decode ``body``, check its tenant and run the handler of ``queue`` on it; never raises."""
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
        # A suspended tenant's messages are kept, not handled: they can be moved back later.
        tenant = Tenant.objects.filter(pk=envelope.payload.tenant_id).first()
        if tenant is None or tenant.is_suspended:
            reason = DeadReason.TENANT_GONE if tenant is None else DeadReason.TENANT_SUSPENDED
            logger.warning("message dead-lettered: %s", reason, extra=log)
            return Outcome(Verdict.DEAD, reason, reason)
        handler(envelope.payload, context)
    except Gone as exc:
        logger.info("what the message is about is gone, nothing to do: %s", exc, extra=log)
    except Exception as exc:  # any other handler failure is a failed attempt
        outcome = Outcome.after_failure(attempt, max_attempts, describe(exc))
        if outcome.verdict is Verdict.RETRY:
            logger.warning("handler failed, will retry", exc_info=True, extra=log)
        else:
            logger.error("handler failed on the last attempt", exc_info=True, extra=log)
        return outcome
    finally:
        close_old_connections()
    return HANDLED
