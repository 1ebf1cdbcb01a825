"""Telling open campaign pages that a campaign changed (``campaigns.sockets`` listens).

``changed(campaign_id)`` is called wherever counters, status or events move, often inside the
send path, so it must cost next to nothing: after the transaction commits it only looks at an
in-process throttle, and at most once per ``INTERVAL`` per campaign a timer thread sends one
small "changed" message to the campaign's group. Each socket then rebuilds the panel itself
(in its user's language and time zone). A change inside the interval is never lost: it is
carried by the trailing push at the end of the interval. The channel layer failing (Redis down)
is logged, and never reaches the sender.
"""

import logging
import threading
import time

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

INTERVAL = 1.0  # seconds: at most one push per campaign per process in this long
MESSAGE = {"type": "campaign.changed"}
_lock = threading.Lock()
_due: set[str] = set()  # campaigns with a push waiting on a timer
_last: dict[str, float] = {}  # campaign -> when its last push left (time.monotonic())


def group_name(campaign_id) -> str:
    return f"campaign.{campaign_id}"


def changed(campaign_id) -> None:
    """Campaign ``campaign_id`` changed; its pages hear of it once the transaction commits."""
    transaction.on_commit(lambda: _soon(str(campaign_id)))


def _soon(campaign_id: str) -> None:
    with _lock:
        if campaign_id in _due:
            return  # the push already waiting will carry this change too
        _due.add(campaign_id)
        now = time.monotonic()
        wait = max(0.0, _last.get(campaign_id, -INTERVAL) + INTERVAL - now)
        if len(_last) > 1000:  # a long-lived process forgets campaigns quiet for a while
            for stale in [key for key, at in _last.items() if now - at > INTERVAL]:
                del _last[stale]
    # Always from a timer thread: a slow or dead Redis never holds up the caller.
    timer = threading.Timer(wait, _push, (campaign_id,))
    timer.daemon = True
    timer.start()


def _push(campaign_id: str) -> None:
    with _lock:
        # Before sending: a change made while it is on its way schedules the next push.
        _due.discard(campaign_id)
        _last[campaign_id] = time.monotonic()
    try:
        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.group_send)(group_name(campaign_id), MESSAGE)
    except Exception:
        logger.warning(
            "live campaign push failed", exc_info=True, extra={"campaign_id": campaign_id}
        )
