"""The embedded default: handlers run on one background thread of the web process.

No broker, so nothing survives a restart: messages not yet handled, and the dead letters kept
for inspection, live in memory only. Retries and dead-lettering follow the same rules as with
RabbitMQ (``bus.delivery``), and bodies go through the same JSON encoding, so a payload that
works here works on the broker.
"""

import heapq
import itertools
import logging
import os
import threading
import time
import weakref
from collections import deque
from dataclasses import dataclass
from typing import Self

from bus.delivery import DeadReason, Outcome, Verdict, deliver, describe
from bus.errors import BusUnavailable
from bus.handlers import autodiscover
from bus.payloads import Envelope
from bus.queues import Queue

logger = logging.getLogger(__name__)

DEAD_LETTERS_KEPT = 1000  # the newest ones; every dead letter is also logged at ERROR


@dataclass(frozen=True)
class DeadLetter:
    queue: Queue
    body: bytes
    attempts: int
    reason: DeadReason
    error: str


@dataclass(frozen=True, order=True)
class _Scheduled:
    due: float  # time.monotonic() at which it may run
    seq: int  # keeps first-in first-out order among equal due times
    queue: Queue
    body: bytes
    attempt: int


class InProcessTransport:
    def __init__(self, *, max_attempts: int, retry_delay_ms: int):
        self.max_attempts = max_attempts
        self.retry_delay = retry_delay_ms / 1000
        self._seq = itertools.count()
        self._closed = False
        self._reset()
        # A forked child (a pre-forking server) must not handle the parent's messages again, and
        # must not wait on a lock another thread of the parent held when it forked.
        transport = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: (t := transport()) and t._reset())

    def _reset(self) -> None:
        self.dead_letters: deque[DeadLetter] = deque(maxlen=DEAD_LETTERS_KEPT)
        self._scheduled: list[_Scheduled] = []  # a heap ordered by due time
        self._busy = 0
        self._worker_pid: int | None = None
        self._cond = threading.Condition()

    @classmethod
    def from_settings(cls, config: dict) -> Self:
        return cls(max_attempts=config["MAX_ATTEMPTS"], retry_delay_ms=config["RETRY_DELAY_MS"])

    def send(self, envelope: Envelope) -> None:
        self._schedule(envelope.queue, envelope.encode(), attempt=1, delay=0)

    def drain(self, timeout: float) -> bool:
        """Wait until every message, retries included, is handled or dead; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._scheduled and not self._busy, timeout)

    def check(self, timeout: float) -> dict:
        with self._cond:
            return {
                "transport": "inprocess",
                "pending": len(self._scheduled) + self._busy,
                "dead_letters": len(self.dead_letters),
            }

    def close(self) -> None:
        with self._cond:
            self._closed = True
            if self._scheduled:
                logger.warning("in-process bus closed, %d messages dropped", len(self._scheduled))
            self._cond.notify_all()

    def _schedule(self, queue: Queue, body: bytes, attempt: int, delay: float) -> None:
        with self._cond:
            if self._closed:
                raise BusUnavailable("the in-process bus is closed")
            self._start_worker()
            self._push(queue, body, attempt, delay)

    def _push(self, queue: Queue, body: bytes, attempt: int, delay: float) -> None:
        """Add a message to the schedule; the caller holds ``self._cond``."""
        item = _Scheduled(time.monotonic() + delay, next(self._seq), queue, body, attempt)
        heapq.heappush(self._scheduled, item)
        self._cond.notify_all()

    def _start_worker(self) -> None:
        # Started on first use, and again in a forked child, where the parent's thread is gone.
        if self._worker_pid == os.getpid():
            return
        autodiscover()  # here rather than in the thread, so an import error reaches the caller
        self._worker_pid = os.getpid()
        threading.Thread(target=self._work, name="bus-inprocess", daemon=True).start()

    def _work(self) -> None:
        while (item := self._take()) is not None:
            try:
                outcome = deliver(item.body, item.queue, item.attempt, self.max_attempts)
            except BaseException as exc:
                # deliver() turns every Exception into an outcome; this is SystemExit or the like
                # escaping a handler. Count it as a failed attempt and keep the worker alive:
                # it is the only one.
                logger.error("handler interrupted", exc_info=True, extra={"queue": item.queue})
                outcome = Outcome.after_failure(item.attempt, self.max_attempts, describe(exc))
            with self._cond:
                self._busy -= 1
                if outcome.verdict is Verdict.RETRY:
                    self._push(item.queue, item.body, item.attempt + 1, self.retry_delay)
                elif outcome.verdict is Verdict.DEAD:
                    self.dead_letters.append(
                        DeadLetter(
                            item.queue, item.body, item.attempt, outcome.dead_reason, outcome.error
                        )
                    )
                self._cond.notify_all()

    def _take(self) -> _Scheduled | None:
        """Wait for the next message that is due and mark it busy; None once closed."""
        with self._cond:
            while not self._closed:
                if not self._scheduled:
                    self._cond.wait()
                    continue
                wait = self._scheduled[0].due - time.monotonic()
                if wait <= 0:
                    self._busy += 1
                    return heapq.heappop(self._scheduled)
                self._cond.wait(wait)
            return None
