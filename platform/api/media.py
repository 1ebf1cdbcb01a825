"""Files sent through the API: given as a URL that Alrea downloads or as base64, then checked and
sent exactly like a file from the chat page's composer (``chat.uploads``, ``outbox.queue_file``):
the same size limit, blocked kinds, type taken from the bytes, image previews.

The download is an SSRF risk like a webhook: the URL must be http(s) and, in production, resolve
to a public address; redirects are not followed (one could lead to a private address); it has a
bounded time and size.
"""

import base64
import binascii
import os
import time
from urllib.parse import unquote, urlsplit

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from api import webhooks
from chat import uploads

DOWNLOAD_SECONDS = 20
DATA_URL_MARK = ";base64,"


class MediaInput(serializers.Serializer):
    url = serializers.URLField(
        required=False, max_length=2000, help_text=gettext_lazy("A public http(s) URL of the file.")
    )
    base64 = serializers.CharField(
        required=False,
        trim_whitespace=True,
        help_text=gettext_lazy("The file's bytes in base64 (a data: URL also works)."),
    )
    filename = serializers.CharField(
        required=False,
        max_length=255,
        help_text=gettext_lazy("Shown to the customer for documents; by default from the URL."),
    )
    mimetype = serializers.CharField(
        required=False,
        max_length=128,
        help_text=gettext_lazy("Declared type; the file's own bytes decide when they can."),
    )

    def validate(self, attrs):
        if bool(attrs.get("url")) == bool(attrs.get("base64")):
            raise serializers.ValidationError(_("Send either “url” or “base64”."))
        return attrs


def checked_file(chosen: dict, *, caption: str = "") -> uploads.File:
    """The file ``MediaInput`` describes, read and checked; ValidationError on ``media`` else."""
    try:
        if chosen.get("url"):
            data, declared = _download(chosen["url"])
            name = chosen.get("filename") or _name_in(chosen["url"])
        else:
            data, declared = _decode(chosen["base64"])
            name = chosen.get("filename") or "file"
        upload = SimpleUploadedFile(name, data, content_type=chosen.get("mimetype") or declared)
        return uploads.check(upload, caption=caption)
    except DjangoValidationError as error:
        raise serializers.ValidationError({"media": error.messages}) from None


def _too_large(size: int) -> DjangoValidationError:
    limit = settings.CHAT_UPLOAD_MAX_BYTES
    return DjangoValidationError(
        _("The file is too large (%(size)s; the limit is %(limit)s).")
        % {"size": filesizeformat(size), "limit": filesizeformat(limit)},
        code="too_large",
    )


def _decode(text: str) -> tuple[bytes, str]:
    declared = ""
    if text.startswith("data:") and DATA_URL_MARK in text:
        header, text = text.split(DATA_URL_MARK, 1)
        declared = header[len("data:") :]
    # Refused before decoding: a huge string must not become huge bytes first.
    if len(text) * 3 // 4 > settings.CHAT_UPLOAD_MAX_BYTES + 2:
        raise _too_large(len(text) * 3 // 4)
    try:
        return base64.b64decode(text, validate=True), declared
    except (binascii.Error, ValueError):
        raise DjangoValidationError(_("“base64” is not valid base64."), code="bad_base64") from None


def _download(url: str) -> tuple[bytes, str]:
    try:
        webhooks.check_url(url)
    except DjangoValidationError as error:
        if error.code == "private_address":
            raise DjangoValidationError(
                _("%(host)s is a private or local address; give a public URL of the file.")
                % {"host": urlsplit(url).hostname},
                code="private_address",
            ) from None
        raise
    limit = settings.CHAT_UPLOAD_MAX_BYTES
    deadline = time.monotonic() + DOWNLOAD_SECONDS
    try:
        with (
            httpx.Client(timeout=DOWNLOAD_SECONDS, follow_redirects=False) as client,
            client.stream("GET", url, headers={"User-Agent": "Alrea-Media/1"}) as reply,
        ):
            if reply.status_code != 200:
                raise DjangoValidationError(
                    _("The file's URL answered HTTP %(status)s; give a URL that answers 200.")
                    % {"status": reply.status_code},
                    code="download_failed",
                )
            data = b""
            for chunk in reply.iter_bytes():
                data += chunk
                if len(data) > limit:
                    raise _too_large(len(data))
                if time.monotonic() > deadline:
                    raise httpx.ReadTimeout("the download took too long")
            return data, reply.headers.get("content-type", "")
    except httpx.HTTPError as error:
        raise DjangoValidationError(
            _("The file could not be downloaded: %(error)s.") % {"error": error},
            code="download_failed",
        ) from None


def _name_in(url: str) -> str:
    return os.path.basename(unquote(urlsplit(url).path)) or "file"
