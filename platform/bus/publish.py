"""Publishing: messages leave only once the data they point at is committed.

A consumer that receives ``CampaignSend(recipient_id=...)`` before the recipient row is committed
would not find it, and one from a transaction that rolls back would act on nothing. So
``publish()`` waits for the commit (and is dropped with a rollback); outside a transaction
Django runs the callback at once.

If the transport cannot take the message, BusUnavailable propagates from the point where the
transaction commits: the data is committed but the message was not sent, and the caller sees
the error instead of a silent loss.
"""

from functools import partial

from django.db import transaction

from bus.payloads import Envelope, Payload
from bus.transports import get_transport


def publish(payload: Payload) -> str:
    """Send ``payload`` to its queue when the current transaction commits; return the message id."""
    envelope = Envelope.wrap(payload)  # built now, so a wrong payload fails at the call site
    transaction.on_commit(partial(_send, envelope))
    return envelope.id


def publish_now(payload: Payload) -> str:
    """Send ``payload`` immediately, inside or outside a transaction; return the message id.

    Only for messages that do not depend on uncommitted rows.
    """
    envelope = Envelope.wrap(payload)
    _send(envelope)
    return envelope.id


def _send(envelope: Envelope) -> None:
    get_transport().send(envelope)
