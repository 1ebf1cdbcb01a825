"""The bus's own exceptions, so callers can catch bus problems without knowing the transport."""


class BusError(Exception):
    """Base class for every error the bus raises."""


class BusUnavailable(BusError):
    """The transport could not take the message (broker down, no confirm in time).

    Never swallowed: a message that was not confirmed must be visible to the caller.
    """


class MalformedMessage(BusError):
    """A message body that does not decode into an envelope and payload of its queue.

    Retrying cannot fix it, so it goes to the dead-letter queue on its first delivery.
    """


class NoHandler(BusError):
    """No handler is registered for a queue."""


class Gone(BusError):
    """Raised by a handler when the row its message is about no longer exists.

    The delivery counts the message as handled (logged at INFO) instead of retrying it: a
    deleted campaign or conversation will not come back. ``bus.handlers.gone_is_done`` raises
    it for the tenant access helpers' Http404 and for ``DoesNotExist``.
    """
