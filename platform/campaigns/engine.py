"""Sending one campaign recipient: pace, rotate, claim, send, record. Runs in the consumer.

The order is what makes it exactly once:

1. **Reserve a number** (``reserve``): under a lock on the campaign's instance rows, pick an
   eligible instance that is free now (rotation decides which) and mark it busy. An instance is
   free again ``interval`` seconds (uniform in the campaign's min-max) after its previous send
   *finished*, so two of its messages never reach WhatsApp closer than ``interval_min``.
2. **Claim the recipient**: compare-and-swap queued → sending. A redelivered or duplicated
   message, or a second consumer, finds it no longer queued and stops there.
3. **Send**, then record the outcome. A consumer killed between 2 and the record leaves the
   recipient in "sending"; ``reconcile`` settles it later from Evolution's ``send.message`` echo
   (sent: keep it) or its absence (not sent: queue it again).

The campaign's status is read again before each reservation and right before the HTTP call, so
a pause or cancel from the admin takes effect before the next message.
"""

import contextlib
import logging
import mimetypes
import random
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from alrea.phones import normalize_phone
from campaigns import dispatch, services, transitions, window
from campaigns.models import Campaign, CampaignMessage, CampaignRecipient
from chat import ingest
from contacts.models import Contact
from whatsapp import events, evolution, health
from whatsapp import services as instance_services
from whatsapp.models import ConnectionState, InstanceDailyStats, WebhookEvent, WhatsAppInstance
from whatsapp.servers import server_for

logger = logging.getLogger(__name__)

S = CampaignRecipient.Status
# Longest nap while waiting for a free number: the pause check runs at least this often.
NAP_SECONDS = 0.25
# A reserved number whose sender died is free again after this long.
RESERVATION_SECONDS = 120


# --- Choosing a number ---------------------------------------------------------------------


@dataclass(frozen=True)
class Reserved:
    instance: WhatsAppInstance


@dataclass(frozen=True)
class Busy:
    wait: float  # seconds until the first eligible number is free


@dataclass(frozen=True)
class NoneLeft:
    reason: str


def _sent_today(instances) -> dict:
    days = {i.pk: health.today(i) for i in instances}
    rows = InstanceDailyStats.objects.filter(instance__in=instances).values_list(
        "instance_id", "day", "sent"
    )
    return {pk: sent for pk, day, sent in rows if days.get(pk) == day}


def _exclusion(campaign: Campaign, instance: WhatsAppInstance, sent: int) -> str:
    """Why ``instance`` may not send for ``campaign`` now, or ""."""
    if not instance.is_active:
        return "inactive"
    if instance.state != ConnectionState.OPEN:
        return "disconnected"
    limit = min(
        instance.daily_send_limit, campaign.daily_limit_per_instance or instance.daily_send_limit
    )
    if sent >= limit:
        return "daily limit reached"
    if campaign.min_health is not None and instance.health_score < campaign.min_health:
        return f"health {instance.health_score} below {campaign.min_health}"
    return ""


def eligible_instances(campaign: Campaign) -> list[WhatsAppInstance]:
    instances = list(campaign.instances.select_related("tenant"))
    sent = _sent_today(instances)
    return [i for i in instances if not _exclusion(campaign, i, sent.get(i.pk, 0))]


def _rotate(campaign: Campaign, free: list[WhatsAppInstance], sent: dict) -> WhatsAppInstance:
    if campaign.rotation == Campaign.Rotation.BALANCED:
        return min(free, key=lambda i: (sent.get(i.pk, 0), i.pk))
    if campaign.rotation == Campaign.Rotation.HEALTH:
        return max(free, key=lambda i: (i.health_score, -sent.get(i.pk, 0)))
    # Round robin: the first free one after the last used, in a fixed order.
    ordered = sorted(free, key=lambda i: str(i.pk))
    last = str(campaign.last_instance_id) if campaign.last_instance_id else ""
    return next((i for i in ordered if str(i.pk) > last), ordered[0])


