"""What WhatsApp tells us about messages, stored as conversations, messages and receipts.

Called by ``whatsapp.inbound`` inside the webhook's transaction, with typed events only. Each
function returns ``Waiting(provider_id)`` when the event refers to a message that has not
arrived yet (webhooks come in any order); the caller keeps the event and applies it again once
that message is stored.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from alrea.phones import normalize_phone
from api import event_data, outbound
from bus.payloads import MediaDownload
from bus.publish import publish
from campaigns import tracking
from chat import live, reception, routing
from chat.models import Attachment, Conversation, Message
from contacts.models import Contact
from whatsapp import events, health

logger = logging.getLogger(__name__)

S = Message.Status
STATUS_FROM_EVOLUTION = {
    "ERROR": S.FAILED,
    "PENDING": S.PENDING,
    "SERVER_ACK": S.SENT,
    "DELIVERY_ACK": S.DELIVERED,
    "READ": S.READ,
    "PLAYED": S.PLAYED,
}
# Receipts only move forward: a late DELIVERY_ACK never undoes READ.
RANK = {S.PENDING: 0, S.SENDING: 0, S.FAILED: 0, S.SENT: 1, S.DELIVERED: 2, S.READ: 3, S.PLAYED: 4}
STAMP = {
    S.SENT: "sent_at",
    S.DELIVERED: "delivered_at",
    S.READ: "read_at",
    S.PLAYED: "played_at",
    S.FAILED: "failed_at",
}
# Statuses a message reaching ``status`` has necessarily passed through.
IMPLIED = {S.DELIVERED: (S.SENT,), S.READ: (S.SENT, S.DELIVERED), S.PLAYED: (S.SENT, S.DELIVERED)}
# A contact's last interaction is a filter, not a clock: refreshing it once a minute is enough.
INTERACTION_PRECISION = timedelta(minutes=1)
# Only what is needed to fetch the media again and to show the message; binary fields stay out.
KEPT_KEYS = ("key", "pushName", "message", "contextInfo", "messageType", "source")


@dataclass(frozen=True)
class Waiting:
    provider_id: str


@dataclass(frozen=True)
class Stored:
    message: Message | None
    created: bool


# --- Conversations and contacts ------------------------------------------------------------


def _contact_for(instance, jid: str, push_name: str) -> Contact | None:
    digits = events.jid_phone(jid)
    if not digits:
        return None
    try:
        phone = normalize_phone(f"+{digits}")
    except ValidationError:
        logger.warning(
            "unreadable WhatsApp number %s", digits, extra={"tenant_id": instance.tenant_id}
        )
        return None
    contact, _created = Contact.objects.get_or_create(
        tenant_id=instance.tenant_id,
        phone=phone,
        defaults={"source": Contact.Source.WHATSAPP, "whatsapp_name": push_name},
    )
    return contact


def conversation_for(instance, key: events.MessageKey, push_name: str) -> Conversation:
    return _find_or_open(instance, key, push_name)[0]


def _find_or_open(
    instance, key: events.MessageKey, push_name: str, preview: str = ""
) -> tuple[Conversation, bool]:
    """The chat's conversation, and whether this call opened it. ``preview`` is the first
    message's, so the department's "waiting" notice can quote it."""
    jid = key.chat_jid
    found = (
        Conversation.objects.select_related("contact")
        .filter(instance=instance, remote_jid=jid)
        .first()
    )
    if found:
        return found, False
    group = key.is_group
    contact = None if group else _contact_for(instance, jid, "" if key.from_me else push_name)
    conversation = Conversation(
        tenant_id=instance.tenant_id,
        instance=instance,
        remote_jid=jid,
        kind=Conversation.Kind.GROUP if group else Conversation.Kind.INDIVIDUAL,
        contact=contact,
        last_message_preview=preview,
    )
    try:
        with transaction.atomic():  # a concurrent first message of the same chat may win
            routing.open_new(conversation, waiting=not key.from_me)
    except IntegrityError:
        existing = Conversation.objects.filter(instance=instance, remote_jid=jid).first()
        if existing is None:
            raise
        return existing, False
    return conversation, True


def _touch_contact(contact: Contact | None, push_name: str, when) -> None:
    if contact is None:
        return
    fields = {}
    if push_name and push_name != contact.whatsapp_name:
        fields["whatsapp_name"] = push_name
    if (
        not contact.last_interaction_at
        or when - contact.last_interaction_at > INTERACTION_PRECISION
    ):
        fields["last_interaction_at"] = when
    if fields:
        Contact.objects.filter(pk=contact.pk).update(**fields)


# --- Messages ------------------------------------------------------------------------------


def _find(instance, provider_id: str, *, lock: bool = False) -> Message | None:
    rows = Message.objects.filter(
        tenant_id=instance.tenant_id, conversation__instance=instance, provider_id=provider_id
    )
    return (rows.select_for_update(of=("self",)) if lock else rows).first()


def _initial_status(event: events.MessageEvent) -> str:
    if not event.key.from_me:
        return S.DELIVERED  # it reached us
    return S.SENT  # typed on our phone (SERVER_ACK) or accepted by the API (PENDING)


def store_message(instance, event: events.MessageEvent, *, replaying: bool = False):
    """A ``messages.upsert`` or ``send.message``: store it once, in its conversation."""
    content, key = event.content, event.key
    if content.type == "reaction":
        return _store_reaction(instance, event)
    if event.via_api and not replaying:
        # Our own sends are stored before the call and get their id from its answer, which
        # can come after this echo: wait for it rather than store the message twice.
        existing = _find(instance, key.id)
        if existing is None:
            return Waiting(key.id)
        return _confirm_sent(existing)
    preview = _preview(content.body, content.caption, content.type)
    conversation, opened = _find_or_open(instance, key, event.push_name, preview)
    if replaying and (existing := _find(instance, key.id)):
        return Stored(existing, created=False)
    status = _initial_status(event)
    message = Message(
        tenant_id=instance.tenant_id,
        conversation=conversation,
        direction=Message.Direction.OUTBOUND if key.from_me else Message.Direction.INBOUND,
        type=content.type,
        body=content.body,
        caption=content.caption,
        provider_id=key.id,
        status=status,
        timestamp=event.timestamp,
        quoted=_find(instance, content.quoted_id) if content.quoted_id else None,
        quoted_provider_id=content.quoted_id,
        sender_jid=key.author_jid if key.is_group else "",
        sender_name="" if key.from_me else event.push_name,
        metadata=_metadata(event, content),
        **{STAMP[status]: event.timestamp},
    )
    message.save(force_insert=True)
    if content.media is not None:
        _attach(message, content.media)
    reopened = _advance_conversation(conversation, message, inbound=not key.from_me)
    if not key.is_group and not key.from_me and conversation.contact_id:
        _touch_contact(conversation.contact, event.push_name, timezone.now())
        tracking.on_inbound(instance, conversation, message)
    if not key.from_me:
        reception.on_customer_message(conversation, message, started=opened or reopened)
    if not key.from_me:
        outbound.emit(instance.tenant_id, "message.received", lambda: event_data.message(message))
    live.message_changed(message.pk)
    return Stored(message, created=True)


def _metadata(event: events.MessageEvent, content: events.Content) -> dict:
    kept = {name: event.raw[name] for name in KEPT_KEYS if name in event.raw}
    if isinstance(kept.get("message"), dict):
        kept["message"] = {k: v for k, v in kept["message"].items() if k != "messageContextInfo"}
    if content.extra:
        kept["content"] = content.extra
    return kept


def _attach(message: Message, media: events.Media) -> None:
    Attachment.objects.create(
        tenant_id=message.tenant_id,
        message=message,
        mimetype=media.mimetype,
        file_name=media.file_name,
        size=media.size,
        seconds=media.seconds,
        width=media.width,
        height=media.height,
        is_voice_note=media.is_voice_note,
    )
    publish(MediaDownload(tenant_id=message.tenant_id, message_id=message.pk))


def _advance_conversation(conversation: Conversation, message: Message, *, inbound: bool) -> bool:
    """Move the conversation's last message along; True when the customer reopened it."""
    fields = {}
    if conversation.last_message_at is None or message.timestamp >= conversation.last_message_at:
        fields.update(last_message_at=message.timestamp, last_message_preview=_preview_of(message))
    if inbound:
        fields["unread_count"] = F("unread_count") + 1
    if fields:
        Conversation.objects.filter(pk=conversation.pk).update(**fields)
    # After the update: reopening tells the department, quoting this message.
    if inbound and conversation.status == Conversation.Status.CLOSED:
        return routing.reopen(conversation).status != Conversation.Status.CLOSED
    return False


