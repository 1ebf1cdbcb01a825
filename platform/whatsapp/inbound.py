"""Authenticated webhook events: kept once in the raw log, then applied to the domain.

Two steps, so that Evolution gets its answer after one INSERT (a slow answer makes it retry):

- ``receive()``, in the webhook request, inserts the raw row with ``ON CONFLICT DO NOTHING`` on
  (instance, dedup key): a redelivery, or the same event posted by both the instance and the
  global webhook, is kept once even when both arrive at the same moment.
- ``process_pending()``, in the ``process_webhooks`` worker, takes received rows in arrival
  order (``SKIP LOCKED``, so several workers share the work) and applies each in a savepoint:
  if applying fails, its changes roll back and the row is marked ``failed`` with the error,
  ready for replay from the admin. The raw log is the queue, so no event can be accepted and
  then lost between the database and a broker.
"""

import hashlib
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from alrea.phones import normalize_phone
from chat import ingest, presence
from whatsapp import events, services
from whatsapp.models import ConnectionState, WebhookEvent
from whatsapp.senders import Sender

logger = logging.getLogger(__name__)

Status = WebhookEvent.Status
# After this long, an event still waiting for its message is settled on its own (see settle).
DEFERRED_PATIENCE = timedelta(minutes=5)


@dataclass(frozen=True)
class Outcome:
    status: str
    waits_for: str = ""
    error: str = ""


def dedup_key(envelope: events.Envelope, event) -> str:
    """What redeliveries of one event share.

    Messages have an id; anything else is identified by its content and the time Evolution
    built the envelope (kept across its retries), so a state that repeats later (open, close,
    open) is not mistaken for a redelivery.
    """
    if isinstance(event, events.MessageEvent) and len(event.key.id) <= 120:
        return f"msg:{event.key.id}"
    basis = json.dumps(
        [envelope.event, envelope.date_time, envelope.data], sort_keys=True, default=str
    )
    return f"sha:{hashlib.sha256(basis.encode()).hexdigest()}"


# --- Applying one typed event --------------------------------------------------------------


def _from_ingest(result) -> Outcome:
    if isinstance(result, ingest.Waiting):
        return Outcome(Status.DEFERRED, waits_for=result.provider_id)
    if isinstance(result, ingest.Stored) and result.created and result.message is not None:
        apply_waiting(result.message)
    return Outcome(Status.PROCESSED)


def _connection(instance, event: events.ConnectionChanged) -> Outcome:
    phone = ""
    if digits := events.jid_phone(event.wuid):
        try:
            phone = normalize_phone(f"+{digits}")
        except ValidationError:  # the state matters more than an odd number
            logger.warning("instance %s reports an unreadable number", instance.pk)
    services.record_state(
        instance,
        event.state,
        event.reason,
        detail="connection.update",
        phone_number=phone or None,
        profile_name=event.profile_name or None,
        profile_picture_url=event.profile_picture_url or None,
    )
    return Outcome(Status.PROCESSED)


def _qrcode(instance, event: events.QrCodeChanged) -> Outcome:
    if event.limit_reached:
        return Outcome(Status.PROCESSED, error="QR code limit reached")
    services.record_qr(instance, event.image, event.pairing_code)
    return Outcome(Status.PROCESSED)


def _logged_out(instance, event) -> Outcome:
    services.record_state(instance, ConnectionState.CLOSE, 401, detail="logout.instance")
    return Outcome(Status.PROCESSED)


def not_applied(event) -> str:
    """Why this event is only kept in the log, or "" when it is applied."""
    match event:
        case events.Unhandled():
            return f"{event.event} is not handled"
        case events.Presence():
            # Typing indicators are only relayed live to the chat page, never stored.
            return "presence is not stored"
    return ""


def apply(instance, event, *, replaying: bool = False) -> Outcome:
    """Apply one typed event for ``instance`` (whose tenant owns everything it touches)."""
    match event:
        case events.MessageEvent():
            return _from_ingest(ingest.store_message(instance, event, replaying=replaying))
        case events.StatusUpdate():
            return _from_ingest(ingest.apply_status(instance, event))
        case events.MessageDeleted():
            return _from_ingest(ingest.mark_deleted(instance, event))
        case events.ContactsChanged():
            ingest.update_contacts(instance, event)
        case events.ChatsChanged():
            ingest.update_chats(instance, event)
        case events.ConnectionChanged():
            return _connection(instance, event)
        case events.QrCodeChanged():
            return _qrcode(instance, event)
        case events.LoggedOut():
            return _logged_out(instance, event)
    if reason := not_applied(event):
        return Outcome(Status.IGNORED, error=reason)
    return Outcome(Status.PROCESSED)


