"""A page that was offline while a photo finished downloading (media.download) gets it in its
catch-up (``?after=<cursor>``), even when the message itself arrived long before the cursor."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from chat.models import Message
from tests.chat.conftest import make_message
from tests.media import conftest as media

download = media.download
receive, media_root = media.receive, media.media_root  # fixtures

pytestmark = pytest.mark.django_db
LONG_AGO = timedelta(minutes=10)


@pytest.fixture
def offline_page(client, cast):
    """Alice's page of the conversation, loaded before the download ended; returns a function
    that catches up as the page does when its socket comes back."""

    def catch_up(conversation, cursor):
        answer = client.get(reverse("chat:messages", args=[conversation.pk]), {"after": cursor})
        assert answer.status_code == 200
        return {m["id"]: m for m in answer.json()["messages"]}

    client.force_login(cast.alice)
    return catch_up


def arrived_long_ago(attachment):
    """The message was stored well before the page's cursor (its overlap does not reach it)."""
    Message.objects.filter(pk=attachment.message_id).update(created_at=timezone.now() - LONG_AGO)
    return Message.objects.get(pk=attachment.message_id)


def open_page(client, conversation) -> str:
    return client.get(reverse("chat:messages", args=[conversation.pk])).json()["cursor"]


def test_a_download_finished_while_offline_is_in_the_catch_up(
    client, cast, line, receive, media_root, offline_page
):
    line.default_department = cast.departments[("acme", "Sales")]
    line.save()
    photo = receive(line, "image", caption="o tênis")
    message = arrived_long_ago(photo)
    older_text = make_message(message.conversation, 11, "nothing new here")
    Message.objects.filter(pk=older_text.pk).update(created_at=timezone.now() - LONG_AGO)
    cursor = open_page(client, message.conversation)

    assert download(photo).status == "ready"  # while the page is offline

    caught = offline_page(message.conversation, cursor)
    assert list(caught) == [str(message.pk)]
    attachment = caught[str(message.pk)]["attachment"]
    assert attachment["status"] == "ready"
    assert attachment["url"] == reverse("media:attachment", args=[photo.pk])


def test_a_download_that_failed_while_offline_is_in_the_catch_up(
    client, cast, line, receive, media_root, offline_page
):
    line.default_department = cast.departments[("acme", "Sales")]
    line.save()
    photo = receive(line, "image", caption="grande demais")
    message = arrived_long_ago(photo)
    cursor = open_page(client, message.conversation)

    settings.MEDIA_MAX_DOWNLOAD_BYTES = 10  # too large: the download fails for good
    assert download(photo).status == "failed"

    caught = offline_page(message.conversation, cursor)
    assert caught[str(message.pk)]["attachment"]["status"] == "failed"


def test_a_download_settled_before_the_cursor_is_not_sent_again(
    client, cast, line, receive, media_root, offline_page
):
    line.default_department = cast.departments[("acme", "Sales")]
    line.save()
    photo = receive(line, "image")
    message = arrived_long_ago(photo)
    download(photo)
    type(photo).objects.filter(pk=photo.pk).update(settled_at=timezone.now() - LONG_AGO)
    cursor = open_page(client, message.conversation)
    assert offline_page(message.conversation, cursor) == {}
