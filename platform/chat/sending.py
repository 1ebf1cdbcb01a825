"""The chat.send consumer's work: one pending outbound message sent through Evolution, once.

The message is claimed (pending → sending) before the call, so a redelivered or duplicated
chat.send finds it taken and does nothing. What happens next depends on how the call ended:
accepted (sent, with its WhatsApp id), refused for good (failed, with the reason), no answer in
time (it may have gone out: left in sending for a reconciler, never sent blindly again), or a
transient error (back to pending, and the bus retries).
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from api import event_data, outbound
from bus.payloads import ChatSend
from bus.publish import publish
from chat import live
from chat.models import Message
from media import storage
from whatsapp import evolution, health, inbound, servers

logger = logging.getLogger(__name__)

S = Message.Status
T = Message.Type
MEDIA = (T.IMAGE, T.AUDIO, T.VIDEO, T.DOCUMENT)
# Refusals that sending again cannot change.
PERMANENT = (evolution.NotOnWhatsApp, evolution.ValidationError, evolution.InstanceNotFound)


def send_message(tenant_id, message_id) -> None:
    """Send message ``message_id`` of ``tenant_id`` if it is still pending.

    Raises Message.DoesNotExist when it is gone, and the Evolution error when a retry may help.
    """
    message = (
        Message.objects.for_tenant(tenant_id)
        .select_related("conversation__contact", "conversation__instance", "quoted", "reaction_to")
        .get(pk=message_id)
    )
    # The message's time becomes the moment it goes out (the reconciler reads it).
    claimed = Message.objects.filter(
        pk=message.pk, direction=Message.Direction.OUTBOUND, status=S.PENDING
    ).update(status=S.SENDING, timestamp=timezone.now())
    if not claimed:  # another delivery of the same message has it, or it is settled
        return
    instance = message.conversation.instance
    if instance is None:
        _settle(message, S.FAILED, _("The WhatsApp number of this chat was deleted."))
        return
    try:
        with servers.client_for(instance) as client:
            sent = _send(client, instance.evolution_name, message)
    except MissingFile:
        _settle(message, S.FAILED, _("The file to send is missing from storage."))
        return
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


class MissingFile(Exception):
    """The stored file of a media message cannot be read back."""


def _send(client, instance_name: str, message: Message) -> evolution.SentMessage:
    """The Evolution call for the message's type: text, a reaction, a voice note or media."""
    if message.type == T.REACTION:
        key = _key_of(message.reaction_to, message)
        return client.send_reaction(instance_name, key, message.body)
    if message.type not in MEDIA:
        return client.send_text(
            instance_name, _number(message), message.body, quoted=_quote(message)
        )
    attachment = message.attachment
    try:
        data = storage.read(attachment.storage, attachment.storage_key)
    except OSError as exc:
        raise MissingFile from exc
    if message.type == T.AUDIO:
        return client.send_audio(instance_name, _number(message), data, quoted=_quote(message))
    return client.send_media(
        instance_name,
        _number(message),
        data,
        mediatype=message.type,
        mimetype=attachment.mimetype,
        file_name=attachment.file_name,
        caption=message.caption or None,
        quoted=_quote(message),
    )


def _number(message: Message) -> str:
    contact = message.conversation.contact
    return contact.phone if contact else message.conversation.remote_jid


def _quote(message: Message) -> evolution.Quote | None:
    """The message this one replies to, as Evolution quotes it (only once it has an id)."""
    quoted = message.quoted
    if quoted is None or not quoted.provider_id:
        return None
    content = quoted.metadata.get("message")
    return evolution.Quote(
        key=_key_of(quoted, message), message=content if isinstance(content, dict) else None
    )


def _key_of(target: Message, message: Message) -> evolution.MessageKey:
    """WhatsApp's key of ``target``, a message of the chat ``message`` is sent to."""
    return evolution.MessageKey(
        id=target.provider_id,
        remote_jid=message.conversation.remote_jid,
        from_me=target.direction == Message.Direction.OUTBOUND,
        participant=target.sender_jid or None,
    )


