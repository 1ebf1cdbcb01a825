"""The only way a browser gets media: a signed-in user, the tenant's rows they may see.

Attachments follow their conversation's visibility (``ChatQuerySet.visible_to``): another
tenant's file, or a conversation the user may not see, answers 404 like a missing one. A file on
the disk is streamed from here; a file on S3 is a redirect to a short-lived signed URL. Nothing
here fetches a URL: contact pictures come from the cache that ``contact.profile_pic`` fills.
"""

import re

from django.contrib.auth.decorators import login_required, permission_required
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from chat.models import Attachment
from contacts.models import Contact
from media import profile_pictures, sniffing, storage
from tenancy.access import get_visible_or_404

# The browser may keep what it fetched, but no shared cache may.
PRIVATE = "private, max-age=3600"
SINGLE_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
CHUNK = 64 * 1024


@require_GET
@login_required
@permission_required("chat.view_message", raise_exception=True)
def attachment_file(request, pk):
    attachment = _ready_attachment(request, pk)
    name = attachment.file_name or "file"
    return _serve(request, attachment, attachment.storage_key, attachment.mimetype, name)


@require_GET
@login_required
@permission_required("chat.view_message", raise_exception=True)
def attachment_thumbnail(request, pk):
    attachment = _ready_attachment(request, pk)
    if not attachment.thumbnail_key:
        raise Http404("This attachment has no preview.")
    return _serve(request, attachment, attachment.thumbnail_key, "image/jpeg", "preview.jpg")


@require_GET
@login_required
@permission_required("contacts.view_contact", raise_exception=True)
def contact_picture(request, pk):
    contact = get_visible_or_404(Contact, request.user, pk=pk)
    picture = profile_pictures.cached(contact)
    if picture is None:
        profile_pictures.request_refresh(contact)
        raise Http404("No picture yet.")
    response = HttpResponse(picture.data, content_type=picture.content_type)
    response["Cache-Control"] = "private, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _ready_attachment(request, pk) -> Attachment:
    rows = Attachment.objects.filter(status=Attachment.Status.READY)
    return get_visible_or_404(rows, request.user, pk=pk)


def _serve(request, attachment: Attachment, key: str, content_type: str, file_name: str):
    # Only images, PDFs, audio and video show inside the page; anything else is a download and
    # the browser may not guess another type (nosniff), so no file renders as a page of ours.
    disposition = content_disposition_header(not sniffing.is_inline(content_type), file_name)
    if attachment.storage == Attachment.Storage.S3:
        url = storage.signed_url(key, content_type=content_type, disposition=disposition)
        response = HttpResponseRedirect(url)
        response["Cache-Control"] = "no-store"  # the signed URL expires soon
        return response
    try:
        file = storage.open_file(storage.FILESYSTEM, key)
    except FileNotFoundError:
        raise Http404("The file is missing.") from None
    response = _part(request, file, content_type) or FileResponse(file, content_type=content_type)
    response["Content-Disposition"] = disposition
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = PRIVATE
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _part(request, file, content_type):
    """The answer to a ``Range: bytes=…`` request (one range), which audio and video players
    send to seek; None without one. (S3 answers ranges of signed URLs itself.)"""
    match = SINGLE_RANGE.fullmatch(request.headers.get("Range", "").strip())
    if not match or match.groups() == ("", ""):
        return None
    size = file.size
    first, last = match.groups()
    if first:
        start, end = int(first), min(int(last), size - 1) if last else size - 1
    else:  # a suffix: the last N bytes
        start, end = max(size - int(last), 0), size - 1
    if start > end:
        file.close()
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    response = StreamingHttpResponse(
        _chunks(file, start, end - start + 1), status=206, content_type=content_type
    )
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Content-Length"] = str(end - start + 1)
    return response


def _chunks(file, start: int, length: int):
    with file:
        file.seek(start)
        while length > 0:
            chunk = file.read(min(CHUNK, length))
            if not chunk:
                return
            length -= len(chunk)
            yield chunk
