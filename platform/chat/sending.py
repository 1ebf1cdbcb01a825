"""The chat.send consumer's work: one pending outbound message sent through Evolution, once.

The message is claimed (pending → sending) before the call, so a redelivered or duplicated
chat.send finds it taken and does nothing. What happens next depends on how the call ended:
accepted (sent, with its WhatsApp id), refused for good (failed, with the reason), no answer in
time (it may have gone out: left in sending for a reconciler, never sent blindly again), or a
transient error (back to pending, and the bus retries).
"""

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chat.models import Message
from whatsapp import evolution, health, inbound, servers

logger = logging.getLogger(__name__)

S = Message.Status
# Refusals that sending again cannot change.
PERMANENT = (evolution.NotOnWhatsApp, evolution.ValidationError, evolution.InstanceNotFound)


def send_message(tenant_id, message_id) -> None:
    """Send message ``message_id`` of ``tenant_id`` if it is still pending.

    Raises Message.DoesNotExist when it is gone, and the Evolution error when a retry may help.
    """
    message = (
        Message.objects.for_tenant(tenant_id)
        .select_related("conversation__contact", "conversation__instance")
        .get(pk=message_id)
    )
    claimed = Message.objects.filter(
        pk=message.pk, direction=Message.Direction.OUTBOUND, status=S.PENDING
    ).update(status=S.SENDING)
    if not claimed:  # another delivery of the same message has it, or it is settled
        return
    instance = message.conversation.instance
    if instance is None:
        _settle(message, S.FAILED, _("The WhatsApp number of this chat was deleted."))
        return
    try:
        with servers.client_for(instance) as client:
            sent = client.send_text(instance.evolution_name, _number(message), message.body)
    except evolution.Disconnected:
        _settle(message, S.FAILED, _("Not sent: the WhatsApp number is disconnected."))
        return
    except PERMANENT as exc:
        _settle(message, S.FAILED, str(exc))
        return
    except evolution.Timeout:
        logger.warning(
            "no answer to chat message %s: left for the reconciler",
            message.pk,
            extra={"tenant_id": message.tenant_id},
        )
        _settle(message, S.SENDING, _("No answer from WhatsApp in time; it may have been sent."))
        return
    except evolution.EvolutionError:
        _settle(message, S.PENDING, "")
        raise
    _record_sent(message, instance, sent)


def _number(message: Message) -> str:
    contact = message.conversation.contact
    return contact.phone if contact else message.conversation.remote_jid


def _settle(message: Message, status: str, error: str) -> None:
    fields = {"status": status, "error": error}
    if status == S.FAILED:
        fields["failed_at"] = timezone.now()
    Message.objects.filter(pk=message.pk, status=S.SENDING).update(**fields)


def _record_sent(message: Message, instance, sent: evolution.SentMessage) -> None:
    with transaction.atomic():
        recorded = Message.objects.filter(pk=message.pk, status=S.SENDING).update(
            status=S.SENT, provider_id=sent.key_id, sent_at=timezone.now(), error=""
        )
        if recorded:
            message.provider_id, message.status = sent.key_id, S.SENT
            # Receipts and the send.message echo may have arrived before this answer.
            inbound.apply_waiting(message)
            health.count(instance, sent=1)