def _settle(message: Message, status: str, error: str) -> None:
    fields = {"status": status, "error": error}
    if status == S.FAILED:
        fields["failed_at"] = timezone.now()
    if Message.objects.filter(pk=message.pk, status=S.SENDING).update(**fields):
        live.message_changed(message.pk)
        if status == S.FAILED:
            _emit_status(message, S.FAILED)


def _record_sent(message: Message, instance, sent: evolution.SentMessage) -> None:
    with transaction.atomic():
        recorded = Message.objects.filter(pk=message.pk, status=S.SENDING).update(
            status=S.SENT, provider_id=sent.key_id, sent_at=timezone.now(), error=""
        )
        if recorded:
            message.provider_id, message.status = sent.key_id, S.SENT
            _emit_status(message, S.SENT)  # before the receipts below, so they follow it
            # Receipts and the send.message echo may have arrived before this answer.
            inbound.apply_waiting(message)
            health.count(instance, sent=1)
            live.message_changed(message.pk)


def _emit_status(message: Message, status: str) -> None:
    """``message.status`` for integrators, as ``inbound.apply_status`` emits the receipts."""
    data = lambda: event_data.message_status(message, status)  # noqa: E731
    outbound.emit(message.tenant_id, "message.status", data)


# --- Sends that never finished, and sending again ----------------------------------------


def reconcile(now=None) -> int:
    """Messages left in "sending" for CHAT_RECONCILE_AFTER_SECONDS (no answer in time, or a
    consumer that died): sent if Evolution echoed them (``send.message``), else failed with a
    reason, so the agent sees it and can send again. A django-q2 schedule, every minute; it must
    come before the webhook worker gives up on the waiting echo (5 minutes) and stores it as a
    message of its own."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.CHAT_RECONCILE_AFTER_SECONDS)
    stuck = Message.objects.filter(
        direction=Message.Direction.OUTBOUND,
        status=S.SENDING,
        campaign_recipient__isnull=True,
        timestamp__lt=cutoff,
    ).select_related("conversation__instance__tenant")
    settled = 0
    for message in stuck:
        instance = message.conversation.instance
        echo = _echo_of(message) if instance else None
        if echo is None:
            _settle(message, S.FAILED, _("WhatsApp never confirmed this message: not sent."))
        else:
            sent = evolution.SentMessage(
                key_id=echo.key.id,
                remote_jid=echo.key.remote_jid,
                timestamp=echo.timestamp,
                message_type="conversation",
                message={},
            )
            _record_sent(message, instance, sent)
        settled += 1
    return settled


def _echo_of(message: Message):
    """The echo of ``message``: same chat and text, after it went out, not stored already."""
    known = set(
        Message.objects.filter(
            conversation=message.conversation, timestamp__gte=message.timestamp
        ).values_list("provider_id", flat=True)
    )
    since = message.timestamp - timedelta(seconds=5)
    for echo in inbound.echoes_since(message.conversation.instance_id, since):
        same_chat = echo.key.remote_jid == message.conversation.remote_jid
        same_content = (echo.content.type, echo.content.body, echo.content.caption) == (
            message.type,
            message.body,
            message.caption,
        )
        if same_chat and same_content and echo.key.id not in known:
            return echo
    return None


def retry(message: Message) -> bool:
    """Send a failed message again (the chat's "retry"): pending, and queued on chat.send.
    False when it is not a failed message of ours."""
    with transaction.atomic():
        queued = Message.objects.filter(
            pk=message.pk,
            direction=Message.Direction.OUTBOUND,
            status=S.FAILED,
            campaign_recipient__isnull=True,
        ).update(status=S.PENDING, error="", failed_at=None)
        if queued:
            publish(ChatSend(tenant_id=message.tenant_id, message_id=message.pk))
            live.message_changed(message.pk)
    return bool(queued)
