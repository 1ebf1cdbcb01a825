"""Publishing: messages leave only once the data they point at is committed.

A consumer that receives ``CampaignSend(recipient_id=...)`` before the recipient row is committed
would not find it, and one from a transaction that rolls back would act on nothing. So
``publish()`` waits for the commit (and is dropped with a rollback); outside a transaction
Django runs the callback at once.

A send that fails after the commit cannot undo the commit, and raising from a commit hook would
stop Django from running the transaction's later hooks (the other messages among them). So each
failure is logged at ERROR with the message id, queue and tenant, and the other messages are
still sent; the owning domain keeps its state in the database (a recipient stays ``queued``)
and its sweeper publishes again what is still pending.

Suspended tenants cannot send: both functions refuse their payloads at the call site.
"""

import logging
from functools import partial

from django.db import transaction

from bus.payloads import Envelope, Payload
from bus.transports import get_transport
from tenancy.limits import require_active
from tenancy.models import Tenant

logger = logging.getLogger(__name__)


def publish(payload: Payload) -> str:
    """Send ``payload`` to its queue when the current transaction commits; return the message id.

    Raises TenantSuspendedError (or Tenant.DoesNotExist) at once; a failed send is only logged.
    """
    envelope = _envelope(payload)
    # Not Django's robust=True: its log line would not say which message was lost.
    transaction.on_commit(partial(_send_after_commit, envelope))
    return envelope.id


def publish_many(payloads: list[Payload]) -> list[str]:
    """``publish`` for a batch of one tenant: its state is checked once, not per message."""
    if not payloads:
        return []
    tenants = {payload.tenant_id for payload in payloads}
    if len(tenants) != 1:
        raise ValueError("publish_many takes the payloads of one tenant")
    require_active(Tenant.objects.get(pk=tenants.pop()))
    envelopes = [Envelope.wrap(payload) for payload in payloads]
    transaction.on_commit(partial(_send_all_after_commit, envelopes))
    return [envelope.id for envelope in envelopes]


def _send_all_after_commit(envelopes: list[Envelope]) -> None:
    for envelope in envelopes:
        _send_after_commit(envelope)


def publish_now(payload: Payload) -> str:
    """Send ``payload`` immediately, inside or outside a transaction; return the message id.

    Only for messages that do not depend on uncommitted rows. Raises BusUnavailable.
    """
    envelope = _envelope(payload)
    get_transport().send(envelope)
    return envelope.id


def _envelope(payload: Payload) -> Envelope:
    envelope = Envelope.wrap(payload)  # built now, so a wrong payload fails at the call site
    require_active(Tenant.objects.get(pk=payload.tenant_id))
    return envelope


def _send_after_commit(envelope: Envelope) -> None:
    try:
        get_transport().send(envelope)
    except Exception:
        logger.exception(
            "message not published after commit; the sweeper of its domain must send it again",
            extra={
                "message_id": envelope.id,
                "queue": str(envelope.queue),
                "tenant_id": envelope.payload.tenant_id,
            },
        )
