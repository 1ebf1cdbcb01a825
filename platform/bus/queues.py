"""The queue names: the one list every publisher and consumer agrees on."""

from enum import StrEnum


class Queue(StrEnum):
    CAMPAIGN_SEND = "campaign.send"
    CHAT_SEND = "chat.send"
    MEDIA_DOWNLOAD = "media.download"
    MEDIA_MIGRATE_S3 = "media.migrate_s3"
    CONTACT_PROFILE_PIC = "contact.profile_pic"
    WEBHOOK_OUTBOUND = "webhook.outbound"
