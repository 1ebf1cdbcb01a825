"""media.migrate_s3: files stored on the disk before S3 was configured move there, once."""

import io

import pytest
from django.core.management import CommandError, call_command

from bus.payloads import MediaMigrateS3
from bus.queues import Queue
from chat.models import Attachment
from consumers import media as media_consumer
from tests.media.conftest import context_for, download

pytestmark = pytest.mark.django_db
ON_DISK, ON_S3 = Attachment.Storage.FILESYSTEM, Attachment.Storage.S3


def published(callbacks) -> list[MediaMigrateS3]:
    """The payloads the captured after-commit sends would put on the queue."""
    return [
        envelope.payload
        for callback in callbacks
        for envelope in callback.args[0]
        if envelope.queue == Queue.MEDIA_MIGRATE_S3
    ]


def migrate(payload: MediaMigrateS3) -> None:
    media_consumer.migrate_s3(payload, context_for(Queue.MEDIA_MIGRATE_S3))


@pytest.fixture
def on_disk(line, receive, media_root):
    """Two images received before S3 was configured."""
    return [
        download(receive(line, "image", number=number))
        for number in ("5511987650001", "5511987650002")
    ]


def test_the_command_moves_every_file_to_s3(
    on_disk, media_root, s3_later, django_capture_on_commit_callbacks
):
    s3 = s3_later()
    out = io.StringIO()
    with django_capture_on_commit_callbacks() as callbacks:
        call_command("migrate_media_to_s3", stdout=out)
    payloads = published(callbacks)
    assert "2 attachment(s) queued" in out.getvalue()
    assert {p.attachment_id for p in payloads} == {str(a.pk) for a in on_disk}

    for payload in payloads:
        migrate(payload)

    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=s3.bucket)["Contents"]}
    for attachment in on_disk:
        still_on_disk = (media_root / attachment.storage_key).exists()
        attachment.refresh_from_db()
        assert attachment.storage == ON_S3 and not still_on_disk
        assert {attachment.storage_key, attachment.thumbnail_key} <= keys
    assert list(media_root.rglob("*.jpg")) == []  # the local copies are gone


def test_a_moved_file_is_still_served(on_disk, s3_later, login, cast):
    s3_later()
    attachment = on_disk[0]
    migrate(MediaMigrateS3(tenant_id=attachment.tenant_id, attachment_id=attachment.pk))

    response = login(cast.ana).get(f"/media/attachments/{attachment.pk}/")

    assert response.status_code == 302 and "X-Amz-Signature" in response["Location"]


def test_a_redelivered_move_is_harmless(on_disk, media_root, s3_later):
    s3 = s3_later()
    attachment = on_disk[0]
    payload = MediaMigrateS3(tenant_id=attachment.tenant_id, attachment_id=attachment.pk)
    original = (media_root / attachment.storage_key).read_bytes()

    migrate(payload)
    migrate(payload)

    attachment.refresh_from_db()
    assert attachment.storage == ON_S3 and attachment.status == Attachment.Status.READY
    body = s3.get_object(Bucket=s3.bucket, Key=attachment.storage_key)["Body"].read()
    assert body == original


def test_local_copies_a_crash_left_behind_are_removed_by_the_redelivery(
    on_disk, media_root, s3_later
):
    s3_later()
    attachment = on_disk[0]
    payload = MediaMigrateS3(tenant_id=attachment.tenant_id, attachment_id=attachment.pk)
    leftover = (media_root / attachment.storage_key).read_bytes()
    migrate(payload)
    (media_root / attachment.storage_key).write_bytes(leftover)  # as if it died before removing

    migrate(payload)

    assert not (media_root / attachment.storage_key).exists()


def test_a_file_missing_everywhere_fails_the_attachment(on_disk, media_root, s3_later, english):
    s3_later()
    attachment = on_disk[0]
    (media_root / attachment.storage_key).unlink()

    migrate(MediaMigrateS3(tenant_id=attachment.tenant_id, attachment_id=attachment.pk))

    attachment.refresh_from_db()
    assert attachment.status == Attachment.Status.FAILED
    assert attachment.error == "The stored file is missing."


def test_the_command_refuses_without_s3(on_disk):
    with pytest.raises(CommandError, match="S3 is not configured"):
        call_command("migrate_media_to_s3")


def test_the_command_takes_one_tenant(on_disk, cast, s3_later, django_capture_on_commit_callbacks):
    s3_later()
    with django_capture_on_commit_callbacks() as callbacks:
        call_command("migrate_media_to_s3", tenant="globex", stdout=io.StringIO())
    assert published(callbacks) == []
    with django_capture_on_commit_callbacks() as callbacks:
        call_command("migrate_media_to_s3", tenant=str(cast.acme.pk), stdout=io.StringIO())
    assert len(published(callbacks)) == 2
