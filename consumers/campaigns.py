"""campaign.send: one message per campaign recipient, or per burst of them
(`manage.py consume campaign.send`)."""

from bus.handlers import DeliveryContext, gone_is_done, handles
from bus.payloads import CampaignSend
from bus.queues import Queue
from campaigns import bursts


@handles(Queue.CAMPAIGN_SEND)
@gone_is_done
def send_campaign_message(payload: CampaignSend, context: DeliveryContext) -> None:
    bursts.handle(payload.tenant_id, payload.campaign_id, payload.recipient_ids)
