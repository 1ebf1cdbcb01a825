"""Sending a text or a file from the API: find or open the chat, then queue it on chat.send like an
agent's message. The answer (the message id) is given at once; the chat.send consumer sends it."""

from django.db import transaction
from django.db.models import Case, When
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from chat import ingest, outbox, uploads
from chat.models import Conversation, Message
from contacts.services import normalize_for
from whatsapp.events import PHONE_SUFFIX, MessageKey
from whatsapp.models import ConnectionState, WhatsAppInstance


def default_instance(tenant) -> WhatsAppInstance:
    """The tenant's first active number, a connected one first."""
    connected_first = Case(When(state=ConnectionState.OPEN, then=0), default=1)
    found = (
        WhatsAppInstance.objects.for_tenant(tenant)
        .filter(is_active=True)
        .order_by(connected_first, "name")
        .first()
    )
    if found is None:
        raise ValidationError(
            {"instance": [_("This company has no active WhatsApp number to send from.")]}
        )
    return found


def send(
    tenant,
    *,
    text: str = "",
    file: uploads.File | None = None,
    caption: str = "",
    phone: str = "",
    conversation: Conversation | None = None,
    instance=None,
) -> Message:
    """Queue ``text`` or ``file`` (with ``caption``) to ``phone`` (any format) or in
    ``conversation``; through ``instance``, else the conversation's number, else the tenant's
    default number."""
    with transaction.atomic():
        if conversation is None:
            instance = instance or default_instance(tenant)
            digits = normalize_for(tenant, phone).lstrip("+")
            key = MessageKey(id="", remote_jid=f"{digits}{PHONE_SUFFIX}", from_me=True)
            conversation = ingest.conversation_for(instance, key, push_name="")
        elif instance is not None and conversation.instance_id != instance.pk:
            raise ValidationError(
                {"instance": [_("The conversation belongs to another WhatsApp number.")]}
            )
        if conversation.instance_id is None:
            raise ValidationError(
                {"conversation": [_("The WhatsApp number of this conversation was deleted.")]}
            )
        if file is not None:
            return outbox.queue_file(conversation, file, caption=caption)
        return outbox.queue_text(conversation, text)
