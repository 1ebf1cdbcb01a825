"""Sending one campaign recipient: pace, rotate, claim, send, record. Runs in the consumer.

The order is what makes it exactly once:

1. **Take a number and claim the recipient**, in one transaction (``take``): pick an eligible
   number that is free now (rotation decides which) and, if the campaign is paced, mark it busy
   with a compare-and-swap on its ``next_send_at``; count the send for its daily limit; then the
   recipient's compare-and-swap queued → sending, which also checks that the campaign still
   runs and the contact has not opted out. A redelivered or duplicated message, or a second
   consumer, finds the recipient no longer queued and the whole transaction is undone.
2. **Send**, then free the number: it may send again ``interval`` seconds (uniform in the
   campaign's min-max) after this call *started*, so two of its messages never reach WhatsApp
   closer than ``interval_min``.
3. **Record** the outcome. A consumer killed between 1 and the record leaves the recipient in
   "sending"; ``reconcile`` settles it later from Evolution's ``send.message`` echo (sent: keep
   it) or its absence (not sent: queue it again).

No step locks the campaign's row (counters are appended moves, ``campaigns.counters``), so
senders of one campaign only ever wait for the number they share.
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
from django.db import connection, transaction
from django.db.models import F, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from alrea import sql
from alrea.phones import normalize_phone
from campaigns import dispatch, services, transitions, wakeups, window
from campaigns.models import Campaign, CampaignMessage, CampaignRecipient
from chat import ingest
from whatsapp import events, evolution, health, inbound
from whatsapp import services as instance_services
from whatsapp.models import ConnectionState, InstanceDailyStats, WhatsAppInstance
from whatsapp.servers import server_for

logger = logging.getLogger(__name__)

S = CampaignRecipient.Status
# Longest nap while every number is busy: the pause check runs at least this often. A freed
# number wakes its waiters at once (``campaigns.wakeups``).
NAP_SECONDS = 0.25
# A number reserved by a sender that died is free again after this long.
RESERVATION_SECONDS = 120
# Added to each interval: the next call must not reach WhatsApp before interval_min even if
# this one took longer to get there than the next will.
PACING_GUARD_SECONDS = 0.005


# --- Choosing a number ---------------------------------------------------------------------


@dataclass(frozen=True)
class Taken:
    instance: WhatsAppInstance
    variation: CampaignMessage
    numbers: int  # how many numbers the campaign has (its pipeline's size depends on it)


@dataclass(frozen=True)
class Busy:
    wait: float  # seconds until the first eligible number is free, as far as is known
    waiting_for: tuple = ()  # the eligible numbers' ids


@dataclass(frozen=True)
class NoneLeft:
    reason: str


@dataclass(frozen=True)
class Lost:
    """The recipient was not queued any more, or the campaign stopped, or the contact left."""


def numbers_of(campaign: Campaign) -> list[WhatsAppInstance]:
    """The campaign's numbers, each with ``sent_today`` (one query)."""
    day = timezone.localdate(timezone=ZoneInfo(campaign.tenant.timezone))
    sent = InstanceDailyStats.objects.filter(instance=OuterRef("pk"), day=day).values("sent")
    return list(
        campaign.instances.select_related("tenant", "server")
        .annotate(sent_today=Coalesce(Subquery(sent, output_field=IntegerField()), Value(0)))
        .order_by("pk")
    )


def exclusion(campaign: Campaign, instance: WhatsAppInstance) -> str:
    """Why ``instance`` may not send for ``campaign`` now, or ""."""
    if not instance.is_active:
        return "inactive"
    if instance.state != ConnectionState.OPEN:
        return "disconnected"
    if instance.sent_today >= daily_limit(campaign, instance):
        return "daily limit reached"
    if campaign.min_health is not None and instance.health_score < campaign.min_health:
        return f"health {instance.health_score} below {campaign.min_health}"
    return ""


def daily_limit(campaign: Campaign, instance: WhatsAppInstance) -> int:
    return min(
        instance.daily_send_limit, campaign.daily_limit_per_instance or instance.daily_send_limit
    )


def eligible_instances(campaign: Campaign) -> list[WhatsAppInstance]:
    return [i for i in numbers_of(campaign) if not exclusion(campaign, i)]


def by_rotation(campaign: Campaign, free: list[WhatsAppInstance]) -> list[WhatsAppInstance]:
    """``free`` in the order the campaign's rotation prefers them."""
    if campaign.rotation == Campaign.Rotation.BALANCED:
        return sorted(free, key=lambda i: (i.sent_today, i.pk))
    if campaign.rotation == Campaign.Rotation.HEALTH:
        return sorted(free, key=lambda i: (-i.health_score, i.sent_today, i.pk))
    # Round robin: the number that has waited longest since it was last taken goes first.
    never = timezone.now() - timedelta(days=36500)
    return sorted(free, key=lambda i: (i.last_taken_at or never, i.pk))


