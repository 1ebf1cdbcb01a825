"""Live chat events for the chat page's sockets (``chat.sockets``).

Every place that changes a message or a conversation calls ``message_changed`` or
``conversation_changed``. After the transaction commits (a rollback sends nothing) the row is
read again and its JSON goes to the tenant's group; each socket then checks, per event, that its
user may see that conversation before forwarding it. A push that fails is logged and lost: the
page catches up from the database (``?after=``) when it reconnects, and polls without a socket.
"""

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

# One worker: events leave in the order they were made, and never on the caller's time.
_sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chat-live")


def group_name(tenant_id) -> str:
    return f"chat.tenant.{tenant_id}"


def message_changed(message_id) -> None:
    """A message was stored or changed (status, reaction, media, deletion)."""
    messages_changed([message_id])


def messages_changed(message_ids: list) -> None:
    """Several messages were stored at once (a campaign's burst): their events are built
    together, after the commit."""
    transaction.on_commit(lambda: _push(_message_events, message_ids))


def conversation_changed(conversation_id) -> None:
    """A conversation changed hands, queue or state, or was read."""
    transaction.on_commit(lambda: _push(_conversation_events, [conversation_id]))


def instance_changed(instance_id) -> None:
    """A WhatsApp number connected or disconnected: the banner of its open conversations."""
    transaction.on_commit(lambda: _push(_instance_events, [instance_id]))


def customer_presence(conversation, state: str) -> None:
    """The customer is typing, recording or stopped (``chat.presence``): relayed, never stored."""
    _sender.submit(
        _send,
        {
            "type": "chat.event",
            "tenant_id": str(conversation.tenant_id),
            "conversation_id": str(conversation.pk),
            "payload": {
                "type": "presence",
                "conversation_id": str(conversation.pk),
                "state": state,
            },
        },
    )


def _push(build, ids) -> None:
    try:
        for event in build(ids):
            _sender.submit(_send, event)
    except Exception:
        logger.warning("chat live event not built", exc_info=True)


def _message_events(message_ids: list) -> list[dict]:
    from chat import presenters
    from chat.models import Message

    messages = presenters.messages_for_page(Message.objects.filter(pk__in=message_ids))
    return [_event_of(message) for message in messages]


def _event_of(message) -> dict:
    from chat import presenters

    target = message.reaction_to if message.reaction_to_id else message
    return {
        "type": "chat.event",
        "tenant_id": str(message.tenant_id),
        "conversation_id": str(message.conversation_id),
        "payload": {
            "type": "message",
            "message": presenters.message_json(target),
            "conversation": presenters.conversation_json(message.conversation),
        },
    }


def _conversation_events(conversation_ids: list) -> list[dict]:
    from chat import presenters
    from chat.models import Conversation

    conversations = presenters.conversations_for_page(
        Conversation.objects.filter(pk__in=conversation_ids)
    )
    return [
        {
            "type": "chat.event",
            "tenant_id": str(conversation.tenant_id),
            "conversation_id": str(conversation.pk),
            "payload": {
                "type": "conversation",
                "conversation": presenters.conversation_json(conversation),
            },
        }
        for conversation in conversations
    ]


def _instance_events(instance_ids: list) -> list[dict]:
    from chat import presenters
    from whatsapp.models import WhatsAppInstance

    return [
        {
            "type": "chat.instance",
            "tenant_id": str(instance.tenant_id),
            "instance_id": str(instance.pk),
            "payload": {"type": "instance", **presenters.instance_json(instance)},
        }
        for instance in WhatsAppInstance.objects.filter(pk__in=instance_ids)
    ]


# The sender thread's own event loop, kept: async_to_sync made a new loop for every event, and
# the channel layer its Redis connections per loop, so a busy campaign's events queued up faster
# than they left (766 still waiting when a consumer stopped after 2,000 sends).
_loop: asyncio.AbstractEventLoop | None = None


def _send(event: dict) -> None:
    global _loop
    try:
        layer = get_channel_layer()
        if layer is None:
            return
        if _loop is None:
            _loop = asyncio.new_event_loop()
        _loop.run_until_complete(layer.group_send(group_name(event["tenant_id"]), event))
    except Exception:
        logger.warning("chat live event not sent", exc_info=True)


def on_attachment_changed(sender, attachment, **kwargs) -> None:
    """media.signals.attachment_changed: the photo arrived (or failed), show it."""
    message_changed(attachment.message_id)
