"""Campaign state changes: start, schedule, pause, resume, cancel, duplicate.

Called the same way by the admin, the API and the engine. Each takes the campaign's row lock
(``select_for_update``), so a pause and a start, or two clicks, decide one after the other.
"""

import logging
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from api import event_data, outbound
from campaigns import dispatch, live
from campaigns.models import Campaign, CampaignEvent, CampaignRecipient
from notifications import events as notification_events
from tenancy.limits import Resource, lock_tenant, require_capacity, require_product
from tenancy.models import Product

logger = logging.getLogger(__name__)

S = Campaign.Status
Kind = CampaignEvent.Kind


class CampaignStateError(ValidationError):
    """The campaign is not in a state that allows this (e.g. resuming a completed one)."""


def log(campaign: Campaign, kind: str, detail: str = "", by=None) -> None:
    """Every status change logs an event: the campaign's live pages hear of both from here."""
    CampaignEvent.objects.create(
        tenant_id=campaign.tenant_id, campaign=campaign, kind=kind, detail=detail[:255], actor=by
    )
    live.changed(campaign.pk)


def _locked(campaign: Campaign, allowed: tuple[str, ...], action: str) -> Campaign:
    locked = Campaign.objects.select_for_update(no_key=True).get(pk=campaign.pk)
    if locked.status not in allowed:
        raise CampaignStateError(
            _("A %(status)s campaign cannot be %(action)s.")
            % {"status": locked.get_status_display().lower(), "action": action}
        )
    return locked


def check_ready(campaign: Campaign) -> None:
    """What a campaign needs before it can start or be scheduled."""
    from campaigns import rendering

    problems = []
    variations = list(campaign.variations.all())
    if not variations:
        problems.append(_("Write at least one message."))
    for variation in variations:
        try:
            rendering.validate(variation.body, campaign.tenant)
        except ValidationError as error:
            problems.extend(error.messages)
    if not campaign.instances.exists():
        problems.append(_("Choose at least one WhatsApp number."))
    if problems:
        raise ValidationError(problems)


def _apply(campaign: Campaign, locked: Campaign, **fields) -> None:
    Campaign.objects.filter(pk=locked.pk).update(**fields)
    for name, value in fields.items():
        setattr(campaign, name, value)


@transaction.atomic
def start(campaign: Campaign, *, by=None) -> int:
    """Materialise the audience and start sending; returns how many recipients it has."""
    from campaigns import audience

    locked = _locked(campaign, (S.DRAFT, S.SCHEDULED), _("started"))
    check_ready(locked)
    tenant = lock_tenant(locked.tenant)
    require_product(tenant, Product.Code.FLOW)
    if locked.started_at is None:
        require_capacity(tenant, Resource.CAMPAIGNS_PER_MONTH, 1)
    audience.materialise(locked)
    now = timezone.now()
    _apply(
        campaign,
        locked,
        status=S.RUNNING,
        status_reason="",
        auto_paused=False,
        started_at=locked.started_at or now,
    )
    log(campaign, Kind.STARTED, by=by)
    outbound.emit(campaign.tenant_id, "campaign.started", lambda: event_data.campaign(campaign))
    transaction.on_commit(lambda: dispatch.refill(campaign.pk))
    campaign.refresh_from_db()
    return campaign.counts()["total"]


@transaction.atomic
def schedule(campaign: Campaign, when: datetime, *, by=None) -> None:
    locked = _locked(campaign, (S.DRAFT, S.SCHEDULED), _("scheduled"))
    if when <= timezone.now():
        raise ValidationError(_("Choose a moment in the future."))
    check_ready(locked)
    _apply(campaign, locked, status=S.SCHEDULED, scheduled_at=when)
    log(campaign, Kind.SCHEDULED, timezone.localtime(when).strftime("%Y-%m-%d %H:%M"), by=by)


@transaction.atomic
def pause(campaign: Campaign, *, by=None, reason: str = "", automatic: bool = False) -> None:
    """Stop sending before the next message; what is queued waits for resume."""
    locked = _locked(campaign, (S.RUNNING,), _("paused"))
    _apply(campaign, locked, status=S.PAUSED, status_reason=reason[:255], auto_paused=automatic)
    log(campaign, Kind.PAUSED, reason, by=by)
    if automatic:
        notification_events.campaign_paused(locked, reason)


