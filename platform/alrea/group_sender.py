"""Channel-layer messages sent from synchronous code (a request, a worker), off its time.

``GroupSender.submit`` hands a batch of (group, message) to one background thread and returns
at once, so a slow or dead Redis never holds up the caller; batches leave in the order they were
submitted. The thread keeps one event loop for its whole life: ``async_to_sync`` made a new loop
per call, and the channel layer new Redis connections per loop, so a burst (a campaign's events,
a new conversation notifying a department of 50) queued up faster than it left. A send that
fails is logged and lost: the pages catch up from the database.
"""

import asyncio
import logging
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor

from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)


class GroupSender:
    def __init__(self, name: str, failure: str):
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._failure = failure  # the warning logged when a batch cannot be sent
        self._loop: asyncio.AbstractEventLoop | None = None  # touched by the thread only

    def submit(self, messages: Iterable[tuple[str, dict]]) -> Future:
        return self._thread.submit(self._send, list(messages))

    def _send(self, messages: list[tuple[str, dict]]) -> None:
        try:
            layer = get_channel_layer()
            if layer is None:
                return
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
            for group, message in messages:
                self._loop.run_until_complete(layer.group_send(group, message))
        except Exception:
            logger.warning(self._failure, exc_info=True)
