"""What the chat page gets of conversations and messages, as JSON (views, sockets, live)."""

from django.db.models import Prefetch
from django.urls import reverse

from chat.models import Attachment, Conversation, Message

T = Message.Type
MEDIA_TYPES = (T.IMAGE, T.AUDIO, T.VIDEO, T.DOCUMENT, T.STICKER)


def conversations_for_page(rows):
    return rows.select_related("contact", "department", "assigned_to")


def messages_for_page(rows):
    return rows.select_related(
        "conversation__contact",
        "conversation__department",
        "conversation__assigned_to",
        "quoted",
        "reaction_to",
        "attachment",
        "sent_by",
    ).prefetch_related(
        Prefetch(
            "reactions",
            # An empty one is ours taken back, on its way to WhatsApp.
            queryset=Message.objects.filter(type=T.REACTION).exclude(body="").order_by("timestamp"),
        )
    )


def contact_picture_url(conversation: Conversation) -> str:
    if conversation.contact_id is None:
        return ""
    return reverse("media:contact_picture", args=[conversation.contact_id])


def conversation_json(conversation: Conversation) -> dict:
    return {
        "id": str(conversation.pk),
        "name": str(conversation),
        "phone": conversation.contact.phone if conversation.contact_id else "",
        "picture": contact_picture_url(conversation),
        "status": conversation.status,
        "status_label": conversation.get_status_display(),
        "department": str(conversation.department) if conversation.department_id else "",
        "department_id": str(conversation.department_id or ""),
        "agent": conversation.assigned_to.get_full_name() if conversation.assigned_to_id else "",
        "agent_id": str(conversation.assigned_to_id or ""),
        "unread": conversation.unread_count,
        "preview": conversation.last_message_preview,
        "last_message_at": _iso(conversation.last_message_at),
    }


def message_json(message: Message) -> dict:
    return {
        "id": str(message.pk),
        "conversation_id": str(message.conversation_id),
        "direction": message.direction,
        "type": message.type,
        "body": message.body,
        "caption": message.caption,
        "status": message.status,
        "status_label": message.get_status_display(),
        "error": message.error,
        "timestamp": _iso(message.timestamp),
        "cursor": _iso(message.created_at),
        "deleted": message.deleted_at is not None,
        "sender": message.sender_name
        or (message.sent_by.get_full_name() if message.sent_by_id else ""),
        "quoted": _quoted(message),
        "reactions": [
            {"emoji": r.body, "direction": r.direction, "sender": r.sender_name, "status": r.status}
            for r in message.reactions.all()
        ],
        "attachment": _attachment(message),
        "location": _location(message),
        "can_retry": (
            message.status == Message.Status.FAILED
            and message.direction == Message.Direction.OUTBOUND
            and message.campaign_recipient_id is None
        ),
    }


def _iso(moment) -> str:
    return moment.isoformat() if moment else ""


def _quoted(message: Message) -> dict | None:
    if message.quoted_id is None:
        return None
    quoted = message.quoted
    return {
        "id": str(quoted.pk),
        "direction": quoted.direction,
        "text": (quoted.body or quoted.caption or quoted.get_type_display())[:200],
    }


def _attachment(message: Message) -> dict | None:
    if message.type not in MEDIA_TYPES:
        return None
    try:
        attachment = message.attachment
    except Attachment.DoesNotExist:
        return None
    ready = attachment.status == Attachment.Status.READY
    return {
        "status": attachment.status,
        "url": reverse("media:attachment", args=[attachment.pk]) if ready else "",
        "preview": (
            reverse("media:thumbnail", args=[attachment.pk])
            if ready and attachment.thumbnail_key
            else ""
        ),
        "mimetype": attachment.mimetype,
        "file_name": attachment.file_name,
        "size": attachment.size,
        "voice_note": attachment.is_voice_note,
    }


def _location(message: Message) -> dict | None:
    if message.type != T.LOCATION:
        return None
    content = message.metadata.get("content", {})
    if "latitude" not in content or "longitude" not in content:
        return None
    return {"latitude": content["latitude"], "longitude": content["longitude"]}
