"""media.download: the media of a received message fetched from Evolution, checked, stored and
thumbnailed, once.

Keys are derived from the attachment, so two deliveries of the same work (a redelivery, a
duplicate publish) write the same objects; the attachment moves from pending to ready or failed
by compare-and-swap, and a delivery that finds it settled does nothing.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta
from itertools import groupby
from operator import itemgetter

from django.conf import settings
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from bus.payloads import MediaDownload
from bus.publish import publish_many
from chat.models import Attachment, Message
from media import signals, sniffing, storage, thumbnails
from tenancy.limits import TenantSuspendedError
from whatsapp import evolution, servers

logger = logging.getLogger(__name__)

PENDING = Attachment.Status.PENDING
# The sweeper's clock: a download normally ends within seconds, retries included.
REQUEUE_AFTER = timedelta(minutes=15)
GIVE_UP_AFTER = timedelta(days=3)
IMAGE_MESSAGES = {Message.Type.IMAGE, Message.Type.STICKER}
# Answers that asking again cannot change (400 "Message not found", 404 no such instance...).
REFUSALS = (evolution.ValidationError, evolution.InstanceNotFound, evolution.Unauthorized)


class Refused(Exception):
    """The media cannot be stored, for a reason an agent can read."""


@dataclass(frozen=True)
class Stored:
    backend: str
    key: str
    thumbnail_key: str
    content_type: str
    size: int
    file_name: str
    width: int | None
    height: int | None


def sweep(now=None) -> int:
    """Publish media.download again for attachments still pending after ``REQUEUE_AFTER`` (a
    publish lost after commit, a message dead-lettered while Evolution was down), and fail
    those pending past ``GIVE_UP_AFTER``: WhatsApp's media links expire. A django-q2 schedule
    runs it; returns how many were queued again."""
    now = now or timezone.now()
    pending = Attachment.objects.filter(status=PENDING)
    expired = pending.filter(created_at__lt=now - GIVE_UP_AFTER)
    for attachment in expired:
        _settle(
            attachment,
            status=Attachment.Status.FAILED,
            error=_("The file was not downloaded in time; WhatsApp no longer has it."),
        )
    stale = pending.filter(created_at__lt=now - REQUEUE_AFTER, created_at__gte=now - GIVE_UP_AFTER)
    queued = 0
    rows = stale.order_by("tenant_id").values_list("tenant_id", "message_id")
    for tenant_id, group in groupby(rows.iterator(), key=itemgetter(0)):
        payloads = [MediaDownload(tenant_id=tenant_id, message_id=pk) for _tenant, pk in group]
        try:
            queued += len(publish_many(payloads))
        except TenantSuspendedError:
            continue  # picked up again once the tenant is active
    return queued


def download(tenant_id, message_id, *, last_attempt: bool) -> None:
    """Store the media of message ``message_id`` if its attachment is still pending.

    Raises Attachment.DoesNotExist when it is gone, and the Evolution error when a retry may
    help (on the last attempt the attachment fails with it instead).
    """
    attachment = (
        Attachment.objects.for_tenant(tenant_id)
        .select_related("message__conversation__instance")
        .get(message_id=message_id)
    )
    if attachment.status != PENDING:  # an earlier delivery settled it
        return
    try:
        stored = _fetch_and_store(attachment)
    except Refused as reason:
        _settle(attachment, status=Attachment.Status.FAILED, error=str(reason))
        return
    except evolution.EvolutionError as exc:
        if not last_attempt:
            raise
        _settle(
            attachment,
            status=Attachment.Status.FAILED,
            error=_("WhatsApp did not deliver the file: %(error)s") % {"error": exc},
        )
        return
    _settle(
        attachment,
        status=Attachment.Status.READY,
        error="",
        storage=stored.backend,
        storage_key=stored.key,
        thumbnail_key=stored.thumbnail_key,
        mimetype=stored.content_type,
        size=stored.size,
        file_name=stored.file_name,
        width=stored.width,
        height=stored.height,
    )


def _fetch_and_store(attachment: Attachment) -> Stored:
    message = attachment.message
    _check_size(attachment.size)  # declared by WhatsApp: no need to fetch what is refused
    instance = message.conversation.instance
    if instance is None:
        raise Refused(_("The WhatsApp number of this chat was deleted."))
    try:
        with servers.client_for(instance) as client:
            media = client.get_media(instance.evolution_name, _message_object(message))
    except REFUSALS as exc:
        raise Refused(_("WhatsApp did not deliver the file: %(error)s") % {"error": exc}) from None
    if media is None or not media.data:
        raise Refused(_("The message carries no file."))
    _check_size(len(media.data))
    content_type = sniffing.content_type(media.data, attachment.mimetype or media.mimetype)
    preview = _thumbnail(message, media.data, content_type)
    backend = storage.current()
    key = storage.attachment_key(attachment, content_type)
    storage.save(backend, key, media.data, content_type)
    thumbnail_key = ""
    if preview is not None:
        thumbnail_key = storage.thumbnail_key(attachment)
        storage.save(backend, thumbnail_key, preview.data, "image/jpeg")
    return Stored(
        backend=backend,
        key=key,
        thumbnail_key=thumbnail_key,
        content_type=content_type,
        size=len(media.data),
        file_name=attachment.file_name or media.file_name,
        width=preview.width if preview else attachment.width,
        height=preview.height if preview else attachment.height,
    )


def _check_size(size: int | None) -> None:
    limit = settings.MEDIA_MAX_DOWNLOAD_BYTES
    if size and size > limit:
        raise Refused(
            _("The file is too large (%(size)s; the limit is %(limit)s).")
            % {"size": filesizeformat(size), "limit": filesizeformat(limit)}
        )


def _message_object(message: Message) -> dict | evolution.MessageKey:
    """The message as the webhook had it (Evolution decrypts it without a lookup), else its
    key (Evolution finds it in its own store)."""
    raw = message.metadata or {}
    if isinstance(raw.get("key"), dict) and isinstance(raw.get("message"), dict):
        return {"key": raw["key"], "message": raw["message"]}
    return evolution.MessageKey(
        id=message.provider_id,
        remote_jid=message.conversation.remote_jid,
        from_me=message.direction == Message.Direction.OUTBOUND,
    )


def _thumbnail(message: Message, data: bytes, content_type: str):
    is_raster = sniffing.base_type(content_type) in sniffing.RASTER_IMAGES
    if message.type in IMAGE_MESSAGES and not is_raster:
        raise Refused(_("The file is not a valid image."))
    if not is_raster:
        return None
    try:
        return thumbnails.make(data)
    except thumbnails.BadImage as exc:
        raise Refused(str(exc)) from None


def _settle(attachment: Attachment, *, status: str, **fields) -> None:
    # Compare-and-swap: only the delivery that moves it out of pending reports the change.
    settled = Attachment.objects.filter(pk=attachment.pk, status=PENDING).update(
        status=status, settled_at=timezone.now(), **fields
    )
    if not settled:
        return
    log = logger.info if status == Attachment.Status.READY else logger.warning
    log(
        "attachment %s %s",
        attachment.pk,
        status,
        extra={"tenant_id": attachment.tenant_id, "message_id": attachment.message_id},
    )
    changed = Attachment.objects.get(pk=attachment.pk)
    transaction.on_commit(lambda: _announce(changed))


def _announce(attachment: Attachment) -> None:
    # A failing receiver (a live push) must not undo or retry the stored download.
    for receiver, result in signals.attachment_changed.send_robust(
        sender=Attachment, attachment=attachment
    ):
        if isinstance(result, Exception):
            logger.error(
                "attachment_changed receiver %r failed",
                receiver,
                exc_info=result,
                extra={"tenant_id": attachment.tenant_id},
            )
