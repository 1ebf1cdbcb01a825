"""Where media bytes live: S3 (boto3 through django-storages) when ``S3_BUCKET`` is set, else
files under ``MEDIA_ROOT``.

Each attachment records which of the two holds its files (``Attachment.storage``), so files
stored before S3 was configured stay readable until ``media.migrate_s3`` moves them. Keys start
with the tenant's id (``<tenant_id>/attachments/<attachment_id>.<ext>``) and are derived from the
attachment alone: a redelivered download writes the same key again instead of a second copy.
"""

import mimetypes
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage
from django.core.signals import setting_changed
from django.dispatch import receiver
from storages.backends.s3 import S3Storage

from chat.models import Attachment

FILESYSTEM = Attachment.Storage.FILESYSTEM
S3 = Attachment.Storage.S3

# mimetypes' own guesses are odd for some of these (.jpe, .oga).
EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "audio/ogg": ".ogg",
    "audio/mpeg": ".mp3",
    "audio/mp4": ".m4a",
    "video/mp4": ".mp4",
    "application/pdf": ".pdf",
    "application/octet-stream": ".bin",
}


def current() -> str:
    """The backend new files go to."""
    return S3 if settings.MEDIA_S3 else FILESYSTEM


@cache
def backend(name: str) -> Storage:
    if name == S3:
        if not settings.MEDIA_S3:
            raise ImproperlyConfigured("S3 is not configured: set S3_BUCKET and its keys.")
        # Keys are unique per attachment: writing one again (a redelivery) replaces it.
        return S3Storage(**{**settings.MEDIA_S3, "file_overwrite": True})
    return FileSystemStorage(location=settings.MEDIA_ROOT, allow_overwrite=True)


@receiver(setting_changed)
def _forget_backends(setting, **kwargs):
    if setting in ("MEDIA_S3", "MEDIA_ROOT"):
        backend.cache_clear()


def extension_for(content_type: str) -> str:
    base = content_type.split(";")[0].strip()
    return EXTENSIONS.get(base) or mimetypes.guess_extension(base) or ".bin"


def attachment_key(attachment, content_type: str) -> str:
    return f"{attachment.tenant_id}/attachments/{attachment.pk}{extension_for(content_type)}"


def thumbnail_key(attachment) -> str:
    return f"{attachment.tenant_id}/thumbnails/{attachment.pk}.jpg"


def save(name: str, key: str, data: bytes, content_type: str) -> None:
    content = ContentFile(data)
    content.content_type = content_type  # S3Storage stores it as the object's Content-Type
    saved = backend(name).save(key, content)
    if saved != key:  # never expected with overwriting storages; a renamed file would be lost
        raise RuntimeError(f"storage saved {key!r} as {saved!r}")


def read(name: str, key: str) -> bytes:
    with backend(name).open(key, "rb") as file:
        return file.read()


def open_file(name: str, key: str):
    return backend(name).open(key, "rb")


def exists(name: str, key: str) -> bool:
    return backend(name).exists(key)


def delete(name: str, key: str) -> None:
    backend(name).delete(key)


def signed_url(key: str, *, content_type: str, disposition: str) -> str:
    """A short-lived S3 URL (``S3_URL_EXPIRE_SECONDS``) that answers with these headers."""
    return backend(S3).url(
        key,
        parameters={
            "ResponseContentType": content_type,
            "ResponseContentDisposition": disposition,
        },
    )
