"""media.download against the simulator: stored once under the tenant's prefix, with a preview;
refused files, broken images and Evolution's refusals end as failed attachments with a reason."""

import base64
import io

import pytest
from PIL import Image

from bus.errors import Gone
from chat.models import Attachment, Message
from media import signals
from tests.media.conftest import download
from whatsapp import servers
from whatsapp.simulator import media as samples

pytestmark = pytest.mark.django_db
A = Attachment.Status


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture
def announced():
    seen = []

    def receiver(sender, attachment, **kwargs):
        seen.append((attachment.pk, attachment.status))

    signals.attachment_changed.connect(receiver)
    yield seen
    signals.attachment_changed.disconnect(receiver)


def test_an_image_is_stored_on_the_disk_with_a_preview(
    line, receive, media_root, announced, django_capture_on_commit_callbacks
):
    attachment = receive(line, "image", caption="Comprovante")
    assert attachment.status == A.PENDING

    with django_capture_on_commit_callbacks(execute=True):
        download(attachment)

    original = samples.sample("imageMessage")
    assert attachment.status == A.READY, attachment.error
    assert attachment.storage == Attachment.Storage.FILESYSTEM
    assert attachment.storage_key == f"{line.tenant_id}/attachments/{attachment.pk}.jpg"
    assert (media_root / attachment.storage_key).read_bytes() == original
    assert (attachment.mimetype, attachment.size) == ("image/jpeg", len(original))
    with Image.open(media_root / attachment.thumbnail_key) as preview:
        assert preview.format == "JPEG"
    assert attachment.thumbnail_key.startswith(f"{line.tenant_id}/thumbnails/")
    assert attachment.width and attachment.height
    assert announced == [(attachment.pk, A.READY)]


def test_on_s3_the_files_go_to_the_bucket_under_the_tenant_prefix(line, receive, s3, media_root):
    attachment = download(receive(line, "image"))

    assert attachment.status == A.READY and attachment.storage == Attachment.Storage.S3
    listed = s3.list_objects_v2(Bucket=s3.bucket)["Contents"]
    assert sorted(o["Key"] for o in listed) == sorted(
        [attachment.storage_key, attachment.thumbnail_key]
    )
    assert all(o["Key"].startswith(f"{line.tenant_id}/") for o in listed)
    stored = s3.get_object(Bucket=s3.bucket, Key=attachment.storage_key)
    assert stored["ContentType"] == "image/jpeg"
    assert stored["Body"].read() == samples.sample("imageMessage")
    assert not media_root.exists()  # nothing on the disk


def test_a_redelivery_stores_nothing_twice(
    line, receive, s3, announced, django_capture_on_commit_callbacks
):
    attachment = receive(line, "image")
    with django_capture_on_commit_callbacks(execute=True):
        download(attachment)
    keys = (attachment.storage_key, attachment.thumbnail_key)

    with django_capture_on_commit_callbacks(execute=True):
        again = download(attachment, attempt=2)

    assert (again.storage_key, again.thumbnail_key) == keys
    assert s3.list_objects_v2(Bucket=s3.bucket)["KeyCount"] == 2
    assert announced == [(attachment.pk, A.READY)]  # the page hears of it once


def test_a_voice_note_keeps_its_codec_and_gets_no_preview(line, receive, media_root):
    attachment = download(receive(line, "ptt"))
    assert attachment.status == A.READY
    assert attachment.mimetype == "audio/ogg; codecs=opus"
    assert attachment.storage_key.endswith(".ogg") and attachment.thumbnail_key == ""


def test_a_transparent_sticker_gets_a_preview(line, receive, media_root):
    attachment = download(receive(line, "sticker"))
    assert attachment.status == A.READY and attachment.mimetype == "image/webp"
    assert (media_root / attachment.thumbnail_key).exists()


