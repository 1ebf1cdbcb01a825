"""A page that was offline while a photo finished downloading (media.download) gets it in its
catch-up (``?after=<cursor>``), even when the message itself arrived long before the cursor."""

from datetime import timedelta

import pytest
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


@pytest.fixture
def old_photo(cast, line, receive, media_root):
    """A customer's photo in Sales whose message was stored well before the page's cursor (the
    catch-up's overlap does not reach it), its download still pending."""

    def customer_sends(caption=""):
        line.default_department = cast.departments[("acme", "Sales")]
        line.save()
        photo = receive(line, "image", caption=caption)
        Message.objects.filter(pk=photo.message_id).update(created_at=timezone.now() - LONG_AGO)
        return photo, Message.objects.get(pk=photo.message_id)

    return customer_sends


def open_page(client, conversation) -> str:
    return client.get(reverse("chat:messages", args=[conversation.pk])).json()["cursor"]


def test_a_download_finished_while_offline_is_in_the_catch_up(client, old_photo, offline_page):
    photo, message = old_photo("o tênis")
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
    client, settings, old_photo, offline_page
):
    photo, message = old_photo("grande demais")
    cursor = open_page(client, message.conversation)

    settings.MEDIA_MAX_DOWNLOAD_BYTES = 10  # too large: the download fails for good
    assert download(photo).status == "failed"

    caught = offline_page(message.conversation, cursor)
    assert caught[str(message.pk)]["attachment"]["status"] == "failed"


def test_a_download_settled_before_the_cursor_is_not_sent_again(client, old_photo, offline_page):
    photo, message = old_photo()
    download(photo)
    type(photo).objects.filter(pk=photo.pk).update(settled_at=timezone.now() - LONG_AGO)
    cursor = open_page(client, message.conversation)
    assert offline_page(message.conversation, cursor) == {}
