"""media.migrate_s3: files stored on the server's disk moved to S3, one attachment per message.

``queue_all`` publishes one message per attachment still on the disk (the management command
``migrate_media_to_s3``). Each move copies the files (same keys), switches the attachment to S3
by compare-and-swap, then removes the local copies: a redelivery finds it on S3 and only removes
local copies a crash may have left.
"""

import logging
from itertools import batched, groupby
from operator import itemgetter

from django.utils.translation import gettext as _

from bus.payloads import MediaMigrateS3
from bus.publish import publish_many
from chat.models import Attachment
from media import storage
from tenancy.limits import TenantSuspendedError

logger = logging.getLogger(__name__)

BATCH = 500


def on_disk(tenant=None):
    rows = Attachment.objects.filter(
        status=Attachment.Status.READY, storage=Attachment.Storage.FILESYSTEM
    )
    return rows.for_tenant(tenant) if tenant is not None else rows


def queue_all(tenant=None) -> tuple[int, list]:
    """Publish a move for every attachment on the disk (of ``tenant``).

    Returns how many were queued and the ids of suspended tenants left out (their messages
    would only wait in the dead-letter queue).
    """
    storage.backend(storage.S3)  # fails now, not in every consumer, when S3 is not configured
    queued, suspended = 0, []
    rows = on_disk(tenant).order_by("tenant_id").values_list("tenant_id", "pk")
    for tenant_id, attachment_ids in groupby(rows.iterator(), key=itemgetter(0)):
        try:
            for batch in batched((pk for _tenant, pk in attachment_ids), BATCH):
                payloads = [MediaMigrateS3(tenant_id=tenant_id, attachment_id=pk) for pk in batch]
                queued += len(publish_many(payloads))
        except TenantSuspendedError:
            suspended.append(tenant_id)
    return queued, suspended


def move_to_s3(tenant_id, attachment_id) -> None:
    """Raises Attachment.DoesNotExist when it is gone, and storage errors for a retry."""
    attachment = Attachment.objects.for_tenant(tenant_id).get(pk=attachment_id)
    keys = [key for key in (attachment.storage_key, attachment.thumbnail_key) if key]
    if attachment.storage == Attachment.Storage.S3:
        _remove_local(keys)  # moved by an earlier delivery that may have stopped before this
        return
    if attachment.storage != Attachment.Storage.FILESYSTEM:
        return  # not stored yet, or failed: nothing to move
    for key in keys:
        content_type = attachment.mimetype if key == attachment.storage_key else "image/jpeg"
        try:
            data = storage.read(storage.FILESYSTEM, key)
        except FileNotFoundError:
            if storage.exists(storage.S3, key):
                continue  # copied before, its local file already removed
            _lost(attachment, key)
            return
        storage.save(storage.S3, key, data, content_type)
    # Compare-and-swap: one delivery switches it; the local copies go only once S3 has them.
    moved = Attachment.objects.filter(
        pk=attachment.pk, storage=Attachment.Storage.FILESYSTEM
    ).update(storage=Attachment.Storage.S3)
    if moved:
        _remove_local(keys)


def _remove_local(keys) -> None:
    for key in keys:
        storage.delete(storage.FILESYSTEM, key)  # a missing file is not an error


def _lost(attachment: Attachment, key: str) -> None:
    logger.error(
        "attachment %s: %s is on neither the disk nor S3",
        attachment.pk,
        key,
        extra={"tenant_id": attachment.tenant_id},
    )
    Attachment.objects.filter(pk=attachment.pk, storage=Attachment.Storage.FILESYSTEM).update(
        status=Attachment.Status.FAILED, error=_("The stored file is missing.")
    )
