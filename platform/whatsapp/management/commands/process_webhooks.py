"""python manage.py process_webhooks: apply received Evolution webhook events as they arrive.

Run one or more beside the web processes (they share the work through SKIP LOCKED). On
PostgreSQL the worker sleeps on LISTEN and wakes when an event is inserted; elsewhere it polls.
"""

import logging
import signal
import time

from django.core.management.base import BaseCommand
from django.db import DatabaseError, connection

from alrea.workers import keep_database_connections
from whatsapp import inbound

logger = logging.getLogger(__name__)
CHANNEL = "whatsapp_webhook_events"  # see migration 0004_notify_received_events
RECONNECT_PAUSE = 2.0
WAIT_SLICE = 0.5


class Command(BaseCommand):
    help = "Apply received Evolution webhook events (messages, receipts, connection changes)."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=inbound.PROCESS_BATCH)
        parser.add_argument(
            "--idle-seconds",
            type=float,
            default=1.0,
            help="Longest wait between looks at the queue when nothing wakes the worker.",
        )
        parser.add_argument("--once", action="store_true", help="Drain the queue, then exit.")

    def handle(self, *args, batch, idle_seconds, once, **options):
        self.running = True
        keep_database_connections()
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        self.stdout.write(f"Processing webhook events (batch {batch}).")
        listening = False
        while self.running:
            try:
                if not listening:
                    listening = self._listen()
                taken = inbound.process_pending(batch)
            except DatabaseError:
                # The database went away: keep the process, reconnect after a pause.
                logger.exception("process_webhooks lost the database; retrying")
                connection.close()
                listening = False
                time.sleep(RECONNECT_PAUSE)
                continue
            if taken == batch:
                continue  # more are waiting
            if once:
                break
            self._wait(idle_seconds, listening)
        self.stdout.write("Stopped.")

    def _listen(self) -> bool:
        if connection.vendor != "postgresql":
            return False
        connection.ensure_connection()
        connection.connection.execute(f"LISTEN {CHANNEL}")
        return True

    def _wait(self, seconds: float, listening: bool) -> None:
        """Until a NOTIFY (an insert committed) or ``seconds``, in short slices so that a
        stop signal is noticed quickly (a blocked wait is not interrupted by it)."""
        deadline = time.monotonic() + seconds
        while self.running and (left := deadline - time.monotonic()) > 0:
            if not listening:
                time.sleep(min(left, WAIT_SLICE))
                continue
            # psycopg keeps notifications that came in during earlier queries: ask it, not
            # the socket.
            for _notify in connection.connection.notifies(
                timeout=min(left, WAIT_SLICE), stop_after=1
            ):
                return

    def _stop(self, signum, frame):
        logger.info("process_webhooks stopping (signal %s)", signum)
        self.running = False
