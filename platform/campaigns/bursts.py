"""Campaigns without pacing send in bursts: one handler call claims, sends and records several
recipients, with a few statements for all of them instead of a dozen each.

A paced campaign sends one message per number per interval, so its recipients go one at a time
(``engine.handle``). One whose intervals are 0 asked for speed: its refill publishes one
``campaign.send`` message per ``CAMPAIGN_BURST`` recipients, and ``handle`` here:

1. **claims** them in one transaction: each free number's share counted for its daily limit
   (the count decides, as in ``engine.take``), every recipient moved
   queued → sending by one compare-and-swap with the same checks as a single claim (still
   queued, campaign running, contact not opted out), then the variations counted;
2. **sends** each with ``engine.send`` (the same handling of every error), looking at the
   campaign's status again before every message after the first, so a pause stops the burst;
3. **records** the sent ones together: one compare-and-swap sending → sent and their chat
   messages in one insert (``chat.ingest.store_outbound_many``).

Exactly once holds as in ``engine``: the claim is a compare-and-swap before any call, and a
consumer killed in the middle leaves its claimed recipients in "sending" for the reconciler.
What a burst cannot take (a recipient to skip, a number at its daily limit, no free number)
goes through ``engine.handle`` one by one, which waits, skips or pauses the campaign.
"""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from campaigns import dispatch, engine, transitions
from campaigns.models import Campaign, CampaignMessage, CampaignRecipient
from whatsapp import health

S = CampaignRecipient.Status


def handle(tenant_id, campaign_id, recipient_ids) -> None:
    """The ``campaign.send`` handler's work for a message naming ``recipient_ids``."""
    recipients = list(
        CampaignRecipient.objects.select_related("campaign__tenant", "contact").filter(
            pk__in=recipient_ids, tenant_id=tenant_id, campaign_id=campaign_id, status=S.QUEUED
        )
    )
    if not recipients:  # a redelivery of a burst already sent
        campaign = Campaign.objects.select_related("tenant").get(
            pk=campaign_id, tenant_id=tenant_id
        )
        dispatch.refill_when_room(campaign)
        return
    campaign = recipients[0].campaign
    if engine.paced(campaign) or len(recipients) == 1:
        for recipient in recipients:
            engine.handle(tenant_id, campaign_id, recipient.pk)
        return
    ready = [r for r in recipients if not engine.skip_reason(r)]
    claimed, numbers = _claim(campaign, ready) if ready else ([], None)
    sent: list[engine.Sent] = []
    disconnected = set()  # numbers found closed during the burst: their shares go elsewhere
    for n, (recipient, instance, variation) in enumerate(claimed):
        if n and not engine.running(campaign):
            _give_back(campaign, claimed[n:])
            break
        if instance.pk in disconnected:
            transitions.move(recipient, (S.SENDING,), S.QUEUED)
            health.uncount_sent(instance)
            continue
        engine.send(recipient, instance, variation, record=lambda *a: sent.append(engine.Sent(*a)))
        if recipient.status == S.QUEUED:  # certainly not sent: the number is closed
            disconnected.add(instance.pk)
    engine.record_sent_many(campaign.pk, sent)
    for recipient in recipients:  # what the burst could not send, one by one
        if recipient.status == S.QUEUED:
            engine.handle(tenant_id, campaign_id, recipient.pk)
    dispatch.refill_when_room(campaign, numbers)


def _claim(campaign: Campaign, recipients: list) -> tuple[list[tuple], int]:
    """Claim what the campaign's free numbers can send now: [(recipient, number, variation)],
    and how many numbers the campaign has."""
    numbers = engine.numbers_of(campaign)
    now = timezone.now()
    free = [
        i
        for i in numbers
        if not engine.exclusion(campaign, i) and (i.next_send_at is None or i.next_send_at <= now)
    ]
    if not free:
        return [], len(numbers)
    variations = list(
        CampaignMessage.objects.filter(campaign=campaign).order_by("times_used", "order", "pk")
    )
    waiting = iter(recipients)
    with transaction.atomic():
        plan = []
        # No reservation (the number's row is not touched): without pacing, senders share the
        # number, and bursts skipping the rows that each other's claims held sent most
        # recipients down the one-by-one path (measured: 86 % of the handlers' time).
        for instance, share in _shares(
            campaign, engine.by_rotation(campaign, free), len(recipients)
        ):
            over = health.count(instance, sent=share) - engine.daily_limit(campaign, instance)
            if over > 0:
                health.uncount_sent(instance, min(over, share))
            plan += [(next(waiting), instance) for _ in range(share - max(over, 0))]
        plan = [(r, i, variations[n % len(variations)]) for n, (r, i) in enumerate(plan)]
        attempts = transitions.claim_many(campaign.pk, [(r.pk, i.pk, v.pk) for r, i, v in plan])
        claimed = []
        for recipient, instance, variation in plan:
            if recipient.pk in attempts:
                recipient.status, recipient.attempts = S.SENDING, attempts[recipient.pk]
                recipient.instance_id, recipient.variation = instance.pk, variation
                claimed.append((recipient, instance, variation))
            else:  # gone meanwhile (another consumer, a pause, an opt-out): not sent after all
                health.uncount_sent(instance)
        # The variations last: every sender of the campaign updates those rows.
        for variation in {v for _r, _i, v in claimed}:
            engine.count_use(variation, sum(v is variation for _r, _i, v in claimed))
    return claimed, len(numbers)


def _shares(campaign: Campaign, ordered: list, count: int) -> list[tuple]:
    """How many of ``count`` recipients each number takes, by the campaign's rotation: best
    health takes them all; round robin spreads them evenly in its order; balanced fills the
    least used today first."""
    if campaign.rotation == Campaign.Rotation.HEALTH:
        return [(ordered[0], count)]
    balanced = campaign.rotation == Campaign.Rotation.BALANCED
    taken = [0] * len(ordered)

    def load(position):
        used = ordered[position].sent_today if balanced else 0
        return used + taken[position], position

    for _ in range(count):
        taken[min(range(len(ordered)), key=load)] += 1
    return [(instance, n) for instance, n in zip(ordered, taken, strict=True) if n]


def _give_back(campaign: Campaign, unsent: list[tuple]) -> None:
    """The campaign stopped mid-burst: the claimed but unsent recipients wait for a resume."""
    transitions.move_all(
        campaign,
        CampaignRecipient.objects.filter(pk__in=[r.pk for r, _i, _v in unsent]),
        S.SENDING,
        S.PENDING,
        attempts=F("attempts") - 1,  # not tried after all
    )
    for _recipient, instance, _variation in unsent:
        health.uncount_sent(instance)
