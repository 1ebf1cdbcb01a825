"""Messages we write to customers: stored as pending, then sent by the chat.send consumer."""

from django.db import transaction
from django.utils import timezone

from bus.payloads import ChatSend
from bus.publish import publish
from chat import live, uploads
from chat.models import Conversation, Message


def queue_text(
    conversation: Conversation, body: str, *, by=None, quoted: Message | None = None
) -> Message:
    """A text to send in ``conversation``: shown in the chat at once, sent after the commit.
    ``quoted``: the message of this conversation it replies to."""
    return _queue(
        conversation, by=by, quoted=quoted, preview=body, type=Message.Type.TEXT, body=body
    )


def queue_file(
    conversation: Conversation,
    file: uploads.File,
    *,
    caption: str = "",
    by=None,
    quoted: Message | None = None,
) -> Message:
    """A file (checked by ``uploads.check``) to send with an optional caption: stored now under
    the tenant's prefix, shown at once with its preview, sent after the commit."""
    attachment = uploads.new_attachment(conversation.tenant_id, file)
    try:
        with transaction.atomic():
            message = _queue(
                conversation,
                by=by,
                quoted=quoted,
                preview=caption or f"[{Message.Type(file.message_type).label}] {file.name}",
                type=file.message_type,
                caption=caption,
            )
            attachment.message = message
            attachment.save(force_insert=True)
    except Exception:
        uploads.forget(attachment)  # no message refers to the stored file
        raise
    return message


def queue_reaction(target: Message, emoji: str, *, by=None) -> Message:
    """Our reaction to ``target`` (one emoji, or "" to take ours back), sent by chat.send.

    WhatsApp keeps one reaction per sender and message, so ours replaces the one we had; its
    echo from Evolution replaces this row in turn (``chat.ingest.attach_reaction``)."""
    with transaction.atomic():
        Message.objects.filter(
            reaction_to=target, type=Message.Type.REACTION, direction=Message.Direction.OUTBOUND
        ).delete()
        reaction = Message.objects.create(
            tenant_id=target.tenant_id,
            conversation_id=target.conversation_id,
            direction=Message.Direction.OUTBOUND,
            type=Message.Type.REACTION,
            body=emoji,
            status=Message.Status.PENDING,
            timestamp=timezone.now(),
            sent_by=by,
            reaction_to=target,
        )
        publish(ChatSend(tenant_id=target.tenant_id, message_id=reaction.pk))
        live.message_changed(reaction.pk)  # shown on its target
    return reaction


def _queue(conversation: Conversation, *, by, quoted: Message | None, preview: str, **fields):
    now = timezone.now()
    message = Message.objects.create(
        tenant_id=conversation.tenant_id,
        conversation=conversation,
        direction=Message.Direction.OUTBOUND,
        status=Message.Status.PENDING,
        timestamp=now,
        sent_by=by,
        quoted=quoted,
        quoted_provider_id=quoted.provider_id if quoted else "",
        **fields,
    )
    Conversation.objects.filter(pk=conversation.pk).update(
        last_message_at=now, last_message_preview=preview[:200]
    )
    publish(ChatSend(tenant_id=conversation.tenant_id, message_id=message.pk))
    live.message_changed(message.pk)
    return message