def reserve(campaign: Campaign):
    """Reserved(instance), Busy(wait) or NoneLeft(reason)."""
    now = timezone.now()
    with transaction.atomic():
        # Lock order, everywhere: the campaign, then its recipients, then its numbers; a sender
        # that records a send holds the campaign (counters) before it touches the number.
        Campaign.objects.select_for_update().filter(pk=campaign.pk).values_list("pk").first()
        # Row locks on the campaign's numbers, in one order: concurrent senders take turns.
        instances = list(
            campaign.instances.select_for_update(of=("self",))
            .select_related("tenant")
            .order_by("pk")
        )
        sent = _sent_today(instances)
        reasons = {i.name: _exclusion(campaign, i, sent.get(i.pk, 0)) for i in instances}
        eligible = [i for i in instances if not reasons[i.name]]
        if not eligible:
            detail = "; ".join(f"{name}: {why}" for name, why in reasons.items())
            return NoneLeft(detail or "no WhatsApp number chosen")
        free = [i for i in eligible if i.next_send_at is None or i.next_send_at <= now]
        if not free:
            return Busy(min((i.next_send_at - now).total_seconds() for i in eligible))
        chosen = _rotate(campaign, free, sent)
        WhatsAppInstance.objects.filter(pk=chosen.pk).update(
            next_send_at=now + timedelta(seconds=RESERVATION_SECONDS)
        )
        if campaign.rotation == Campaign.Rotation.ROUND_ROBIN:
            Campaign.objects.filter(pk=campaign.pk).update(last_instance=chosen)
            campaign.last_instance = chosen
        health.count(chosen, sent=1)  # counted now, so the daily limit holds under concurrency
    return Reserved(chosen)


def _free(instance: WhatsAppInstance, campaign: Campaign, *, sent: bool) -> None:
    """The number may send again: after the campaign's interval if it sent, else at once."""
    pause = random.uniform(campaign.interval_min, campaign.interval_max) if sent else 0
    WhatsAppInstance.objects.filter(pk=instance.pk).update(
        next_send_at=timezone.now() + timedelta(seconds=pause)
    )
    if not sent:
        health.uncount_sent(instance)


# --- One recipient -------------------------------------------------------------------------


def _running(campaign: Campaign) -> bool:
    campaign.status = Campaign.objects.values_list("status", flat=True).get(pk=campaign.pk)
    return campaign.status == Campaign.Status.RUNNING


def _wait_for_number(campaign: Campaign) -> WhatsAppInstance | None:
    while True:
        if not _running(campaign) or not window.is_open(campaign, timezone.now()):
            return None
        outcome = reserve(campaign)
        if isinstance(outcome, Reserved):
            return outcome.instance
        if isinstance(outcome, NoneLeft):
            _pause_for_want_of_numbers(campaign, outcome.reason)
            return None
        time.sleep(min(max(outcome.wait, 0.001), NAP_SECONDS))


def _pause_for_want_of_numbers(campaign: Campaign, reason: str) -> None:
    # Another sender may have paused it first, or someone paused or cancelled it meanwhile.
    with contextlib.suppress(services.CampaignStateError):
        services.pause(campaign, reason=f"No WhatsApp number can send ({reason}).", automatic=True)


def _pick_variation(campaign: Campaign) -> CampaignMessage:
    # Row locks: the least used variation is chosen and counted by one sender at a time.
    variation = (
        CampaignMessage.objects.select_for_update()
        .filter(campaign=campaign)
        .order_by("times_used", "order", "pk")
        .first()
    )
    CampaignMessage.objects.filter(pk=variation.pk).update(times_used=F("times_used") + 1)
    return variation


def _claim(recipient: CampaignRecipient, instance: WhatsAppInstance) -> CampaignMessage | None:
    with transaction.atomic():
        variation = _pick_variation(recipient.campaign)
        claimed = transitions.move(
            recipient,
            (S.QUEUED,),
            S.SENDING,
            instance=instance,
            variation=variation,
            attempts=F("attempts") + 1,
        )
        if not claimed:
            transaction.set_rollback(True)  # the variation was not used after all
            return None
    recipient.attempts = CampaignRecipient.objects.values_list("attempts", flat=True).get(
        pk=recipient.pk
    )
    return variation


def _skip_reason(recipient: CampaignRecipient) -> str:
    """Why this recipient must not get the message now (checked at send time), or ""."""
    opted_out = Contact.objects.filter(pk=recipient.contact_id).values_list("opted_out", flat=True)
    if not opted_out:
        return CampaignRecipient.SkipReason.CONTACT_DELETED
    return CampaignRecipient.SkipReason.OPTED_OUT if opted_out[0] else ""


