"""Outbound webhooks: record the events integrators subscribed to, and deliver them with retries.

``emit(tenant, event, data)`` is called (one line) where the event happens, inside its
transaction: it stores one ``WebhookDelivery`` per active subscription to the event and
publishes ``webhook.outbound`` once that commits. Without subscriptions it costs one indexed
query. The consumer calls ``deliver``; a failed attempt waits ``BACKOFF[n]`` and the minutely
``republish_due`` (a django-q2 schedule) publishes it again: the bus's own short retries are for
crashes, not for a receiver that is down for hours.
"""

import logging
import uuid
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from api import webhooks
from api.models import WebhookDelivery, WebhookSubscription
from bus.payloads import WebhookOutbound
from bus.publish import publish, publish_many
from notifications import events as alerts
from tenancy.limits import TenantSuspendedError
from tenancy.models import Tenant

logger = logging.getLogger(__name__)

Status = WebhookDelivery.Status

# Wait after the 1st, 2nd, … failed attempt; after the last one the delivery is given up.
# 8 attempts over about 45 hours, so a receiver down for a day still gets everything.
BACKOFF = [
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
    timedelta(hours=12),
    timedelta(hours=24),
]
MAX_ATTEMPTS = len(BACKOFF) + 1
# An attempt holds its row this long (more than the POST's timeout); a crash mid-send frees it.
LEASE = timedelta(seconds=webhooks.TIMEOUT_SECONDS * 6)
# This many given-up deliveries in a row (no delivered one between) disable the subscription.
DISABLE_AFTER_GIVEN_UP = 3
EXCERPT_CHARS = 2000  # of the receiver's answer kept in the log
SWEEP_BATCH = 1000
UNFINISHED = [Status.PENDING, Status.FAILED]


type EventData = dict | Callable[[], dict | list[dict]]


def emit(tenant, event: str, data: EventData) -> int:
    """Record ``event`` for every active subscription to it; returns how many deliveries.

    ``data`` is the event's object, or a function building it (one dict, or a list for one
    event per item) that runs only when someone subscribed.
    """
    assert event in webhooks.EVENTS, event
    tenant_id = getattr(tenant, "pk", tenant)
    # A tenant has a handful of subscriptions: their events are matched here, which also works
    # on SQLite (the embedded default has no JSON containment lookup).
    active = WebhookSubscription.objects.for_tenant(tenant_id).filter(is_active=True).order_by()
    subscriptions = [pk for pk, events in active.values_list("pk", "events") if event in events]
    if not subscriptions or Tenant.objects.get(pk=tenant_id).is_suspended:
        return 0  # a suspended company's integrations hear nothing, as its API keys do
    built = data() if callable(data) else data
    now = timezone.now()
    deliveries = [
        WebhookDelivery(
            tenant_id=tenant_id,
            subscription_id=subscription,
            event=event,
            payload=body,
            next_attempt_at=now,
            created_at=now,
        )
        for body in _bodies(event, built if isinstance(built, list) else [built], now)
        for subscription in subscriptions
    ]
    WebhookDelivery.objects.bulk_create(deliveries)
    publish_many([_message(delivery) for delivery in deliveries])
    return len(deliveries)


def _bodies(event: str, items: list[dict], now) -> list[dict]:
    # One id per event, the same for every subscription and on redelivery: receivers dedupe on it.
    return [
        {"id": str(uuid.uuid4()), "event": event, "created_at": now.isoformat(), "data": item}
        for item in items
    ]


def _message(delivery: WebhookDelivery) -> WebhookOutbound:
    return WebhookOutbound(tenant_id=delivery.tenant_id, delivery_id=delivery.pk)


# --- Sending ----------------------------------------------------------------------------------


