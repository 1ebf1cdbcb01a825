"""Messages we write to customers: stored as pending, then sent by the chat.send consumer."""

from django.utils import timezone

from bus.payloads import ChatSend
from bus.publish import publish
from chat import live
from chat.models import Conversation, Message

# Messages the reception writes by itself (Message.metadata["automatic"]).
AFTER_HOURS, WELCOME_MENU = "after_hours", "welcome_menu"


def queue_text(
    conversation: Conversation,
    body: str,
    *,
    by=None,
    quoted: Message | None = None,
    automatic: str = "",
) -> Message:
    """A text to send in ``conversation``: shown in the chat at once, sent after the commit.
    ``quoted``: the message of this conversation it replies to. ``automatic``: what wrote it
    when nobody did (``AUTOMATIC`` keys; the chat page labels it)."""
    now = timezone.now()
    message = Message.objects.create(
        tenant_id=conversation.tenant_id,
        conversation=conversation,
        direction=Message.Direction.OUTBOUND,
        type=Message.Type.TEXT,
        body=body,
        status=Message.Status.PENDING,
        timestamp=now,
        sent_by=by,
        quoted=quoted,
        quoted_provider_id=quoted.provider_id if quoted else "",
        metadata={"automatic": automatic} if automatic else {},
    )
    Conversation.objects.filter(pk=conversation.pk).update(
        last_message_at=now, last_message_preview=body[:200]
    )
    publish(ChatSend(tenant_id=conversation.tenant_id, message_id=message.pk))
    live.message_changed(message.pk)
    return message