def test_a_file_declared_larger_than_the_limit_is_not_fetched(
    line, receive, media_root, settings, english, announced, django_capture_on_commit_callbacks
):
    settings.MEDIA_MAX_DOWNLOAD_BYTES = 2048
    big_pdf = b"%PDF-1.4\n" + b"0" * 5000
    attachment = receive(line, "document", media_base64=b64(big_pdf), file_name="big.pdf")

    with django_capture_on_commit_callbacks(execute=True):
        download(attachment)

    assert attachment.status == A.FAILED
    assert "too large" in attachment.error and "limit is 2" in attachment.error
    assert attachment.storage_key == "" and not media_root.exists()
    assert announced == [(attachment.pk, A.FAILED)]


def test_a_file_larger_than_the_limit_as_received_is_refused(
    line, receive, media_root, settings, english
):
    settings.MEDIA_MAX_DOWNLOAD_BYTES = 2048
    attachment = receive(line, "document", media_base64=b64(b"%PDF-1.4\n" + b"0" * 5000))
    Attachment.objects.filter(pk=attachment.pk).update(size=None)  # WhatsApp said nothing

    download(attachment)

    assert attachment.status == A.FAILED and "too large" in attachment.error
    assert not media_root.exists()


@pytest.mark.parametrize(
    "broken",
    [b"this is not a picture at all", samples.sample("imageMessage")[:200]],
    ids=["not-an-image", "truncated-jpeg"],
)
def test_a_broken_image_fails_with_the_reason(line, receive, media_root, english, broken):
    attachment = download(receive(line, "image", media_base64=b64(broken)))

    assert attachment.status == A.FAILED
    assert attachment.error == "The file is not a valid image."
    assert not media_root.exists()


def test_the_declared_type_is_not_trusted(line, receive, media_root):
    page = b"<html><script>alert(document.cookie)</script></html>"
    attachment = receive(
        line, "document", media_base64=b64(page), mimetype="application/pdf", file_name="a.pdf"
    )

    download(attachment)

    assert attachment.status == A.READY
    assert attachment.mimetype == "application/octet-stream"
    assert attachment.storage_key.endswith(".bin")


def test_a_png_sent_as_a_document_is_recognised(line, receive, media_root):
    out = io.BytesIO()
    Image.new("RGB", (40, 20), "red").save(out, "PNG")
    attachment = receive(
        line, "document", media_base64=b64(out.getvalue()), mimetype="application/pdf"
    )

    download(attachment)

    assert (attachment.status, attachment.mimetype) == (A.READY, "image/png")
    assert (attachment.width, attachment.height) == (40, 20)
    assert attachment.thumbnail_key


def test_an_instance_gone_from_evolution_fails_the_attachment(line, receive, media_root, english):
    attachment = receive(line, "image")
    with servers.client_for(line) as client:
        client.delete_instance(line.evolution_name)

    download(attachment)

    assert attachment.status == A.FAILED
    assert attachment.error.startswith("WhatsApp did not deliver the file:")
    assert "HTTP 404" in attachment.error


def test_a_message_evolution_does_not_know_fails_the_attachment(line, receive, english):
    attachment = receive(line, "image")
    Message.objects.filter(pk=attachment.message_id).update(provider_id="UNKNOWN1", metadata={})

    download(attachment)

    assert attachment.status == A.FAILED
    assert "Message not found" in attachment.error


def test_an_unreachable_evolution_is_retried_then_fails_on_the_last_attempt(
    line, receive, media_root, settings, english
):
    attachment = receive(line, "image")
    settings.EVOLUTION_API_URL = "http://127.0.0.1:9"  # nothing listens there

    with pytest.raises(Exception, match="ConnectError"):
        download(attachment, attempt=1)
    assert attachment.status == A.PENDING  # the bus tries again

    download(attachment, attempt=settings.BUS["MAX_ATTEMPTS"])
    assert attachment.status == A.FAILED and "ConnectError" in attachment.error


def test_a_deleted_message_is_done(line, receive):
    attachment = receive(line, "image")
    Message.objects.filter(pk=attachment.message_id).delete()
    with pytest.raises(Gone):
        download(attachment)