def take(campaign: Campaign, recipient: CampaignRecipient):
    """Taken(instance, variation), Busy(wait), NoneLeft(reason) or Lost().

    A paced campaign reserves the number for the length of its call. One with intervals of 0
    asked for no pacing: its senders share the numbers, one message each at a time, so a
    number sends as many at once as the campaign has in flight for it
    (CAMPAIGN_IN_FLIGHT_PER_NUMBER); a number another campaign reserved is still waited for.
    """
    numbers = numbers_of(campaign)
    reasons = {i.name: exclusion(campaign, i) for i in numbers}
    eligible = [i for i in numbers if not reasons[i.name]]
    if not eligible:
        detail = "; ".join(f"{name}: {why}" for name, why in reasons.items())
        return NoneLeft(detail or "no WhatsApp number chosen")
    now = timezone.now()
    free = [i for i in eligible if i.next_send_at is None or i.next_send_at <= now]
    variation = _least_used_variation(campaign) if free else None  # chosen before a number is held
    for instance in by_rotation(campaign, free):
        with transaction.atomic():
            if not reserve(instance, now, exclusive=paced(campaign)):
                continue  # another sender has it: the next free number is tried
            # Counted now, in the reservation; senders sharing a number may both have read it
            # under its limit, so the count itself decides.
            if health.count(instance, sent=1) > daily_limit(campaign, instance):
                transaction.set_rollback(True)
                continue
            if transitions.claim(recipient, instance.pk, variation) is None:
                transaction.set_rollback(True)  # the number was not used after all
                return Lost()
            count_use(variation)
        return Taken(instance, variation, len(numbers))
    waits = [(i.next_send_at - now).total_seconds() for i in eligible if i.next_send_at]
    return Busy(max(min(waits, default=0), 0), tuple(i.pk for i in eligible))


def paced(campaign: Campaign) -> bool:
    return campaign.interval_max > 0


