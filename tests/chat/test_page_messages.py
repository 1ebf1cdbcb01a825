"""What the chat page's JSON says of each kind of message: media through the authenticated
media views, locations, quotes, reactions on the message they react to, ticks and retries."""

import pytest
from django.urls import reverse

from chat.models import Attachment, Message
from tests.chat.conftest import make_message

pytestmark = pytest.mark.django_db
T = Message.Type


def page_of(client, user, conversation, **query) -> dict:
    client.force_login(user)
    answer = client.get(reverse("chat:messages", args=[conversation.pk]), query)
    assert answer.status_code == 200
    return {m["id"]: m for m in answer.json()["messages"]}


def test_media_is_served_by_the_media_views_once_ready(client, cast, conversations):
    chat = conversations["sales"]
    photo = make_message(chat, 2, type=T.IMAGE, caption="Comprovante")
    Attachment.objects.create(
        tenant=chat.tenant,
        message=photo,
        mimetype="image/jpeg",
        status=Attachment.Status.READY,
        storage=Attachment.Storage.FILESYSTEM,
        storage_key="acme/photo.jpg",
        thumbnail_key="acme/photo-thumb.jpg",
    )
    voice = make_message(chat, 1, type=T.AUDIO)
    Attachment.objects.create(tenant=chat.tenant, message=voice, is_voice_note=True)

    shown = page_of(client, cast.alice, chat)
    attachment = photo.attachment
    assert shown[str(photo.pk)]["attachment"]["url"] == f"/media/attachments/{attachment.pk}/"
    assert shown[str(photo.pk)]["attachment"]["preview"] == (
        f"/media/attachments/{attachment.pk}/preview/"
    )
    assert shown[str(photo.pk)]["caption"] == "Comprovante"
    pending = shown[str(voice.pk)]["attachment"]
    assert (pending["status"], pending["url"], pending["voice_note"]) == ("pending", "", True)


def test_a_location_carries_its_coordinates(client, cast, conversations):
    chat = conversations["sales"]
    place = make_message(
        chat,
        1,
        body="Loja Centro",
        type=T.LOCATION,
        metadata={"content": {"latitude": -23.55, "longitude": -46.63}},
    )
    shown = page_of(client, cast.alice, chat)[str(place.pk)]
    assert shown["location"] == {"latitude": -23.55, "longitude": -46.63}


def test_reactions_and_quotes_sit_on_their_messages(client, cast, conversations):
    chat = conversations["sales"]
    question = make_message(chat, 3, body="Tem em azul?")
    answer = make_message(
        chat,
        2,
        body="Tem sim",
        direction=Message.Direction.OUTBOUND,
        quoted=question,
        status="read",
    )
    make_message(chat, 1, body="👍", type=T.REACTION, reaction_to=answer, sender_name="Maria")

    shown = page_of(client, cast.alice, chat)
    assert set(shown) == {str(question.pk), str(answer.pk)}  # the reaction is no message of its own
    reply = shown[str(answer.pk)]
    assert reply["quoted"] == {"id": str(question.pk), "direction": "in", "text": "Tem em azul?"}
    assert reply["reactions"] == [
        {"emoji": "👍", "direction": "in", "sender": "Maria", "status": "pending"}
    ]
    assert (reply["status"], reply["can_retry"]) == ("read", False)


def test_a_new_reaction_brings_its_message_back_in_a_catch_up(client, cast, conversations):
    chat = conversations["sales"]
    old = make_message(chat, 60, body="Oi")
    Message.objects.filter(pk=old.pk).update(created_at=old.created_at.replace(year=2020))
    client.force_login(cast.alice)
    cursor = client.get(reverse("chat:messages", args=[chat.pk])).json()["cursor"]
    make_message(
        chat, 0, body="❤️", type=T.REACTION, reaction_to=old, direction=Message.Direction.OUTBOUND
    )
    caught = page_of(client, cast.alice, chat, after=cursor)
    assert list(caught) == [str(old.pk)]
    assert [r["emoji"] for r in caught[str(old.pk)]["reactions"]] == ["❤️"]


def test_a_failed_send_offers_send_again_with_its_reason(client, cast, conversations):
    chat = conversations["sales"]
    failed = make_message(
        chat,
        1,
        body="Oi",
        direction=Message.Direction.OUTBOUND,
        status=Message.Status.FAILED,
        error="Not sent: the WhatsApp number is disconnected.",
    )
    shown = page_of(client, cast.alice, chat)[str(failed.pk)]
    assert shown["can_retry"] is True
    assert shown["error"] == "Not sent: the WhatsApp number is disconnected."
