"""An agent opening a conversation: its unread count goes to zero and the customer's messages
are marked read on WhatsApp (the blue ticks on their phone).

The receipts leave after the commit as one django-q2 task per batch, never inside the request:
Evolution may be slow or down, and a lost receipt only leaves grey ticks on the customer's side.
"""

import logging

from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from chat import live
from chat.models import Conversation, Message
from whatsapp import evolution, servers
from whatsapp.models import WhatsAppInstance

logger = logging.getLogger(__name__)

# Keys per markMessageAsRead call.
BATCH = 50
# The most messages one opening marks read (older unread ones are long forgotten on the phone).
MAX_MARKED = 500


@transaction.atomic
def open_conversation(conversation: Conversation) -> int:
    """Reset the unread count and mark the unread customer messages read; how many were."""
    unread = list(
        Message.objects.filter(
            conversation=conversation,
            direction=Message.Direction.INBOUND,
            status=Message.Status.DELIVERED,
        )
        .exclude(provider_id="")
        .exclude(type=Message.Type.REACTION)
        .order_by("-timestamp")
        .values("pk", "provider_id", "sender_jid")[:MAX_MARKED]
    )
    reset = Conversation.objects.filter(pk=conversation.pk, unread_count__gt=0).update(
        unread_count=0
    )
    if unread:
        # Compare-and-set on the status: a second tab opening at once marks nothing twice.
        Message.objects.filter(
            pk__in=[m["pk"] for m in unread], status=Message.Status.DELIVERED
        ).update(status=Message.Status.READ, read_at=timezone.now())
    if reset or unread:
        live.conversation_changed(conversation.pk)
    if unread and conversation.instance_id:
        keys = [
            {
                "id": m["provider_id"],
                "remote_jid": conversation.remote_jid,
                "participant": m["sender_jid"],
            }
            for m in unread
        ]
        for start in range(0, len(keys), BATCH):
            batch = keys[start : start + BATCH]
            transaction.on_commit(
                lambda batch=batch: async_task(
                    "chat.reading.send_read_receipts", conversation.instance_id, batch
                )
            )
    return len(unread)


def send_read_receipts(instance_id, keys: list[dict]) -> None:
    """The django-q2 task: one markMessageAsRead call for ``keys`` of one chat."""
    instance = WhatsAppInstance.objects.filter(pk=instance_id).first()
    if instance is None:
        return
    message_keys = [
        evolution.MessageKey(
            id=k["id"],
            remote_jid=k["remote_jid"],
            from_me=False,
            participant=k["participant"] or None,
        )
        for k in keys
    ]
    try:
        with servers.client_for(instance) as client:
            client.mark_as_read(instance.evolution_name, message_keys)
    except evolution.EvolutionError:
        logger.warning(
            "read receipts not sent",
            exc_info=True,
            extra={"tenant_id": instance.tenant_id, "instance_id": instance.pk},
        )
