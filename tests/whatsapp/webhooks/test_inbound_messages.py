"""messages.upsert of every content type becomes the right conversation, contact and message."""

from functools import partial

import pytest

from bus.payloads import MediaDownload
from chat.models import Attachment, Conversation, Message
from contacts.models import Contact
from tests.whatsapp.webhooks import payloads as p

pytestmark = pytest.mark.django_db


def test_a_text_from_a_new_number_creates_contact_conversation_and_message(
    evolution, acme_instance
):
    body = p.restamp(p.sample("messages_upsert_text"), "acme-main")
    assert evolution.send(acme_instance, body) == "processed"

    message = Message.objects.get()
    assert (message.type, message.body) == ("text", "Oi, vocês abrem sábado?")
    assert message.direction == Message.Direction.INBOUND
    assert message.provider_id == "A1B2C3D4E5F60718293A4B5C6D7E8F90"
    assert message.timestamp.timestamp() == 1765380225
    assert message.metadata["key"]["id"] == message.provider_id
    assert "messageContextInfo" not in message.metadata["message"]
    conversation = message.conversation
    assert conversation.remote_jid == p.CUSTOMER
    assert conversation.status == Conversation.Status.PENDING  # the Inbox
    assert (conversation.unread_count, conversation.last_message_preview) == (1, message.body)
    contact = conversation.contact
    assert (contact.phone, contact.source) == ("+5511987654321", Contact.Source.WHATSAPP)
    assert contact.whatsapp_name == "Maria Souza"
    assert contact.name == ""  # staff's name for the contact is never taken from WhatsApp
    assert contact.last_interaction_at is not None


def test_a_known_contact_is_reused_even_without_the_ninth_digit(evolution, acme_instance, cast):
    # WhatsApp drops the 9 of mobiles with DDD >= 31: 553187654321 is +55 31 98765-4321.
    existing = Contact.objects.create(tenant=cast.acme, phone="+5531987654321", name="João")
    evolution.send(acme_instance, p.text("acme-main", remote_jid="553187654321@s.whatsapp.net"))
    assert Message.objects.get().conversation.contact == existing
    assert Contact.objects.for_tenant(cast.acme).filter(phone="+5531987654321").count() == 1


def test_a_second_message_goes_to_the_same_conversation(evolution, acme_instance):
    evolution.send(acme_instance, p.text("acme-main", "primeira", timestamp=p.BASE_TS))
    evolution.send(acme_instance, p.text("acme-main", "segunda", timestamp=p.BASE_TS + 5))
    conversation = Conversation.objects.get()
    assert conversation.unread_count == 2
    assert conversation.last_message_preview == "segunda"


def test_an_older_message_arriving_late_does_not_become_the_preview(evolution, acme_instance):
    evolution.send(acme_instance, p.text("acme-main", "nova", timestamp=p.BASE_TS + 60))
    evolution.send(acme_instance, p.text("acme-main", "antiga", timestamp=p.BASE_TS))
    assert Conversation.objects.get().last_message_preview == "nova"


def test_new_conversations_go_to_the_instance_default_department(evolution, acme_instance, cast):
    acme_instance.default_department = cast.departments[("acme", "Sales")]
    acme_instance.save()
    evolution.send(acme_instance, p.text("acme-main"))
    conversation = Conversation.objects.get()
    assert conversation.status == Conversation.Status.OPEN
    assert conversation.department == acme_instance.default_department


def test_a_closed_conversation_reopens_in_the_inbox_when_the_customer_writes(
    evolution, acme_instance, cast
):
    evolution.send(acme_instance, p.text("acme-main", "oi"))
    Conversation.objects.update(
        status=Conversation.Status.CLOSED, assigned_to=cast.alice, unread_count=0
    )
    evolution.send(acme_instance, p.text("acme-main", "voltei", timestamp=p.BASE_TS + 99))
    conversation = Conversation.objects.get()
    assert conversation.status == Conversation.Status.PENDING
    assert conversation.assigned_to is None
    assert conversation.unread_count == 1


