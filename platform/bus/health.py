"""The bus's part of ``/healthz``."""

from django.conf import settings

from bus.transports import get_transport


def check() -> dict:
    """Raise when the configured transport cannot take messages; else describe it.

    With RabbitMQ this is a round trip to the broker, bounded by HEALTHZ_TIMEOUT_SECONDS.
    """
    return get_transport().check(settings.HEALTHZ_TIMEOUT_SECONDS)