def handle(tenant_id, campaign_id, recipient_id) -> None:
    """The ``campaign.send`` handler's work: send this recipient its message, once."""
    recipient = CampaignRecipient.objects.select_related("campaign__tenant", "contact").get(
        pk=recipient_id, tenant_id=tenant_id, campaign_id=campaign_id
    )
    campaign = recipient.campaign
    while recipient.status == S.QUEUED:
        if reason := _skip_reason(recipient):
            transitions.move(recipient, (S.QUEUED,), S.SKIPPED, skip_reason=reason)
            break
        instance = _wait_for_number(campaign)
        if instance is None:
            transitions.move(recipient, (S.QUEUED,), S.PENDING)  # waits for resume or window
            return
        variation = _claim(recipient, instance)
        if variation is None:
            _free(instance, campaign, sent=False)
            return  # someone else has it: a redelivery or a second consumer
        if not _running(campaign) or _skip_reason(recipient):  # the last look before the call
            _free(instance, campaign, sent=False)
            transitions.move(recipient, (S.SENDING,), S.QUEUED)
            continue
        _send(recipient, instance, variation)
    dispatch.refill(campaign.pk)


# --- The call and its outcome --------------------------------------------------------------

_clients = threading.local()


def _client(instance: WhatsAppInstance) -> evolution.EvolutionClient:
    """One client per handler thread and server: its connection pool is reused."""
    server = server_for(instance)
    cache = getattr(_clients, "by_server", None)
    if cache is None:
        cache = _clients.by_server = {}
    key = (server.url, server.api_key)
    if key not in cache:
        cache[key] = evolution.EvolutionClient(server.url, server.api_key)
    return cache[key]


def deliver(client, instance, phone: str, variation, text: str, *, delay=None):
    """Send one variation's text (and media) to ``phone``: the campaign's send and its test."""
    if variation.media_url or variation.media_file:
        source = variation.media_url or variation.media_file.read()
        name = (variation.media_url or variation.media_file.name).rsplit("/", 1)[-1]
        kind, mimetype = _media_kind(name)
        return client.send_media(
            instance.evolution_name,
            phone,
            source,
            mediatype=kind,
            mimetype=mimetype,
            file_name=name,
            caption=text,
            delay=delay,
        )
    return client.send_text(instance.evolution_name, phone, text, delay=delay)


def _media_kind(file_name: str) -> tuple[str, str]:
    mimetype = mimetypes.guess_type(file_name)[0] or "application/octet-stream"
    kind = mimetype.split("/")[0]
    return (kind if kind in ("image", "video", "audio") else "document"), mimetype


def _send(recipient, instance, variation) -> None:
    from campaigns import rendering

    campaign = recipient.campaign
    try:
        text = rendering.render(
            variation.body,
            recipient.contact,
            now=timezone.now(),
            tenant_tz=ZoneInfo(campaign.tenant.timezone),
        )
    except ValidationError as error:
        _free(instance, campaign, sent=False)
        transitions.move(recipient, (S.SENDING,), S.FAILED, last_error="; ".join(error.messages))
        return
    try:
        delay = settings.CAMPAIGN_TYPING_MS if campaign.typing_presence else None
        sent = deliver(
            _client(instance), instance, recipient.contact.phone, variation, text, delay=delay
        )
    except evolution.NotOnWhatsApp as error:
        _free(instance, campaign, sent=True)
        transitions.move(
            recipient,
            (S.SENDING,),
            S.SKIPPED,
            skip_reason=recipient.SkipReason.NOT_ON_WHATSAPP,
            last_error=str(error),
        )
    except evolution.ValidationError as error:
        _free(instance, campaign, sent=True)
        transitions.move(recipient, (S.SENDING,), S.FAILED, last_error=str(error))
    except evolution.Disconnected as error:
        # Certainly not sent: the number is closed. Another number may take the recipient.
        _free(instance, campaign, sent=False)
        instance_services.record_state(instance, ConnectionState.CLOSE, detail=str(error)[:255])
        transitions.move(recipient, (S.SENDING,), S.QUEUED, last_error=str(error))
    except evolution.Timeout as error:
        # Perhaps sent: only Evolution's echo can tell; the reconciler will look for it.
        _free(instance, campaign, sent=True)
        _note_error(instance)
        CampaignRecipient.objects.filter(pk=recipient.pk).update(last_error=str(error))
    except evolution.EvolutionError as error:  # server or network trouble, not sent
        _free(instance, campaign, sent=False)
        _note_error(instance)
        _retry_or_fail(recipient, str(error))
    else:
        _free(instance, campaign, sent=True)
        record_sent(recipient, instance, sent.key_id, sent.remote_jid, text, sent.timestamp)


