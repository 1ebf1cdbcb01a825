"""What long-running worker processes (queue consumers, the webhook worker) change for
themselves."""

from django.conf import settings
from django.db import connections


def keep_database_connections() -> None:
    """Reuse database connections for WORKER_DATABASE_CONN_MAX_AGE seconds.

    A worker's threads live as long as the process, unlike daphne's, so the reason the web
    process opens a connection per request does not apply; a new PostgreSQL connection per
    queue message cost several milliseconds of each campaign send (docs/performance.md).
    """
    for alias in connections.settings:
        connections.settings[alias]["CONN_MAX_AGE"] = settings.WORKER_DATABASE_CONN_MAX_AGE
