"""Live chat events for the chat page's sockets (``chat.sockets``).

Every place that changes a message or a conversation calls ``message_changed`` or
``conversation_changed``. After the transaction commits (a rollback sends nothing) the row is
read again and its JSON goes to the tenant's group with the ids of the users who may see that
conversation at that moment (``selectors.audience``); each socket forwards only the events that
name its user. A push that fails is logged and lost: the
page catches up from the database (``?after=``) when it reconnects, and polls without a socket.
"""

import logging

from django.db import transaction

from alrea.group_sender import GroupSender

logger = logging.getLogger(__name__)

# Events leave in the order they were made, and never on the caller's time.
_sender = GroupSender("chat-live", "chat live event not sent")


def group_name(tenant_id) -> str:
    return f"chat.tenant.{tenant_id}"


def message_changed(message_id) -> None:
    """A message was stored or changed (status, reaction, media, deletion)."""
    transaction.on_commit(lambda: _push(_message_event, message_id))


def conversation_changed(conversation_id) -> None:
    """A conversation changed hands, queue or state, or was read."""
    transaction.on_commit(lambda: _push(_conversation_event, conversation_id))


def _push(build, object_id) -> None:
    try:
        event = build(object_id)
        if event is not None:
            _sender.submit([(group_name(event["tenant_id"]), event)])
    except Exception:
        logger.warning("chat live event not built", exc_info=True)


def _message_event(message_id) -> dict | None:
    from chat import presenters, selectors
    from chat.models import Message

    # get(), not first(): first() orders the seven-join query, and compiling that ORDER BY was
    # a fifth of this function's CPU in the worker (tests/bench/chat_fanout.py).
    try:
        message = presenters.messages_for_page(Message.objects.filter(pk=message_id)).get()
    except Message.DoesNotExist:
        return None
    target = message.reaction_to if message.reaction_to_id else message
    return {
        "type": "chat.event",
        "tenant_id": str(message.tenant_id),
        "conversation_id": str(message.conversation_id),
        "audience": selectors.audience(message.conversation),
        "payload": {
            "type": "message",
            "message": presenters.message_json(target),
            "conversation": presenters.conversation_json(message.conversation),
        },
    }


def _conversation_event(conversation_id) -> dict | None:
    from chat import presenters, selectors
    from chat.models import Conversation

    rows = presenters.conversations_for_page(Conversation.objects.filter(pk=conversation_id))
    try:
        conversation = rows.get()
    except Conversation.DoesNotExist:
        return None
    return {
        "type": "chat.event",
        "tenant_id": str(conversation.tenant_id),
        "conversation_id": str(conversation.pk),
        "audience": selectors.audience(conversation),
        "payload": {
            "type": "conversation",
            "conversation": presenters.conversation_json(conversation),
        },
    }


def on_attachment_changed(sender, attachment, **kwargs) -> None:
    """media.signals.attachment_changed: the photo arrived (or failed), show it."""
    message_changed(attachment.message_id)
