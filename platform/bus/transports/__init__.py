"""Transports carry envelopes to handlers: RabbitMQ, or a worker thread in this process.

``settings.BUS["TRANSPORT"]`` picks one. The instance is shared by the whole process and rebuilt
when a test overrides ``BUS``.
"""

import threading
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from bus.payloads import Envelope


class Transport(Protocol):
    def send(self, envelope: Envelope) -> None:
        """Hand the message over; return only once it is safe (raises BusUnavailable)."""

    def check(self, timeout: float) -> dict:
        """Raise when the transport cannot take messages; else describe it."""

    def close(self) -> None: ...


_transport: Transport | None = None
_lock = threading.Lock()


def get_transport() -> Transport:
    global _transport
    with _lock:
        if _transport is None:
            _transport = _build(settings.BUS)
        return _transport


def _build(config: dict) -> Transport:
    # Imported here: only the chosen transport's dependencies get loaded.
    if config["TRANSPORT"] == "rabbitmq":
        from bus.transports.rabbitmq import RabbitMQTransport

        return RabbitMQTransport.from_settings(config)
    if config["TRANSPORT"] == "inprocess":
        from bus.transports.inprocess import InProcessTransport

        return InProcessTransport.from_settings(config)
    raise ImproperlyConfigured(f"unknown BUS['TRANSPORT'] {config['TRANSPORT']!r}")


def reset_transport() -> None:
    """Close the shared transport; the next ``get_transport()`` builds a new one."""
    global _transport
    with _lock:
        transport, _transport = _transport, None
    if transport is not None:
        transport.close()


@receiver(setting_changed)
def _reset_on_bus_change(*, setting, **kwargs):
    if setting == "BUS":
        reset_transport()