def apply_waiting(*messages) -> None:
    """Events that arrived before ``messages`` (receipts, reactions, deletions): apply them now.

    Called whenever a message gets its WhatsApp id: here for what webhooks store, and by the
    send services once Evolution has answered with the id of a message they sent.
    """
    instances = {(m.conversation.instance_id, m.provider_id): m.conversation for m in messages}
    waiting = WebhookEvent.objects.filter(
        instance_id__in={instance_id for instance_id, _id in instances},
        status=Status.DEFERRED,
        waits_for__in={provider_id for _instance, provider_id in instances},
    ).order_by("received_at")
    for row in waiting.select_for_update(skip_locked=True):
        if conversation := instances.get((row.instance_id, row.waits_for)):
            _reapply(row, conversation.instance)


def _reapply(row: WebhookEvent, instance, *, replaying: bool = False) -> Outcome:
    _envelope, event = events.parse(row.payload)
    outcome = apply(instance, event, replaying=replaying)
    _save_outcome(row, outcome)
    return outcome


def _save_outcome(row: WebhookEvent, outcome: Outcome) -> None:
    row.status, row.waits_for, row.error = outcome.status, outcome.waits_for, outcome.error
    row.processed_at = timezone.now() if outcome.status != Status.DEFERRED else None
    WebhookEvent.objects.filter(pk=row.pk).update(
        status=row.status, waits_for=row.waits_for, error=row.error, processed_at=row.processed_at
    )


# --- The raw log ---------------------------------------------------------------------------


_INSERT = f"""
    INSERT INTO {WebhookEvent._meta.db_table}
        (id, tenant_id, instance_id, event, dedup_key, waits_for, payload, status, error,
         received_at, processed_at, deliveries)
    VALUES (%s, %s, %s, %s, %s, '', %s, %s, %s, %s, %s, 1)
    ON CONFLICT (instance_id, dedup_key) DO NOTHING
    RETURNING id
"""


def _insert(sender: Sender, name: str, key: str, body: str, status: str, error: str = ""):
    """The new row's id, or None when this event is already in the log.

    ``body`` is the JSON text as received: stored as it is, not decoded and encoded again.
    """
    field = WebhookEvent._meta.get_field
    event_id, now = uuid.uuid4(), timezone.now()
    params = [
        field("id").get_db_prep_value(event_id, connection),
        field("tenant").get_db_prep_value(sender.tenant_id, connection),
        field("instance").get_db_prep_value(sender.pk, connection),
        name[:64],
        key,
        body,
        status,
        error,
        field("received_at").get_db_prep_value(now, connection),
        field("processed_at").get_db_prep_value(
            None if status in (Status.RECEIVED, Status.DEFERRED) else now, connection
        ),
    ]
    with connection.cursor() as cursor:
        cursor.execute(_INSERT, params)
        return event_id if cursor.fetchone() else None


@dataclass(frozen=True)
class Received:
    status: str  # a WebhookEvent.Status, or "duplicate"
    event_id: str | None = None


def receive(sender: Sender, envelope: events.Envelope, event, body: str) -> Received:
    key = dedup_key(envelope, event)
    status, note = Status.RECEIVED, not_applied(event)
    if note:
        status = Status.IGNORED
    elif sender.tenant_suspended:
        # Kept, not applied: replayed from the admin if the company is reactivated.
        status, note = Status.IGNORED, "company suspended"
    event_id = _insert(sender, envelope.event, key, body, status, note)
    if event_id is not None and isinstance(event, events.Presence) and not sender.tenant_suspended:
        # Live only, relayed in the request: it is stale by the time a worker would apply it.
        presence.relay(sender.pk, sender.tenant_id, event)
    if event_id is None:  # a redelivery: counted on the row it repeats
        WebhookEvent.objects.filter(instance_id=sender.pk, dedup_key=key).update(
            deliveries=F("deliveries") + 1
        )
        return Received("duplicate")
    return Received(status, str(event_id))


def record_malformed(sender: Sender, name: str, body: str, reason: str) -> None:
    """An authenticated body that breaks the contract: kept so that someone can see it."""
    key = f"sha:{hashlib.sha256(body.encode()).hexdigest()}"
    _insert(sender, name or "?", key, body, Status.FAILED, f"malformed: {reason}"[:2000])