def deliver(tenant_id, delivery_id) -> str:
    """Attempt one delivery if it is due; returns its status afterwards (or "skipped").

    Safe to call twice for one message: a delivered, given-up or in-flight row is not sent.
    """
    now = timezone.now()
    # Compare-and-swap: only one caller claims a due row, and the lease keeps it claimed.
    claimed = (
        WebhookDelivery.objects.for_tenant(tenant_id)
        .filter(pk=delivery_id, status__in=UNFINISHED, next_attempt_at__lte=now)
        .update(attempts=F("attempts") + 1, last_attempt_at=now, next_attempt_at=now + LEASE)
    )
    if not claimed:
        return "skipped"
    delivery = WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)
    subscription = delivery.subscription
    if not subscription.is_active:
        _finish(delivery, Status.GIVEN_UP, error=_("The subscription is disabled."))
        return delivery.status
    outcome = webhooks.post_signed(subscription, webhooks.encode(delivery.payload))
    fields = {
        "response_code": outcome["status_code"],
        "response_excerpt": outcome["response"][:EXCERPT_CHARS],
        "error": outcome["error"],
        "duration_ms": outcome["duration_ms"],
    }
    if outcome["delivered"]:
        _finish(delivery, Status.DELIVERED, **fields)
    elif delivery.attempts >= MAX_ATTEMPTS:
        _finish(delivery, Status.GIVEN_UP, **fields)
        _disable_if_failing(subscription)
    else:
        wait = BACKOFF[delivery.attempts - 1]
        _save(delivery, status=Status.FAILED, next_attempt_at=timezone.now() + wait, **fields)
    logger.info(
        "webhook delivery %s: %s (attempt %s, HTTP %s)",
        delivery.pk,
        delivery.status,
        delivery.attempts,
        outcome["status_code"],
        extra={"tenant_id": tenant_id, "subscription_id": subscription.pk},
    )
    return delivery.status


def _finish(delivery: WebhookDelivery, status: str, **fields) -> None:
    _save(delivery, status=status, next_attempt_at=None, completed_at=timezone.now(), **fields)


def _save(delivery: WebhookDelivery, **fields) -> None:
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**fields)
    for name, value in fields.items():
        setattr(delivery, name, value)


def _disable_if_failing(subscription: WebhookSubscription) -> None:
    latest = list(
        subscription.deliveries.filter(completed_at__isnull=False)
        .order_by("-completed_at")
        .values_list("status", flat=True)[:DISABLE_AFTER_GIVEN_UP]
    )
    if len(latest) < DISABLE_AFTER_GIVEN_UP or any(s != Status.GIVEN_UP for s in latest):
        return
    reason = _(
        "%(count)s deliveries in a row failed for more than a day each; fix the receiver "
        "and activate the subscription again."
    ) % {"count": DISABLE_AFTER_GIVEN_UP}
    with transaction.atomic():
        # Compare-and-swap: two consumers giving up at once disable (and notify) once.
        if not WebhookSubscription.objects.filter(pk=subscription.pk, is_active=True).update(
            is_active=False, disabled_reason=reason[:255]
        ):
            return
        subscription.is_active, subscription.disabled_reason = False, reason[:255]
        subscription.deliveries.filter(status__in=UNFINISHED).update(
            status=Status.GIVEN_UP,
            next_attempt_at=None,
            completed_at=timezone.now(),
            error=_("The subscription is disabled."),
        )
        alerts.webhook_disabled(subscription)
    logger.warning(
        "webhook subscription %s disabled after repeated failures",
        subscription.pk,
        extra={"tenant_id": subscription.tenant_id, "subscription_id": subscription.pk},
    )


# --- Retries and redelivery -------------------------------------------------------------------


def republish_due() -> int:
    """Publish again the unfinished deliveries whose next attempt is due (every minute).

    Also recovers a first message lost after commit. A row still queued from a previous run is
    published twice at worst; the consumer's claim sends it once.
    """
    due = list(
        WebhookDelivery.objects.filter(status__in=UNFINISHED, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", "tenant_id")[:SWEEP_BATCH]
    )
    published = 0
    for delivery_id, tenant_id in due:
        try:
            publish(WebhookOutbound(tenant_id=tenant_id, delivery_id=delivery_id))
        except TenantSuspendedError:
            # Not kept for later: a suspended company's rows would fill every sweep's batch.
            WebhookDelivery.objects.filter(pk=delivery_id).update(
                status=Status.GIVEN_UP,
                next_attempt_at=None,
                completed_at=timezone.now(),
                error=_("The company is suspended."),
            )
            continue
        published += 1
    return published


def purge_log() -> int:
    """Delete deliveries finished more than API_WEBHOOK_LOG_RETENTION_DAYS ago (daily)."""
    cutoff = timezone.now() - timedelta(days=settings.API_WEBHOOK_LOG_RETENTION_DAYS)
    deleted, _by_model = WebhookDelivery.objects.filter(completed_at__lt=cutoff).delete()
    return deleted


def redeliver(delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a logged delivery's body again, as a new delivery (the old row stays as it was)."""
    subscription = delivery.subscription
    if not subscription.is_active:
        raise ValidationError(
            _("The subscription to %(url)s is disabled; activate it before redelivering.")
            % {"url": subscription.url},
            code="inactive",
        )
    now = timezone.now()
    again = WebhookDelivery.objects.create(
        tenant_id=delivery.tenant_id,
        subscription=subscription,
        event=delivery.event,
        payload=delivery.payload,
        next_attempt_at=now,
        created_at=now,
    )
    publish(_message(again))
    return again