def reserve(instance: WhatsAppInstance, now, *, exclusive: bool) -> bool:
    """Take the number: ``exclusive``ly (marked busy, a compare-and-swap on its
    ``next_send_at`` as it was read) or shared (only round robin's mark). A number another
    sender is taking at this moment is passed over (SKIP LOCKED) rather than waited for. NO KEY:
    a plain FOR UPDATE would also block the foreign-key checks (FOR KEY SHARE, made when a
    transaction commits) of every row that points at the number, and deadlock with them."""
    table = WhatsAppInstance._meta.db_table
    skip_locked = (
        "FOR NO KEY UPDATE SKIP LOCKED" * connection.features.has_select_for_update_skip_locked
    )

    def moment(at):
        return sql.value(WhatsAppInstance, "next_send_at", at)

    values = {
        "id": sql.value(WhatsAppInstance, "id", instance.pk),
        "was": moment(instance.next_send_at),
        "now": moment(now),
        "busy_until": moment(now + timedelta(seconds=RESERVATION_SECONDS)),
    }
    busy = "next_send_at = %(busy_until)s," if exclusive else ""
    unchanged = "AND next_send_at IS NOT DISTINCT FROM %(was)s" if exclusive else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {table} SET {busy} last_taken_at = %(now)s
             WHERE id = (SELECT id FROM {table} WHERE id = %(id)s {unchanged} {skip_locked})
            """,
            values,
        )
        return cursor.rowcount == 1


def _least_used_variation(campaign: Campaign) -> CampaignMessage:
    return (
        CampaignMessage.objects.filter(campaign=campaign).order_by("times_used", "order", "pk")
    ).first()


def count_use(variation: CampaignMessage, uses: int = 1) -> None:
    """The last statement of the claim's transaction, so that the variation's row (which every
    sender of the campaign updates) stays locked only while that commits. Senders choosing at
    the same moment may pick the same one; the counts stay exact and the next picks even out."""
    CampaignMessage.objects.filter(pk=variation.pk).update(times_used=F("times_used") + uses)


def _free(instance, campaign: Campaign, *, started, succeeded: bool = False) -> None:
    """The number may send again: ``interval`` after the call that ``started`` (when it
    began), or at once if nothing was sent (``started`` None)."""
    # A success resets the error streak; most numbers have none, and the write is skipped.
    fields = {"consecutive_errors": 0} if succeeded and instance.consecutive_errors else {}
    if started is None:
        health.uncount_sent(instance)
    if paced(campaign):
        interval = random.uniform(campaign.interval_min, campaign.interval_max)
        fields["next_send_at"] = (
            timezone.now()
            if started is None
            else started + timedelta(seconds=interval + PACING_GUARD_SECONDS)
        )
    if fields:
        WhatsAppInstance.objects.filter(pk=instance.pk).update(**fields)
    if paced(campaign):
        wakeups.freed(instance.pk)


# --- One recipient -------------------------------------------------------------------------


STATUS_SQL = f"SELECT status FROM {Campaign._meta.db_table} WHERE id = %s"


def running(campaign: Campaign) -> bool:
    """Whether the campaign still runs (read again: a burst asks before every message)."""
    with connection.cursor() as cursor:
        cursor.execute(STATUS_SQL, [sql.value(Campaign, "id", campaign.pk)])
        row = cursor.fetchone()
    if row is None:
        raise Campaign.DoesNotExist(campaign.pk)
    campaign.status = row[0]
    return campaign.status == Campaign.Status.RUNNING


def _take_when_free(campaign: Campaign, recipient: CampaignRecipient):
    """Wait for a free number and claim the recipient with it: Taken, NoneLeft or Lost; None
    when the campaign stopped or its window closed meanwhile."""
    while True:
        if not window.is_open(campaign, timezone.now()):
            return None
        since = wakeups.generation()
        outcome = take(campaign, recipient)  # the claim in it checks that the campaign runs
        if not isinstance(outcome, Busy):
            return outcome
        pause = min(max(outcome.wait, 0.001), NAP_SECONDS)
        # Woken by a freed number, it tries at once (the claim checks the status); after a
        # nap it looks whether the campaign still runs.
        if not wakeups.wait(outcome.waiting_for, since, pause) and not running(campaign):
            return None


def _pause_for_want_of_numbers(campaign: Campaign, reason: str) -> None:
    # Another sender may have paused it first, or someone paused or cancelled it meanwhile.
    with contextlib.suppress(services.CampaignStateError):
        services.pause(campaign, reason=f"No WhatsApp number can send ({reason}).", automatic=True)


def skip_reason(recipient: CampaignRecipient) -> str:
    """Why this recipient must not get the message (checked before waiting for a number), or
    "". The claim checks opt-out again, at the last moment."""
    contact = recipient.contact
    if contact is None:
        return CampaignRecipient.SkipReason.CONTACT_DELETED
    return CampaignRecipient.SkipReason.OPTED_OUT if contact.opted_out else ""


def handle(tenant_id, campaign_id, recipient_id) -> None:
    """The ``campaign.send`` handler's work: send this recipient its message, once."""
    recipient = CampaignRecipient.objects.select_related("campaign__tenant", "contact").get(
        pk=recipient_id, tenant_id=tenant_id, campaign_id=campaign_id
    )
    campaign = recipient.campaign
    numbers = None
    while recipient.status == S.QUEUED:
        if reason := skip_reason(recipient):
            transitions.move(recipient, (S.QUEUED,), S.SKIPPED, skip_reason=reason)
            break
        outcome = _take_when_free(campaign, recipient)
        if isinstance(outcome, NoneLeft):
            _pause_for_want_of_numbers(campaign, outcome.reason)
        if outcome is None or isinstance(outcome, NoneLeft):
            transitions.move(recipient, (S.QUEUED,), S.PENDING)  # waits for resume or window
            return
        if isinstance(outcome, Lost):
            # Read again what the claim found changed: the loop decides with it.
            recipient.refresh_from_db(fields=["status", "contact"])
            if recipient.contact is not None:
                recipient.contact.refresh_from_db(fields=["opted_out"])
            if recipient.status == S.QUEUED and not running(campaign):
                transitions.move(recipient, (S.QUEUED,), S.PENDING)
                return
            continue
        numbers = outcome.numbers
        send(recipient, outcome.instance, outcome.variation)
    dispatch.refill_when_room(campaign, numbers)


# --- The call and its outcome --------------------------------------------------------------

_clients = threading.local()
CLIENT_SECONDS = 30  # how long a handler thread trusts the server it looked up for a tenant


def _client(instance: WhatsAppInstance) -> evolution.EvolutionClient:
    """One client per handler thread and server, so its connection pool is reused; the
    server is looked up again every CLIENT_SECONDS (it is one query per send otherwise)."""
    cache = getattr(_clients, "by_owner", None)
    if cache is None:
        cache = _clients.by_owner = {}
    owner = (instance.server_id, instance.tenant_id)
    server, client, expires = cache.get(owner, (None, None, 0.0))
    if expires < time.monotonic():
        found = server_for(instance)
        if found != server:
            server, client = found, evolution.EvolutionClient(found.url, found.api_key)
        cache[owner] = (server, client, time.monotonic() + CLIENT_SECONDS)
    return client


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


