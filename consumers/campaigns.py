"""campaign.send: one message per campaign recipient (`manage.py consume campaign.send`)."""

from bus.handlers import DeliveryContext, gone_is_done, handles
from bus.payloads import CampaignSend
from bus.queues import Queue
from campaigns import engine


@handles(Queue.CAMPAIGN_SEND)
@gone_is_done
def send_campaign_message(payload: CampaignSend, context: DeliveryContext) -> None:
    engine.handle(payload.tenant_id, payload.campaign_id, payload.recipient_id)
