"""Waking the senders that wait for a busy WhatsApp number, in every consumer process.

A campaign message whose numbers are all busy waits in its handler thread. When a sender frees
a number, ``freed(instance_id)`` wakes the waiters of this process at once and, on PostgreSQL,
sends a ``NOTIFY`` that a listener thread in every consumer process (``listen``) turns into
the same wake-up. Otherwise a number freed in one process would sit idle until a waiter of
another process woke from its nap. Waiters still nap at most ``timeout`` seconds, so a lost
notification (a listener reconnecting) only costs time.
"""

import logging
import threading
import time

from django.db import connection

logger = logging.getLogger(__name__)

CHANNEL = "alrea_number_freed"
RECONNECT_SECONDS = 1.0

_condition = threading.Condition()
_generation = 0
_freed_at: dict[str, int] = {}  # instance id -> generation of its last free
_listener: threading.Thread | None = None


def generation() -> int:
    return _generation


def _wake(instance_id: str) -> None:
    global _generation
    with _condition:
        _generation += 1
        _freed_at[instance_id] = _generation
        if len(_freed_at) > 10_000:  # a long-lived process forgets numbers long freed
            _freed_at.clear()
        _condition.notify_all()


def freed(instance_id) -> None:
    """Number ``instance_id`` may send again: wake whoever waits for it, here and elsewhere."""
    _wake(str(instance_id))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, str(instance_id)])


def wait(instance_ids, since: int, timeout: float) -> bool:
    """Sleep until one of ``instance_ids`` is freed after generation ``since`` (True), or
    ``timeout`` seconds pass (False)."""
    wanted = {str(pk) for pk in instance_ids}
    deadline = time.monotonic() + timeout
    with _condition:
        while not any(_freed_at.get(pk, 0) > since for pk in wanted):
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            _condition.wait(left)
    return True


def listen() -> None:
    """Hear the numbers freed by other processes (``manage.py consume`` calls it: a process
    that sends alone, such as the embedded default, needs no listener)."""
    global _listener
    if connection.vendor != "postgresql" or (_listener and _listener.is_alive()):
        return
    with _condition:
        if _listener and _listener.is_alive():
            return
        params = connection.get_connection_params()
        _listener = threading.Thread(
            target=_listen, args=(params,), name="number-freed-listener", daemon=True
        )
        _listener.start()


def _listen(params: dict) -> None:
    import psycopg

    # Django's own cursor class and adapters are for its connections, not this one.
    params = {k: v for k, v in params.items() if k not in ("cursor_factory", "context")}
    while True:
        try:
            with psycopg.connect(**params, autocommit=True) as listening:
                listening.execute(f"LISTEN {CHANNEL}")
                for note in listening.notifies():
                    _wake(note.payload)
        except Exception:
            logger.warning("listening for freed numbers failed; retrying", exc_info=True)
            time.sleep(RECONNECT_SECONDS)
