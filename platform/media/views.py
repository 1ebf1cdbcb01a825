"""The only way a browser gets media: a signed-in user, the tenant's rows they may see.

Attachments follow their conversation's visibility (``ChatQuerySet.visible_to``): another
tenant's file, or a conversation the user may not see, answers 404 like a missing one. A file on
the disk is streamed from here; a file on S3 is a redirect to a short-lived signed URL. Nothing
here fetches a URL: contact pictures come from the cache that ``contact.profile_pic`` fills.
"""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from chat.models import Attachment
from contacts.models import Contact
from media import profile_pictures, sniffing, storage
from tenancy.access import get_visible_or_404

# The browser may keep what it fetched, but no shared cache may.
PRIVATE = "private, max-age=3600"


@require_GET
@login_required
@permission_required("chat.view_message", raise_exception=True)
def attachment_file(request, pk):
    attachment = _ready_attachment(request, pk)
    return _serve(
        attachment, attachment.storage_key, attachment.mimetype, attachment.file_name or "file"
    )


@require_GET
@login_required
@permission_required("chat.view_message", raise_exception=True)
def attachment_thumbnail(request, pk):
    attachment = _ready_attachment(request, pk)
    if not attachment.thumbnail_key:
        raise Http404("This attachment has no preview.")
    return _serve(attachment, attachment.thumbnail_key, "image/jpeg", "preview.jpg")


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


def _serve(attachment: Attachment, key: str, content_type: str, file_name: str):
    # Only images, PDFs, audio and video show inside the page; anything else is a download and
    # the browser may not guess another type (nosniff), so no file renders as a page of ours.
    inline = sniffing.is_inline(content_type)
    if attachment.storage == Attachment.Storage.S3:
        disposition = content_disposition_header(not inline, file_name)
        url = storage.signed_url(key, content_type=content_type, disposition=disposition)
        response = HttpResponseRedirect(url)
        response["Cache-Control"] = "no-store"  # the signed URL expires soon
        return response
    try:
        file = storage.open_file(storage.FILESYSTEM, key)
    except FileNotFoundError:
        raise Http404("The file is missing.") from None
    response = FileResponse(
        file, content_type=content_type, as_attachment=not inline, filename=file_name
    )
    response["Cache-Control"] = PRIVATE
    response["X-Content-Type-Options"] = "nosniff"
    return response
