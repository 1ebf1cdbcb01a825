"""The sweeper: downloads left pending are queued again; after days they fail with a reason."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import Schedule

from bus.queues import Queue
from chat.models import Attachment
from consumers import media as media_consumer
from media import downloads
from tests.media.conftest import context_for

pytestmark = pytest.mark.django_db
A = Attachment.Status


def age(attachment, delta):
    Attachment.objects.filter(pk=attachment.pk).update(created_at=timezone.now() - delta)


def test_a_download_left_pending_is_queued_again_and_completes(
    line, receive, media_root, django_capture_on_commit_callbacks
):
    fresh = receive(line, "image", number="5511987650001")
    stuck = receive(line, "image", number="5511987650002")
    age(stuck, timedelta(minutes=20))

    with django_capture_on_commit_callbacks() as callbacks:
        assert downloads.sweep() == 1
    [send] = callbacks
    [envelope] = send.args[0]
    assert envelope.payload.message_id == str(stuck.message_id)

    media_consumer.download(envelope.payload, context_for(Queue.MEDIA_DOWNLOAD))
    stuck.refresh_from_db()
    fresh.refresh_from_db()
    assert (stuck.status, fresh.status) == (A.READY, A.PENDING)


def test_a_download_pending_for_days_fails(line, receive, english):
    attachment = receive(line, "image")
    age(attachment, timedelta(days=4))

    assert downloads.sweep() == 0

    attachment.refresh_from_db()
    assert attachment.status == A.FAILED
    assert "not downloaded in time" in attachment.error


def test_the_sweeper_is_scheduled():
    assert Schedule.objects.get(func="media.downloads.sweep").minutes == 15