def _preview_of(message: Message) -> str:
    return _preview(message.body, message.caption, message.type)


def _preview(body: str, caption: str, type: str) -> str:
    return (body or caption or f"[{Message.Type(type).label}]")[:200]


def _confirm_sent(message: Message) -> Stored:
    confirmed = RANK[message.status] < RANK[S.SENT] and Message.objects.filter(
        pk=message.pk, status=S.PENDING
    ).update(status=S.SENT, sent_at=timezone.now())
    if confirmed:
        live.message_changed(message.pk)
    return Stored(message, created=False)


def _store_reaction(instance, event: events.MessageEvent):
    target_key = event.content.reaction_target
    target = _find(instance, target_key.id)
    if target is None:
        return Waiting(target_key.id)
    return Stored(attach_reaction(instance, target, event), created=True)


def attach_reaction(instance, target: Message | None, event: events.MessageEvent):
    """One reaction per person and message: a new emoji replaces theirs, "" removes it.

    ``target`` is None for a reaction to a message that never reached us (older than the
    instance, say): it is kept in the chat with the target's id only.
    """
    key = event.key
    sender = key.author_jid if key.is_group else ("" if key.from_me else key.chat_jid)
    if target is not None:
        Message.objects.filter(
            reaction_to=target,
            type=Message.Type.REACTION,
            sender_jid=sender,
            direction=Message.Direction.OUTBOUND if key.from_me else Message.Direction.INBOUND,
        ).delete()
    if not event.content.body:
        if target is not None:
            live.message_changed(target.pk)
        return None
    conversation = target.conversation if target else conversation_for(instance, key, "")
    reaction = Message.objects.create(
        tenant_id=conversation.tenant_id,
        conversation=conversation,
        direction=Message.Direction.OUTBOUND if key.from_me else Message.Direction.INBOUND,
        type=Message.Type.REACTION,
        body=event.content.body,
        provider_id=key.id,
        status=_initial_status(event),
        timestamp=event.timestamp,
        reaction_to=target,
        quoted_provider_id="" if target else event.content.reaction_target.id,
        sender_jid=sender,
        sender_name="" if key.from_me else event.push_name,
        metadata=_metadata(event, event.content),
    )
    live.message_changed(reaction.pk)
    return reaction