def test_a_message_typed_on_our_phone_is_outbound_sent_and_not_unread(evolution, acme_instance):
    evolution.send(acme_instance, p.text("acme-main", "Bom dia!", from_me=True, push_name=""))
    message = Message.objects.get()
    assert message.direction == Message.Direction.OUTBOUND
    assert message.status == Message.Status.SENT
    assert message.conversation.unread_count == 0


def test_an_image_gets_a_pending_attachment_and_a_download_job(
    evolution, acme_instance, django_capture_on_commit_callbacks
):
    body = p.restamp(p.sample("messages_upsert_image"), "acme-main")
    with django_capture_on_commit_callbacks() as callbacks:
        evolution.send(acme_instance, body)
    message = Message.objects.get()
    assert (message.type, message.caption) == ("image", "Comprovante do pix")
    attachment = Attachment.objects.get(message=message)
    assert attachment.status == Attachment.Status.PENDING
    assert (attachment.mimetype, attachment.size) == ("image/jpeg", 71378)
    assert (attachment.width, attachment.height) == (960, 1280)
    # The media.download publish, sent when the row commits (beside the chat page's pushes).
    published = [c.args[0].payload for c in callbacks if isinstance(c, partial)]
    assert published == [MediaDownload(tenant_id=message.tenant_id, message_id=message.pk)]


@pytest.mark.parametrize(
    ("content", "kind", "checks"),
    [
        (
            p.media("audioMessage", mimetype="audio/ogg; codecs=opus", seconds=7, ptt=True),
            "audio",
            {"seconds": 7, "is_voice_note": True},
        ),
        (
            p.media("videoMessage", mimetype="video/mp4", seconds=12, caption="olha"),
            "video",
            {"seconds": 12},
        ),
        (
            p.media(
                "documentMessage", mimetype="application/pdf", fileName="boleto.pdf", title="b"
            ),
            "document",
            {"file_name": "boleto.pdf", "mimetype": "application/pdf"},
        ),
        (
            p.media("stickerMessage", mimetype="image/webp", isAnimated=False, width=512),
            "sticker",
            {"width": 512},
        ),
    ],
    ids=["voice-note", "video", "document", "sticker"],
)
def test_media_messages_of_every_kind(evolution, acme_instance, content, kind, checks):
    evolution.send(acme_instance, p.message("acme-main", content))
    message = Message.objects.get()
    assert message.type == kind
    for name, value in checks.items():
        assert getattr(message.attachment, name) == value


def test_legacy_media_encodings_are_read_too(evolution, acme_instance):
    # <= 2.3.5: bytes as base64 strings, longs as decimal strings.
    content = p.media("imageMessage", mimetype="image/jpeg", fileLength="2048", mediaKey="Czk=")
    evolution.send(acme_instance, p.message("acme-main", content))
    assert Message.objects.get().attachment.size == 2048


def test_a_location(evolution, acme_instance):
    content = {
        "locationMessage": {
            "degreesLatitude": -23.5614,
            "degreesLongitude": -46.6559,
            "name": "MASP",
            "address": "Av. Paulista, 1578",
        }
    }
    evolution.send(acme_instance, p.message("acme-main", content))
    message = Message.objects.get()
    assert (message.type, message.body) == ("location", "MASP, Av. Paulista, 1578")
    assert message.metadata["content"] == {"latitude": -23.5614, "longitude": -46.6559}


def test_a_contact_card(evolution, acme_instance):
    vcard = (
        "BEGIN:VCARD\nVERSION:3.0\nFN:Pedro\n"
        "item1.TEL;waid=5511912345678:+55 11 91234-5678\nEND:VCARD"
    )
    content = {"contactMessage": {"displayName": "Pedro", "vcard": vcard}}
    evolution.send(acme_instance, p.message("acme-main", content))
    message = Message.objects.get()
    assert message.type == "contact"
    assert message.body == "Pedro +55 11 91234-5678"


def test_an_unsupported_kind_is_kept_and_marked(evolution, acme_instance):
    content = {"pollCreationMessageV3": {"name": "Sabor?", "options": [{"optionName": "Uva"}]}}
    evolution.send(acme_instance, p.message("acme-main", content))
    message = Message.objects.get()
    assert (message.type, message.body) == ("unsupported", "pollCreationMessageV3")