def send(recipient, instance, variation, *, record=None) -> None:
    """Render, call Evolution and settle the outcome; a sent message is recorded by ``record``
    (``record_sent``'s arguments; by default ``record_sent`` itself)."""
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
        _free(instance, campaign, started=None)
        transitions.move(recipient, (S.SENDING,), S.FAILED, last_error="; ".join(error.messages))
        return
    started = timezone.now()
    try:
        delay = settings.CAMPAIGN_TYPING_MS if campaign.typing_presence else None
        sent = deliver(
            _client(instance), instance, recipient.contact.phone, variation, text, delay=delay
        )
    except evolution.NotOnWhatsApp as error:
        _free(instance, campaign, started=started)
        transitions.move(
            recipient,
            (S.SENDING,),
            S.SKIPPED,
            skip_reason=recipient.SkipReason.NOT_ON_WHATSAPP,
            last_error=str(error),
        )
    except evolution.ValidationError as error:
        _free(instance, campaign, started=started)
        transitions.move(recipient, (S.SENDING,), S.FAILED, last_error=str(error))
    except evolution.Disconnected as error:
        # Certainly not sent: the number is closed. Another number may take the recipient.
        _free(instance, campaign, started=None)
        instance_services.record_state(instance, ConnectionState.CLOSE, detail=str(error)[:255])
        transitions.move(recipient, (S.SENDING,), S.QUEUED, last_error=str(error))
    except evolution.Timeout as error:
        # Perhaps sent: only Evolution's echo can tell; the reconciler will look for it.
        _free(instance, campaign, started=started)
        _note_error(instance)
        CampaignRecipient.objects.filter(pk=recipient.pk).update(last_error=str(error))
    except evolution.EvolutionError as error:  # server or network trouble, not sent
        _free(instance, campaign, started=None)
        _note_error(instance)
        _retry_or_fail(recipient, str(error))
    else:
        _free(instance, campaign, started=started, succeeded=True)
        (record or record_sent)(
            recipient, instance, sent.key_id, sent.remote_jid, text, sent.timestamp
        )


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
        _commit_without_waiting_for_disk()
        if not transitions.move(recipient, (S.SENDING,), S.SENT, provider_id=provider_id):
            return
        message = ingest.store_outbound(
            instance,
            events.MessageKey(id=provider_id, remote_jid=remote_jid, from_me=True),
            body=text,
            timestamp=when,
            campaign_recipient=recipient,
        )
        inbound.apply_waiting(message)


@dataclass(frozen=True)
class Sent:
    """``record_sent``'s arguments, kept to record a burst's sends together."""

    recipient: CampaignRecipient
    instance: WhatsAppInstance
    provider_id: str
    remote_jid: str
    text: str
    when: object


def record_sent_many(campaign_id, sent: list[Sent]) -> None:
    """``record_sent`` for several recipients of one campaign, in one transaction."""
    if not sent:
        return
    with transaction.atomic():
        _commit_without_waiting_for_disk()
        moved = transitions.sent_many(campaign_id, {s.recipient.pk: s.provider_id for s in sent})
        messages = ingest.store_outbound_many(
            [
                ingest.Sent(
                    instance=s.instance,
                    key=events.MessageKey(id=s.provider_id, remote_jid=s.remote_jid, from_me=True),
                    contact=s.recipient.contact,
                    body=s.text,
                    timestamp=s.when,
                    campaign_recipient=s.recipient,
                )
                for s in sent
                if s.recipient.pk in moved
            ]
        )
        inbound.apply_waiting(*messages)


def _commit_without_waiting_for_disk() -> None:
    """Not waiting for the disk at a record's commit is safe: if PostgreSQL loses it in a
    crash, the recipient is still "sending" and the reconciler records it from the echo. (The
    claim before the call does wait: losing it could send twice.)"""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


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
    for campaign in Campaign.objects.with_counts().filter(queued_count__gt=0):
        held_for = settings.CAMPAIGN_RECONCILE_AFTER_SECONDS + 2 * campaign.interval_max
        lost = campaign.recipients.filter(queued_at__lt=now - timedelta(seconds=held_for))
        settled += transitions.move_all(campaign, lost, S.QUEUED, S.PENDING)
    return settled


def _echo_of(recipient: CampaignRecipient) -> events.MessageEvent | None:
    """Evolution's ``send.message`` for this recipient after it was claimed, if any."""
    if recipient.instance_id is None or recipient.contact_id is None:
        return None
    since = recipient.claimed_at - timedelta(seconds=5)
    for echo in inbound.echoes_since(recipient.instance_id, since):
        digits = events.jid_phone(echo.key.remote_jid)
        with contextlib.suppress(ValidationError):
            if digits and normalize_phone(f"+{digits}") == recipient.contact.phone:
                return echo
    return None