def _note_error(instance: WhatsAppInstance) -> None:
    WhatsAppInstance.objects.filter(pk=instance.pk).update(
        consecutive_errors=F("consecutive_errors") + 1
    )
    health.rescore(instance)


def _retry_or_fail(recipient: CampaignRecipient, error: str) -> None:
    """Not sent because of the server or the network: pending again after a growing wait
    (CAMPAIGN_RETRY_SECONDS, then twice that, …), or failed after CAMPAIGN_MAX_ATTEMPTS."""
    if recipient.attempts >= settings.CAMPAIGN_MAX_ATTEMPTS:
        transitions.move(recipient, (S.SENDING,), S.FAILED, last_error=error)
        return
    wait = settings.CAMPAIGN_RETRY_SECONDS * 2 ** (recipient.attempts - 1)
    transitions.move(
        recipient,
        (S.SENDING,),
        S.PENDING,
        last_error=error,
        retry_at=timezone.now() + timedelta(seconds=wait),
    )


def record_sent(recipient, instance, provider_id: str, remote_jid: str, text: str, when) -> None:
    """The recipient is sent, and the message appears in the contact's chat conversation."""
    with transaction.atomic():
        if not transitions.move(recipient, (S.SENDING,), S.SENT, provider_id=provider_id):
            return
        WhatsAppInstance.objects.filter(pk=instance.pk).update(consecutive_errors=0)
        message = ingest.store_outbound(
            instance,
            events.MessageKey(id=provider_id, remote_jid=remote_jid, from_me=True),
            body=text,
            timestamp=when,
            campaign_recipient=recipient,
        )
        from whatsapp import inbound

        inbound.apply_waiting(message)


# --- Sends that never finished -------------------------------------------------------------


def reconcile(now=None) -> int:
    """Recipients left in "sending" (their consumer died): sent if Evolution echoed the
    message, else queued again. Only after CAMPAIGN_RECONCILE_AFTER_SECONDS, so that a slow
    echo (Evolution retries webhooks for minutes) is not mistaken for a lost send."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.CAMPAIGN_RECONCILE_AFTER_SECONDS)
    stuck = CampaignRecipient.objects.filter(status=S.SENDING, claimed_at__lt=cutoff)
    settled = 0
    for recipient in stuck.select_related("campaign__tenant", "contact", "instance", "variation"):
        echo = _echo_of(recipient)
        if echo is not None:
            record_sent(
                recipient,
                recipient.instance,
                echo.key.id,
                echo.key.remote_jid,
                echo.content.body or echo.content.caption,
                echo.timestamp,
            )
        else:
            transitions.move(
                recipient, (S.SENDING,), S.PENDING, last_error="no sign it was sent; sent again"
            )
        settled += 1
    # Queued but held by no consumer (its message was lost): pending again, for the next refill.
    for campaign in Campaign.objects.filter(queued_count__gt=0):
        held_for = settings.CAMPAIGN_RECONCILE_AFTER_SECONDS + 2 * campaign.interval_max
        lost = campaign.recipients.filter(queued_at__lt=now - timedelta(seconds=held_for))
        # move_all takes the campaign's lock before the rows (a deadlock with a claiming
        # consumer otherwise, seen in the campaign_send bench's fault run).
        settled += transitions.move_all(campaign, lost, S.QUEUED, S.PENDING)
    return settled


def _echo_of(recipient: CampaignRecipient) -> events.MessageEvent | None:
    """Evolution's ``send.message`` for this recipient after it was claimed, if any."""
    if recipient.instance_id is None or recipient.contact_id is None:
        return None
    candidates = WebhookEvent.objects.filter(
        instance_id=recipient.instance_id,
        event="send.message",
        received_at__gte=recipient.claimed_at - timedelta(seconds=5),
    ).order_by("received_at")
    for row in candidates:
        try:
            _envelope, echo = events.parse(row.payload)
            digits = events.jid_phone(echo.key.remote_jid)
            if digits and normalize_phone(f"+{digits}") == recipient.contact.phone:
                return echo
        except (events.MalformedEvent, ValidationError):
            continue
    return None
