"""The read-only message and conversation pages show media through the media views only."""

import pytest
from django.urls import reverse

from chat.models import Attachment, Conversation, Message
from tests.admin.walk import admin_url
from tests.media.conftest import download

pytestmark = pytest.mark.django_db


@pytest.fixture
def image(line, receive, media_root):
    return download(receive(line, "image"))


def test_the_message_page_shows_the_preview_linking_to_the_file(login, cast, image):
    message = Message.objects.get(pk=image.message_id)

    page = login(cast.ana).get(admin_url(Message, "change", message)).content.decode()

    assert reverse("media:thumbnail", args=[image.pk]) in page
    assert f'href="{reverse("media:attachment", args=[image.pk])}"' in page


def test_the_transcript_plays_a_voice_note(login, cast, line, receive, media_root):
    voice = download(receive(line, "ptt", number="5511955550000"))
    conversation = Conversation.objects.get(messages__attachment=voice)

    page = login(cast.ana).get(admin_url(Conversation, "change", conversation)).content.decode()

    player = f'<audio controls preload="none" src="{reverse("media:attachment", args=[voice.pk])}"'
    assert player in page


def test_a_failed_attachment_shows_its_reason(login, cast, line, receive, english):
    attachment = receive(line, "image")
    Attachment.objects.filter(pk=attachment.pk).update(
        status=Attachment.Status.FAILED, error="The file is not a valid image."
    )
    message = Message.objects.get(pk=attachment.message_id)

    page = login(cast.ana).get(admin_url(Message, "change", message)).content.decode()

    assert "The file is not a valid image." in page
    assert reverse("media:attachment", args=[attachment.pk]) not in page


def test_another_tenant_cannot_open_the_message_page(login, cast, image):
    message = Message.objects.get(pk=image.message_id)
    assert login(cast.gabriel).get(admin_url(Message, "change", message)).status_code == 404
