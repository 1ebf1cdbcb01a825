"""Authenticated webhook events: kept once in the raw log, then applied to the domain.

``receive()`` is the whole job of one webhook call after authentication. The raw row is
inserted with ``ON CONFLICT DO NOTHING`` on (instance, dedup key), so a redelivery, or the same
event posted by both the instance and the global webhook, is applied once even when both arrive
at the same moment. The row and the domain changes commit together; if applying fails, the
changes roll back and the row is written again as ``failed`` with the error, ready for replay.
"""

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from alrea.phones import normalize_phone
from chat import ingest
from whatsapp import events, health, services
from whatsapp.models import ConnectionState, WebhookEvent

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
        _apply_waiting(result.message)
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
    health.rescore(instance)
    return Outcome(Status.PROCESSED)


def _qrcode(instance, event: events.QrCodeChanged) -> Outcome:
    if event.limit_reached:
        return Outcome(Status.PROCESSED, error="QR code limit reached")
    services.record_qr(instance, event.image, event.pairing_code)
    return Outcome(Status.PROCESSED)


def _logged_out(instance, event) -> Outcome:
    services.record_state(instance, ConnectionState.CLOSE, 401, detail="logout.instance")
    health.rescore(instance)
    return Outcome(Status.PROCESSED)


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
        case events.Presence():
            # Typing indicators are only relayed live to the chat page, never stored.
            return Outcome(Status.IGNORED, error="presence is not stored")
        case events.Unhandled():
            return Outcome(Status.IGNORED, error=f"{event.event} is not handled")
    return Outcome(Status.PROCESSED)


def _apply_waiting(message) -> None:
    """Events that arrived before ``message`` (receipts, reactions, deletions): apply them now."""
    waiting = WebhookEvent.objects.filter(
        instance_id=message.conversation.instance_id,
        status=Status.DEFERRED,
        waits_for=message.provider_id,
    ).order_by("received_at")
    for row in waiting.select_for_update(skip_locked=True):
        _reapply(row, message.conversation.instance)


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

_INSERT = """
    INSERT INTO whatsapp_webhookevent
        (id, tenant_id, instance_id, event, dedup_key, waits_for, payload, status, error,
         received_at, processed_at, deliveries)
    VALUES (%s, %s, %s, %s, %s, '', %s, %s, %s, %s, %s, 1)
    ON CONFLICT (instance_id, dedup_key) DO NOTHING
    RETURNING id
"""


def _insert(instance, name: str, key: str, body: dict, status: str, error: str = ""):
    """The new row's id, or None when this event is already in the log."""
    row = WebhookEvent(instance=instance, tenant_id=instance.tenant_id)  # for its defaults
    now = timezone.now()
    field = WebhookEvent._meta.get_field
    params = [
        field("id").get_db_prep_value(row.id, connection),
        field("tenant").get_db_prep_value(instance.tenant_id, connection),
        field("instance").get_db_prep_value(instance.pk, connection),
        name[:64],
        key,
        field("payload").get_db_prep_value(body, connection),
        status,
        error,
        field("received_at").get_db_prep_value(now, connection),
        field("processed_at").get_db_prep_value(
            now if status == Status.PROCESSED else None, connection
        ),
    ]
    with connection.cursor() as cursor:
        cursor.execute(_INSERT, params)
        return row.id if cursor.fetchone() else None


@dataclass(frozen=True)
class Received:
    status: str  # a WebhookEvent.Status, or "duplicate"
    event_id: object = None
    error: str = ""


def receive(instance, envelope: events.Envelope, event, body: dict) -> Received:
    key = dedup_key(envelope, event)
    if instance.tenant.is_suspended:
        # Kept, not applied: replayed from the admin if the company is reactivated.
        event_id = _insert(instance, envelope.event, key, body, Status.IGNORED, "company suspended")
        return _received(instance, key, event_id, Status.IGNORED)
    try:
        with transaction.atomic():
            event_id = _insert(instance, envelope.event, key, body, Status.PROCESSED)
            if event_id is None:
                return _received(instance, key, None, Status.PROCESSED)
            outcome = apply(instance, event)
            if outcome.status != Status.PROCESSED or outcome.error:
                _save_outcome(WebhookEvent(pk=event_id), outcome)
            return Received(outcome.status, event_id, outcome.error)
    except Exception as exc:  # the raw event must survive any bug in applying it
        logger.exception(
            "applying %s failed", envelope.event, extra={"tenant_id": instance.tenant_id}
        )
        error = f"{type(exc).__name__}: {exc}"
        event_id = _insert(instance, envelope.event, key, body, Status.FAILED, error[:2000])
        return Received(Status.FAILED, event_id, error)


def record_malformed(instance, name: str, body, reason: str) -> None:
    """An authenticated body that breaks the contract: kept so that someone can see it."""
    key = (
        f"sha:{hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()}"
    )
    _insert(instance, name or "?", key, body, Status.FAILED, f"malformed: {reason}"[:2000])


def _received(instance, key: str, event_id, status: str) -> Received:
    if event_id is None:  # a redelivery: counted on the row it repeats
        WebhookEvent.objects.filter(instance=instance, dedup_key=key).update(
            deliveries=F("deliveries") + 1
        )
        return Received("duplicate")
    return Received(status, event_id)


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


def settle_waiting(now=None) -> int:
    """Events whose message never came, after DEFERRED_PATIENCE (a django-q2 schedule).

    A receipt or deletion for a message we never stored has nothing to change; a reaction is
    kept without its target; an API send echo is a message sent by another client of the
    same Evolution instance, so it is stored.
    """
    cutoff = (now or timezone.now()) - DEFERRED_PATIENCE
    settled = 0
    stale = WebhookEvent.objects.filter(status=Status.DEFERRED, received_at__lt=cutoff)
    for row in stale.select_related("instance__tenant").iterator():
        with transaction.atomic():
            _envelope, event = events.parse(row.payload)
            outcome = _settle(row.instance, event)
            _save_outcome(row, outcome)
        settled += 1
    return settled


def _settle(instance, event) -> Outcome:
    if isinstance(event, events.MessageEvent) and event.content.type == "reaction":
        ingest.attach_reaction(instance, None, event)
        return Outcome(Status.PROCESSED)
    if isinstance(event, events.MessageEvent):
        return _from_ingest(ingest.store_message(instance, event, replaying=True))
    return Outcome(Status.IGNORED, error="its message never arrived")


def purge_old_events(now=None) -> int:
    """Delete the raw log past its retention (a django-q2 schedule)."""
    from django.conf import settings

    cutoff = (now or timezone.now()) - timedelta(days=settings.WEBHOOK_EVENT_RETENTION_DAYS)
    deleted, _by_model = WebhookEvent.objects.filter(received_at__lt=cutoff).delete()
    return deleted
