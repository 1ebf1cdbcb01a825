"""Live chat events for the chat page's sockets (``chat.sockets``).

Every place that changes a message or a conversation calls ``message_changed`` (or
``messages_changed``) or ``conversation_changed``. After the transaction commits (a rollback
sends nothing) the rows are read again and their JSON (encoded once, as text) goes to the
tenant's group with the ids of the users who may see that conversation at that moment
(``selectors.audience``); each socket forwards only the events that name its user. A push that
fails is logged and lost: the page catches up from the database (``?after=``) when it
reconnects, and polls without a socket.
"""

import json
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
    messages_changed([message_id])


def messages_changed(message_ids: list) -> None:
    """Several messages were stored at once (a campaign's burst): their events are built
    together, after the commit."""
    transaction.on_commit(lambda: _push(_message_events, message_ids))


def conversation_changed(conversation_id) -> None:
    """A conversation changed hands, queue or state, or was read."""
    transaction.on_commit(lambda: _push(_conversation_events, [conversation_id]))


def instance_changed(instance_id) -> None:
    """A WhatsApp number connected or disconnected: the banner of its conversations."""
    transaction.on_commit(lambda: _push(_instance_events, [instance_id]))


def customer_presence(conversation, state: str) -> None:
    """The customer is typing, recording or stopped (``chat.presence``): relayed, never stored.
    ``conversation`` needs its tenant, department and assignee (who may see it)."""
    from chat import selectors

    event = _event(
        conversation.tenant_id,
        selectors.audience(conversation),
        {"type": "presence", "conversation_id": str(conversation.pk), "state": state},
    )
    _sender.submit([(group_name(event["tenant_id"]), event)])


def _event(tenant_id, audience: list[str], payload: dict) -> dict:
    """A socket forwards ``text`` as it is: encoded here once, not once per socket."""
    return {
        "type": "chat.event",
        "tenant_id": str(tenant_id),
        "audience": audience,
        "text": json.dumps(payload),
    }


def _push(build, ids) -> None:
    try:
        _sender.submit([(group_name(event["tenant_id"]), event) for event in build(ids)])
    except Exception:
        logger.warning("chat live event not built", exc_info=True)


def _message_events(message_ids: list) -> list[dict]:
    from chat import presenters, selectors
    from chat.models import Message

    messages = presenters.messages_for_page(Message.objects.filter(pk__in=message_ids))
    audiences = selectors.Audiences()  # a burst's conversations mostly share one queue
    events = []
    for message in messages:
        target = message.reaction_to if message.reaction_to_id else message
        events.append(
            _event(
                message.tenant_id,
                audiences.of(message.conversation),
                {
                    "type": "message",
                    "message": presenters.message_json(target),
                    "conversation": presenters.conversation_json(message.conversation),
                },
            )
        )
    return events


def _conversation_events(conversation_ids: list) -> list[dict]:
    from chat import presenters, selectors
    from chat.models import Conversation

    conversations = presenters.conversations_for_page(
        Conversation.objects.filter(pk__in=conversation_ids)
    )
    return [
        _event(
            conversation.tenant_id,
            selectors.audience(conversation),
            {"type": "conversation", "conversation": presenters.conversation_json(conversation)},
        )
        for conversation in conversations
    ]


def _instance_events(instance_ids: list) -> list[dict]:
    from chat import presenters, selectors
    from whatsapp.models import WhatsAppInstance

    return [
        _event(
            instance.tenant_id,
            selectors.instance_audience(instance),
            {"type": "instance", **presenters.instance_json(instance)},
        )
        for instance in WhatsAppInstance.objects.filter(pk__in=instance_ids)
    ]


def on_attachment_changed(sender, attachment, **kwargs) -> None:
    """media.signals.attachment_changed: the photo arrived (or failed), show it."""
    message_changed(attachment.message_id)