def test_a_reply_links_to_the_quoted_message(evolution, acme_instance):
    first = p.text("acme-main", "Quanto custa?")
    evolution.send(acme_instance, first)
    quoted_id = first["data"]["key"]["id"]
    context = {
        "stanzaId": quoted_id,
        "participant": p.CUSTOMER,
        "quotedMessage": {"conversation": "Quanto custa?"},
        "mentionedJid": [],
    }
    evolution.send(acme_instance, p.text("acme-main", "E o frete?", context=context))
    reply = Message.objects.get(body="E o frete?")
    assert reply.quoted == Message.objects.get(provider_id=quoted_id)
    assert reply.quoted_provider_id == quoted_id


def test_a_reply_to_a_message_we_never_had_keeps_its_id(evolution, acme_instance):
    context = {"stanzaId": "OLDMESSAGE", "quotedMessage": {"conversation": "antiga"}}
    evolution.send(acme_instance, p.text("acme-main", "sobre isso", context=context))
    reply = Message.objects.get()
    assert (reply.quoted, reply.quoted_provider_id) == (None, "OLDMESSAGE")


def test_a_lid_addressed_chat_uses_the_phone_identity(evolution, acme_instance):
    # Before 2.3.7 the remoteJid stays the @lid and the phone is in remoteJidAlt.
    body = p.text(
        "acme-main",
        remote_jid=p.CUSTOMER_LID,
        key_extra={"remoteJidAlt": p.CUSTOMER, "addressingMode": "lid"},
    )
    evolution.send(acme_instance, body)
    conversation = Conversation.objects.get()
    assert conversation.remote_jid == p.CUSTOMER
    assert conversation.contact.phone == "+5511987654321"


def test_a_lid_only_chat_has_no_contact_but_is_kept(evolution, acme_instance):
    evolution.send(acme_instance, p.text("acme-main", remote_jid=p.CUSTOMER_LID))
    conversation = Conversation.objects.get()
    assert (conversation.remote_jid, conversation.contact) == (p.CUSTOMER_LID, None)


def test_a_group_message_records_its_author(evolution, acme_instance):
    body = p.text(
        "acme-main",
        "Bom dia grupo",
        remote_jid=p.GROUP,
        push_name="Carla",
        key_extra={
            "participant": "99887766554433@lid",
            "participantAlt": "5521999998888@s.whatsapp.net",
            "addressingMode": "lid",
        },
    )
    evolution.send(acme_instance, body)
    message = Message.objects.get()
    conversation = message.conversation
    assert (conversation.kind, conversation.contact) == (Conversation.Kind.GROUP, None)
    assert message.sender_jid == "5521999998888@s.whatsapp.net"
    assert message.sender_name == "Carla"
    assert not Contact.objects.exists()  # group members are not turned into contacts


def _reaction(target_id, emoji, **kwargs):
    content = {
        "reactionMessage": {
            "key": {"remoteJid": p.CUSTOMER, "fromMe": True, "id": target_id},
            "text": emoji,
            "senderTimestampMs": {"low": 1, "high": 0, "unsigned": False},
        }
    }
    return p.message("acme-main", content, **kwargs)


def test_a_reaction_is_attached_to_its_target_and_replaced_then_removed(evolution, acme_instance):
    target = p.text("acme-main", "Pedido enviado", from_me=True)
    evolution.send(acme_instance, target)
    target_id = target["data"]["key"]["id"]
    evolution.send(acme_instance, _reaction(target_id, "👍"))
    evolution.send(acme_instance, _reaction(target_id, "❤️"))
    reactions = Message.objects.get(provider_id=target_id).reactions.all()
    assert [r.body for r in reactions] == ["❤️"]
    evolution.send(acme_instance, _reaction(target_id, ""))
    assert not Message.objects.get(provider_id=target_id).reactions.exists()


def test_a_reaction_does_not_count_as_unread_preview_text(evolution, acme_instance):
    target = p.text("acme-main", "Pedido enviado", from_me=True)
    evolution.send(acme_instance, target)
    evolution.send(acme_instance, _reaction(target["data"]["key"]["id"], "👍"))
    assert Conversation.objects.get().last_message_preview == "Pedido enviado"