# --- Receipts, edits, deletions ------------------------------------------------------------


def apply_status(instance, update: events.StatusUpdate):
    """A ``messages.update``: move the message's status forward and stamp every step."""
    if update.status == "DELETED":  # 2.3.6's edit marker: nothing to apply
        return Stored(None, created=False)
    message = _find(instance, update.key_id, lock=True)
    if message is None:
        return Waiting(update.key_id)
    fields = {}
    if update.edit is not None:
        fields.update(_edited(message, update.edit))
    new = STATUS_FROM_EVOLUTION[update.status]
    now = timezone.now()
    reached = [new, *IMPLIED.get(new, ())]
    for status in reached:
        stamp = STAMP.get(status)
        if stamp and getattr(message, stamp) is None:
            fields[stamp] = now
    forward = RANK[new] > RANK[message.status] or (
        new == S.FAILED and message.status in (S.PENDING, S.SENT)
    )
    if forward:
        fields["status"] = new
    if fields:
        Message.objects.filter(pk=message.pk).update(**fields)
        live.message_changed(message.pk)
    if forward and message.campaign_recipient_id:
        tracking.on_receipt(message, new)
    if forward:
        status_data = lambda: event_data.message_status(message, new)  # noqa: E731
        outbound.emit(instance.tenant_id, "message.status", status_data)
    if message.direction == Message.Direction.OUTBOUND:
        _count_receipts(instance, message, fields, failed=forward and new == S.FAILED)
    return Stored(message, created=False)


def _count_receipts(instance, message: Message, fields: dict, *, failed: bool) -> None:
    deltas = {
        "delivered": int("delivered_at" in fields),
        "read": int("read_at" in fields),
        "failed": int(failed),
    }
    if any(deltas.values()):
        health.count(instance, **{name: value for name, value in deltas.items() if value})


def _edited(message: Message, edit: events.Content) -> dict:
    edits = [*message.metadata.get("edits", []), {"body": message.body, "caption": message.caption}]
    fields = {"metadata": {**message.metadata, "edits": edits}}
    if message.type == Message.Type.TEXT:
        fields["body"] = edit.body
    else:
        fields["caption"] = edit.caption or edit.body
    return fields


def mark_deleted(instance, deleted: events.MessageDeleted):
    """Deleted for everyone: the text stays for the record, the chat shows it as deleted."""
    message = _find(instance, deleted.key_id)
    if message is None:
        return Waiting(deleted.key_id)
    if Message.objects.filter(pk=message.pk, deleted_at=None).update(deleted_at=timezone.now()):
        live.message_changed(message.pk)
    return Stored(message, created=False)


# --- Contacts and chats --------------------------------------------------------------------