# --- The worker's side ----------------------------------------------------------------------

PROCESS_BATCH = 200


def process_pending(limit: int = PROCESS_BATCH) -> int:
    """Apply up to ``limit`` received events, oldest first; returns how many were taken.

    Each event in a transaction of its own: a batch in one transaction held every row it
    touched (a campaign's recipients, a number's daily counters) until its end, and the
    campaign senders that needed those rows waited for the whole batch.
    """
    received = (
        WebhookEvent.objects.filter(status=Status.RECEIVED)
        .select_related("instance__tenant")
        .order_by("received_at")
        # Row lock, skipping rows another worker holds: each event is applied by one worker.
        .select_for_update(skip_locked=True, of=("self",))
    )
    taken = 0
    while taken < limit:
        with transaction.atomic():
            row = received.first()
            if row is None:
                break
            _process(row)
        taken += 1
    return taken


def _process(row: WebhookEvent) -> None:
    if row.instance.tenant.is_suspended:  # suspended after the event was received
        _save_outcome(row, Outcome(Status.IGNORED, error="company suspended"))
        return
    try:
        with transaction.atomic():  # a savepoint: one bad event does not undo the batch
            _reapply(row, row.instance)
    except Exception as exc:  # the raw event must survive any bug in applying it
        logger.exception(
            "applying %s event %s failed",
            row.event,
            row.pk,
            extra={"tenant_id": row.tenant_id},
        )
        _save_outcome(row, Outcome(Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000]))


# --- Replay, settling, purge ---------------------------------------------------------------


@dataclass
class ReplayResult:
    processed: int = 0
    failed: int = 0
    waiting: int = 0


def replay(rows) -> ReplayResult:
    """Apply logged events again (admin action): idempotent for every event kind."""
    result = ReplayResult()
    for row in rows:
        instance = row.instance
        try:
            with transaction.atomic():
                outcome = _reapply(row, instance, replaying=True)
        except Exception as exc:
            logger.exception("replaying event %s failed", row.pk)
            _save_outcome(row, Outcome(Status.FAILED, error=f"{type(exc).__name__}: {exc}"))
            result.failed += 1
            continue
        if outcome.status == Status.DEFERRED:
            result.waiting += 1
        else:
            result.processed += 1
    return result


def echoes_since(instance_id, since):
    """Evolution's ``send.message`` echoes of ``instance_id`` received since ``since``, parsed,
    oldest first (malformed ones left out): how a send whose answer never came is told from
    one that never happened."""
    rows = WebhookEvent.objects.filter(
        instance_id=instance_id, event="send.message", received_at__gte=since
    ).order_by("received_at")
    for row in rows.iterator():
        try:
            _envelope, echo = events.parse(row.payload)
        except events.MalformedEvent:
            continue
        if isinstance(echo, events.MessageEvent):
            yield echo


def settle_waiting(now=None) -> int:
    """Events still waiting for their message after DEFERRED_PATIENCE (a django-q2 schedule).

    Each is tried once more (its message may have been applied by another worker meanwhile);
    if it still waits, a receipt or deletion has nothing to change, a reaction is kept without
    its target, and an API send echo (a message sent by another client of the same Evolution
    instance) is stored.
    """
    cutoff = (now or timezone.now()) - DEFERRED_PATIENCE
    settled = 0
    stale = WebhookEvent.objects.filter(status=Status.DEFERRED, received_at__lt=cutoff)
    for row in stale.select_related("instance__tenant").iterator():
        with transaction.atomic():
            _envelope, event = events.parse(row.payload)
            outcome = apply(row.instance, event)
            if outcome.status == Status.DEFERRED:
                outcome = _give_up_waiting(row.instance, event)
            _save_outcome(row, outcome)
        settled += 1
    return settled


def _give_up_waiting(instance, event) -> Outcome:
    if isinstance(event, events.MessageEvent) and event.content.type == "reaction":
        ingest.attach_reaction(instance, None, event)
        return Outcome(Status.PROCESSED)
    if isinstance(event, events.MessageEvent):
        return _from_ingest(ingest.store_message(instance, event, replaying=True))
    return Outcome(Status.IGNORED, error="its message never arrived")


def purge_old_events(now=None) -> int:
    """Delete the raw log past its retention (a django-q2 schedule)."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.WEBHOOK_EVENT_RETENTION_DAYS)
    deleted, _by_model = WebhookEvent.objects.filter(received_at__lt=cutoff).delete()
    return deleted
