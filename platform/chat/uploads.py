"""Files agents send from the composer: checked, then stored under the tenant's prefix.

The content type comes from the bytes (``media.sniffing``), as for received media; the message
type follows from it: raster images (not GIFs, which WhatsApp would not animate) are sent as
images with a preview, MP4 as video, audio as a voice note, anything else as a document. The
file is stored before its message exists (its key derives from the attachment's id, chosen
here), so the page shows it at once and chat.send reads it back from storage.
"""

import os
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from chat.models import Attachment, Message
from media import sniffing, storage, thumbnails

T = Message.Type
IMAGES = {"image/jpeg", "image/png", "image/webp"}
VIDEOS = {"video/mp4", "video/3gpp"}
# Programs and pages: a customer's phone or browser would run them.
BLOCKED_EXTENSIONS = {
    ".exe", ".bat", ".cmd", ".com", ".scr", ".msi", ".vbs", ".js", ".jar",
    ".html", ".htm", ".svg", ".xhtml",
}  # fmt: skip
MAX_NAME = 255


@dataclass(frozen=True)
class File:
    name: str
    data: bytes
    content_type: str
    message_type: str
    thumbnail: thumbnails.Thumbnail | None


def check(upload, *, caption: str = "") -> File:
    """The uploaded file (a Django ``UploadedFile``) ready to send, or a ValidationError that
    says what is wrong with it."""
    if upload is None:
        raise ValidationError(_("Choose a file first."), code="missing")
    limit = settings.CHAT_UPLOAD_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("The file is too large (%(size)s; the limit is %(limit)s).")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            code="too_large",
        )
    if not upload.size:
        raise ValidationError(_("The file is empty."), code="empty")
    name = _clean_name(upload.name)
    declared = upload.content_type or ""
    if os.path.splitext(name)[1].lower() in BLOCKED_EXTENSIONS or sniffing.is_active(declared):
        raise ValidationError(_("This kind of file cannot be sent."), code="blocked")
    data = upload.read()
    content_type = sniffing.content_type(data, declared)
    message_type = message_type_for(content_type)
    if message_type == T.AUDIO and caption:
        raise ValidationError(
            _("A voice note has no caption: send the text as a message of its own."),
            code="caption",
        )
    thumbnail = None
    if message_type == T.IMAGE:
        try:
            thumbnail = thumbnails.make(data)
        except thumbnails.BadImage as exc:
            raise ValidationError(str(exc), code="bad_image") from None
    return File(name, data, content_type, message_type, thumbnail)


def message_type_for(content_type: str) -> str:
    base = sniffing.base_type(content_type)
    if base in IMAGES:
        return T.IMAGE
    if base in VIDEOS:
        return T.VIDEO
    if base.startswith("audio/"):
        return T.AUDIO
    return T.DOCUMENT


def _clean_name(name: str) -> str:
    # Browsers send a bare name, but a path or control characters must not reach WhatsApp.
    base = os.path.basename((name or "").replace("\\", "/"))
    base = "".join(c for c in base if c.isprintable()).strip()
    if len(base) > MAX_NAME:
        stem, ext = os.path.splitext(base)
        base = stem[: MAX_NAME - len(ext)] + ext
    return base or "file"


def new_attachment(tenant_id, file: File) -> Attachment:
    """An unsaved, ready attachment whose file (and preview) are already in storage."""
    attachment = Attachment(
        tenant_id=tenant_id,
        mimetype=file.content_type,
        file_name=file.name,
        size=len(file.data),
        width=file.thumbnail.width if file.thumbnail else None,
        height=file.thumbnail.height if file.thumbnail else None,
        is_voice_note=file.message_type == T.AUDIO,
        status=Attachment.Status.READY,
        storage=storage.current(),
    )
    attachment.storage_key = storage.attachment_key(attachment, file.content_type)
    storage.save(attachment.storage, attachment.storage_key, file.data, file.content_type)
    if file.thumbnail is not None:
        attachment.thumbnail_key = storage.thumbnail_key(attachment)
        storage.save(
            attachment.storage, attachment.thumbnail_key, file.thumbnail.data, "image/jpeg"
        )
    return attachment


def forget(attachment: Attachment) -> None:
    """Remove the stored files of an attachment whose message was never saved."""
    for key in (attachment.storage_key, attachment.thumbnail_key):
        if key:
            storage.delete(attachment.storage, key)