def update_contacts(instance, changed: events.ContactsChanged) -> int:
    """Names and pictures of contacts we already have; an address-book sync creates none."""
    by_phone = {}
    for info in changed.contacts:
        digits = events.jid_phone(info.jid)
        if not digits:
            continue
        try:
            by_phone[normalize_phone(f"+{digits}")] = info
        except ValidationError:
            continue
    updated = 0
    for contact in Contact.objects.for_tenant(instance.tenant_id).filter(phone__in=by_phone):
        info = by_phone[contact.phone]
        fields = {}
        if info.push_name and info.push_name != contact.whatsapp_name:
            fields["whatsapp_name"] = info.push_name
        if info.picture_url is not None and info.picture_url != contact.profile_picture_url:
            fields["profile_picture_url"] = info.picture_url
        if fields:
            updated += Contact.objects.filter(pk=contact.pk).update(**fields)
    return updated


def update_chats(instance, changed: events.ChatsChanged) -> None:
    for chat in changed.chats:
        rows = Conversation.objects.filter(instance=instance, remote_jid=chat.jid)
        if chat.unread == 0 and rows.exclude(unread_count=0).update(unread_count=0):
            # read on the phone
            for conversation_id in rows.values_list("pk", flat=True):
                live.conversation_changed(conversation_id)
        if chat.name and chat.jid.endswith(events.GROUP_SUFFIX):
            rows.exclude(name=chat.name).update(name=chat.name)


@dataclass(frozen=True)
class Sent:
    """One message of ours that Evolution accepted, to store with ``store_outbound_many``."""

    instance: object
    key: events.MessageKey
    contact: Contact
    body: str
    timestamp: object
    campaign_recipient: object = None


def store_outbound_many(sent: list[Sent]) -> list[Message]:
    """``store_outbound`` for a burst of a campaign's individual chats, in a few statements:
    their conversations (opened together where new), messages, and last-message fields."""
    if not sent:
        return []
    conversations, opened = _conversations_of(sent)
    messages = Message.objects.bulk_create(
        Message(
            tenant_id=item.instance.tenant_id,
            conversation=conversations[(item.instance.pk, item.key.chat_jid)],
            direction=Message.Direction.OUTBOUND,
            type=Message.Type.TEXT,
            body=item.body,
            provider_id=item.key.id,
            status=S.SENT,
            sent_at=item.timestamp,
            timestamp=item.timestamp,
            campaign_recipient=item.campaign_recipient,
        )
        for item in sent
    )
    for message in messages:
        if message.conversation_id not in opened:  # those start with it already
            _advance_conversation(message.conversation, message, inbound=False)
    live.messages_changed([message.pk for message in messages])
    return messages


def _conversations_of(sent: list[Sent]) -> tuple[dict[tuple, Conversation], set]:
    """(instance id, chat jid) → conversation for every item, opening the missing ones with
    their item as the last message; and the ids of those opened so."""
    wanted = {(item.instance.pk, item.key.chat_jid): item for item in sent}
    found = {
        (c.instance_id, c.remote_jid): c
        for c in Conversation.objects.for_tenant(sent[0].instance.tenant_id).filter(
            instance_id__in={pk for pk, _jid in wanted},
            remote_jid__in={jid for _pk, jid in wanted},
        )
    }
    missing = [item for pair, item in wanted.items() if pair not in found]
    if not missing:
        return found, set()
    opened = [
        Conversation(
            tenant_id=item.instance.tenant_id,
            instance=item.instance,
            remote_jid=item.key.chat_jid,
            kind=Conversation.Kind.INDIVIDUAL,
            contact=item.contact,
            last_message_at=item.timestamp,
            last_message_preview=item.body[:200],
        )
        for item in missing
    ]
    try:
        with transaction.atomic():
            routing.open_many_sent(opened)
    except IntegrityError:  # another sender opened one of them meanwhile: one at a time, then
        found.update(
            {
                (i.instance.pk, i.key.chat_jid): conversation_for(i.instance, i.key, "")
                for i in missing
            }
        )
        return found, set()
    found.update({(c.instance_id, c.remote_jid): c for c in opened})
    return found, {c.pk for c in opened}


def store_outbound(
    instance, key: events.MessageKey, *, body: str, timestamp, campaign_recipient=None, sent_by=None
) -> Message:
    """A message we sent (campaign or chat) in its conversation, once Evolution accepted it."""
    conversation = conversation_for(instance, key, "")
    message = Message.objects.create(
        tenant_id=instance.tenant_id,
        conversation=conversation,
        direction=Message.Direction.OUTBOUND,
        type=Message.Type.TEXT,
        body=body,
        provider_id=key.id,
        status=S.SENT,
        sent_at=timestamp,
        timestamp=timestamp,
        campaign_recipient=campaign_recipient,
        sent_by=sent_by,
    )
    _advance_conversation(conversation, message, inbound=False)
    live.message_changed(message.pk)
    return message
