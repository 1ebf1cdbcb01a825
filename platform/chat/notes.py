"""Internal notes: what agents write in a conversation for each other, never sent to WhatsApp.

A note is a Message of type NOTE, so it sits in the history in order with the rest; it has no
WhatsApp id, is never published on chat.send, and the reconciler and "send again" pass it by
(they only take messages in "sending" and "failed").
"""

from django.utils import timezone

from chat import live
from chat.models import Conversation, Message


def add_note(conversation: Conversation, body: str, *, by) -> Message:
    now = timezone.now()
    note = Message.objects.create(
        tenant_id=conversation.tenant_id,
        conversation=conversation,
        direction=Message.Direction.OUTBOUND,
        type=Message.Type.NOTE,
        body=body,
        status=Message.Status.SENT,
        sent_at=now,
        timestamp=now,
        sent_by=by,
    )
    live.message_changed(note.pk)
    return note
