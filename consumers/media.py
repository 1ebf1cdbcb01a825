"""media.download, media.migrate_s3 and contact.profile_pic (see media.*)."""

from django.conf import settings

from bus.handlers import gone_is_done, handles
from bus.payloads import ContactProfilePic, MediaDownload, MediaMigrateS3
from bus.queues import Queue
from media import downloads, profile_pictures, s3_migration


@handles(Queue.MEDIA_DOWNLOAD)
@gone_is_done
def download(payload: MediaDownload, context) -> None:
    last_attempt = context.attempt >= settings.BUS["MAX_ATTEMPTS"]
    downloads.download(payload.tenant_id, payload.message_id, last_attempt=last_attempt)


@handles(Queue.MEDIA_MIGRATE_S3)
@gone_is_done
def migrate_s3(payload: MediaMigrateS3, context) -> None:
    s3_migration.move_to_s3(payload.tenant_id, payload.attachment_id)


@handles(Queue.CONTACT_PROFILE_PIC)
@gone_is_done
def profile_picture(payload: ContactProfilePic, context) -> None:
    profile_pictures.refresh(payload.tenant_id, payload.contact_id, payload.instance_id)