@transaction.atomic
def resume(campaign: Campaign, *, by=None) -> None:
    locked = _locked(campaign, (S.PAUSED,), _("resumed"))
    _apply(campaign, locked, status=S.RUNNING, status_reason="", auto_paused=False)
    log(campaign, Kind.RESUMED, by=by)
    transaction.on_commit(lambda: dispatch.refill(campaign.pk))


@transaction.atomic
def cancel(campaign: Campaign, *, by=None) -> None:
    """For good: nothing more is sent. Messages already sent keep being tracked."""
    locked = _locked(campaign, (S.DRAFT, S.SCHEDULED, S.RUNNING, S.PAUSED), _("cancelled"))
    _apply(campaign, locked, status=S.CANCELLED, finished_at=timezone.now())
    log(campaign, Kind.CANCELLED, by=by)


def complete_if_done(campaign_id) -> bool:
    """Mark a running campaign completed once no recipient waits or is being sent."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update(no_key=True).get(pk=campaign_id)
        counts = campaign.counts()
        unfinished = counts["pending"] + counts["queued"] + counts["sending"]
        if campaign.status != S.RUNNING or unfinished:
            return False
        Campaign.objects.filter(pk=campaign.pk).update(
            status=S.COMPLETED, finished_at=timezone.now(), status_reason=""
        )
        log(campaign, Kind.COMPLETED)
        notification_events.campaign_finished(campaign)
        outbound.emit(
            campaign.tenant_id, "campaign.finished", lambda: event_data.campaign(campaign)
        )
    return True


@transaction.atomic
def duplicate(campaign: Campaign, *, by=None) -> Campaign:
    """A draft with the same settings, messages and audience (not its recipients)."""
    copy = Campaign.objects.get(pk=campaign.pk)
    copy.pk = None
    copy._state.adding = True
    copy.name = _("%(name)s (copy)") % {"name": campaign.name}
    copy.status, copy.status_reason, copy.auto_paused = S.DRAFT, "", False
    copy.created_by = by
    copy.started_at = copy.finished_at = copy.scheduled_at = None
    for status in CampaignRecipient.Status.values:
        setattr(copy, f"folded_{status}", 0)
    copy.save(force_insert=True)
    copy.instances.set(campaign.instances.all())
    copy.audience_tags.set(campaign.audience_tags.all())
    copy.audience_lists.set(campaign.audience_lists.all())
    for variation in campaign.variations.all():
        variation.pk = None
        variation._state.adding = True
        variation.campaign = copy
        variation.times_used = 0
        variation.save(force_insert=True)
    return copy


def test_send(campaign: Campaign, phone: str, *, by=None) -> str:
    """Send the first variation to ``phone`` from the campaign's first connected number, as a
    check before the real run. Rendered for the tenant's contact with that number, or an empty
    sample contact; no recipient is recorded. Returns the WhatsApp message id."""
    from alrea.phones import normalize_phone
    from campaigns import engine, rendering
    from contacts.models import Contact
    from whatsapp import evolution
    from whatsapp import services as instance_services
    from whatsapp.models import ConnectionState
    from whatsapp.servers import client_for

    number = normalize_phone(phone)
    variation = campaign.variations.order_by("order", "pk").first()
    if variation is None:
        raise ValidationError(_("Write at least one message."))
    instance = (
        campaign.instances.filter(state=ConnectionState.OPEN, is_active=True)
        .order_by("name")
        .first()
    )
    if instance is None:
        raise ValidationError(_("None of the campaign's WhatsApp numbers is connected."))
    contact = Contact.objects.for_tenant(campaign.tenant_id).filter(phone=number).first()
    text = rendering.preview(variation.body, contact or Contact(tenant=campaign.tenant))
    try:
        with client_for(instance) as client:
            sent = engine.deliver(client, instance, number, variation, text)
    except evolution.EvolutionError as error:
        logger.warning(
            "campaign test send failed: %s",
            type(error).__name__,
            extra={"tenant_id": str(campaign.tenant_id), "campaign_id": str(campaign.pk)},
        )
        raise ValidationError(
            instance_services.user_message(error), code=type(error).__name__
        ) from error
    log(
        campaign,
        Kind.TEST_SENT,
        _("to %(number)s from %(instance)s") % {"number": number, "instance": instance.name},
        by=by,
    )
    return sent.key_id
