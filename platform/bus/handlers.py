"""Which function handles each queue.

A handler is a plain synchronous function ``handler(payload, context)``; transports run it in a
worker thread. Delivery is at least once, so every handler must be idempotent: the same message
can arrive again after a crash, a lost connection or a retry, and handling it twice must not
send a second WhatsApp message. Check-and-set the state the message is about (for example
``UPDATE ... SET status='sending' WHERE status='queued'``) before the side effect, and treat
"already done" as success, and a row that is gone (deleted since the message was published) as
done too (``gone_is_done``). Raise to ask for a retry.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from importlib import import_module

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ObjectDoesNotExist
from django.http import Http404

from bus.errors import Gone, NoHandler
from bus.payloads import Payload
from bus.queues import Queue


@dataclass(frozen=True)
class DeliveryContext:
    message_id: str  # the same on every delivery of one message: use it to spot repeats
    queue: Queue
    attempt: int  # 1 on the first delivery
    published_at: datetime


type Handler = Callable[[Payload, DeliveryContext], None]

_handlers: dict[Queue, Handler] = {}


def handles(queue: Queue) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of ``queue`` (one handler per queue)."""

    def register(handler: Handler) -> Handler:
        current = _handlers.get(queue)
        if current is not None and current is not handler:
            raise ImproperlyConfigured(
                f"{queue} already has a handler: {current.__module__}.{current.__qualname__}"
            )
        _handlers[queue] = handler
        return handler

    return register


def gone_is_done(handler: Handler) -> Handler:
    """Acknowledge instead of retrying when the handler finds its row gone.

    ``tenancy.access`` helpers raise Http404 for a row that was deleted (or never belonged to the
    tenant), the ORM raises DoesNotExist: retrying would only fail MAX_ATTEMPTS times.
    """

    @functools.wraps(handler)
    def wrapper(payload: Payload, context: DeliveryContext) -> None:
        try:
            handler(payload, context)
        except (Http404, ObjectDoesNotExist) as exc:
            raise Gone(str(exc)) from exc

    return wrapper


def unregister(queue: Queue) -> None:
    _handlers.pop(queue, None)


def get_handler(queue: Queue) -> Handler:
    try:
        return _handlers[queue]
    except KeyError:
        raise NoHandler(f"no handler is registered for queue {queue}") from None


def autodiscover() -> None:
    """Import the modules that register handlers.

    Those are ``consumers.HANDLER_MODULES`` (one module per queue family) plus any listed in
    ``settings.BUS["HANDLER_MODULES"]`` (BUS_HANDLER_MODULES; the tests use it for theirs).
    """
    consumers = import_module("consumers")
    for name in [*consumers.HANDLER_MODULES, *settings.BUS["HANDLER_MODULES"]]:
        import_module(name)
