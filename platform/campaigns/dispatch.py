"""Keeping a running campaign's pipeline full, and the minute tick that watches every campaign.

A campaign never has its whole audience on RabbitMQ: only CAMPAIGN_IN_FLIGHT_PER_NUMBER
recipients per WhatsApp number are queued at a time (a number sends one message at a time, so
more would only wait), and each recipient that finishes makes room for the next. Pausing
therefore leaves little to drain, resuming is a refill, and a publish lost after a crash is
replaced by the next refill (the tick runs one for every running campaign each minute).
"""

import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from bus.payloads import CampaignSend
from bus.publish import publish_many
from campaigns import counters, live, transitions, window
from campaigns.models import Campaign, CampaignEvent, CampaignRecipient

logger = logging.getLogger(__name__)

S = CampaignRecipient.Status
RUNNING = Campaign.Status.RUNNING
WINDOW_CLOSED = "Outside the sending window: waiting for it to open."


def capacity(campaign: Campaign, numbers: int | None = None) -> int:
    """How many recipients the campaign keeps queued or sending (``numbers``: how many
    WhatsApp numbers it has, when the caller knows)."""
    if numbers is None:
        numbers = campaign.instances.count()
    return settings.CAMPAIGN_IN_FLIGHT_PER_NUMBER * numbers * burst(campaign)


def burst(campaign: Campaign) -> int:
    """Recipients per ``campaign.send`` message: one for a paced campaign (a number sends one
    message per interval), CAMPAIGN_BURST without pacing (``campaigns.bursts``)."""
    return settings.CAMPAIGN_BURST if campaign.interval_max == 0 else 1


def refill_when_room(campaign: Campaign, numbers: int | None = None) -> int:
    """A sender finished: refill once half the campaign's room is free, not after every send
    (each refill is a transaction and a publish), and fold the counters while at it."""
    if campaign.status != RUNNING:
        return 0
    counts, most = counters.of(campaign.pk), capacity(campaign, numbers)
    room = most - counts["queued"] - counts["sending"]
    if counts["pending"] and room * 2 < most:
        return 0
    return refill(campaign.pk)  # also when nothing is pending: it completes the campaign


def refill(campaign_id) -> int:
    """Queue pending recipients until the campaign has enough in flight for its numbers."""
    with transaction.atomic():
        # Row lock: two refills of one campaign at once would both fill the same room. NO KEY
        # everywhere the campaign is locked: rows that point at it check it at commit (FOR KEY
        # SHARE), and a FOR UPDATE held across the recipients' update deadlocked with them.
        campaign = (
            Campaign.objects.select_for_update(of=("self",), no_key=True)
            .select_related("tenant")
            .get(pk=campaign_id)
        )
        counters.fold([campaign.pk])
        if campaign.status != RUNNING:
            return 0
        if not window.is_open(campaign, timezone.now()):
            if campaign.status_reason != WINDOW_CLOSED:
                Campaign.objects.filter(pk=campaign.pk).update(status_reason=WINDOW_CLOSED)
                CampaignEvent.objects.create(
                    tenant_id=campaign.tenant_id,
                    campaign=campaign,
                    kind=CampaignEvent.Kind.WINDOW_CLOSED,
                )
                live.changed(campaign.pk)
            return 0
        if campaign.status_reason == WINDOW_CLOSED:
            Campaign.objects.filter(pk=campaign.pk).update(status_reason="")
        counts = counters.of(campaign.pk)
        room = capacity(campaign) - counts["queued"] - counts["sending"]
        if room <= 0:
            return 0
        ids = list(
            campaign.recipients.filter(status=S.PENDING)
            .filter(Q(retry_at__isnull=True) | Q(retry_at__lte=timezone.now()))
            .order_by("pk")
            .values_list("pk", flat=True)[:room]
        )
        if not ids:
            _complete(campaign.pk)
            return 0
        moved = transitions.move_all(
            campaign, CampaignRecipient.objects.filter(pk__in=ids), S.PENDING, S.QUEUED
        )
        size = burst(campaign)
        publish_many(
            [
                CampaignSend(
                    tenant_id=campaign.tenant_id,
                    campaign_id=campaign.pk,
                    recipient_id=ids[start],
                    more_recipient_ids=ids[start + 1 : start + size],
                )
                for start in range(0, len(ids), size)
            ]
        )
    return moved


def _complete(campaign_id) -> None:
    from campaigns import services

    services.complete_if_done(campaign_id)


def tick(now=None) -> None:
    """Every minute (a django-q2 schedule): start what is due, refill what runs, settle sends
    that never finished, and resume campaigns that paused themselves for want of a number."""
    from campaigns import engine, services

    now = now or timezone.now()
    due = Campaign.objects.filter(status=Campaign.Status.SCHEDULED, scheduled_at__lte=now)
    for campaign in due:
        try:
            services.start(campaign)
        except Exception:
            logger.exception("scheduled campaign %s could not start", campaign.pk)
            services.log(campaign, "error", "could not start at its scheduled time")
    counters.fold()
    engine.reconcile(now)
    for campaign in Campaign.objects.filter(status=Campaign.Status.PAUSED, auto_paused=True):
        if engine.eligible_instances(campaign):
            services.resume(campaign)
    for campaign_id in Campaign.objects.filter(status=Campaign.Status.RUNNING).values_list(
        "pk", flat=True
    ):
        refill(campaign_id)
