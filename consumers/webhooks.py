"""webhook.outbound: deliveries to integrators' URLs (see api.outbound)."""

from api import outbound
from bus.handlers import gone_is_done, handles
from bus.payloads import WebhookOutbound
from bus.queues import Queue


@handles(Queue.WEBHOOK_OUTBOUND)
@gone_is_done
def deliver(payload: WebhookOutbound, context) -> None:
    outbound.deliver(payload.tenant_id, payload.delivery_id)
