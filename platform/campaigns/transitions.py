"""Recipient status changes: the only code that writes ``CampaignRecipient.status``.

Every change is a compare-and-swap on the row (it only happens from the statuses the caller
names), and the campaign's counters move in the same transaction by exactly the rows that
changed, so ``<status>_count`` always equals the number of recipients in that status and is
never recounted.
"""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from campaigns import live
from campaigns.models import Campaign, CampaignRecipient

S = CampaignRecipient.Status
STAMP = {
    S.QUEUED: "queued_at",
    S.SENDING: "claimed_at",
    S.SENT: "sent_at",
    S.DELIVERED: "delivered_at",
    S.READ: "read_at",
    S.REPLIED: "replied_at",
    S.FAILED: "failed_at",
    S.SKIPPED: "skipped_at",
}
# After a message went out, its recipient only moves forward along the funnel.
FUNNEL = (S.SENT, S.DELIVERED, S.READ, S.REPLIED)
FINAL = (*FUNNEL, S.FAILED, S.SKIPPED)


def _count(name: str) -> str:
    return f"{name}_count"


def _move_counters(campaign_id, moves: dict[tuple[str, str], int]) -> None:
    deltas: dict[str, int] = {}
    for (old, new), rows in moves.items():
        deltas[old] = deltas.get(old, 0) - rows
        deltas[new] = deltas.get(new, 0) + rows
    changes = {
        _count(status): F(_count(status)) + delta for status, delta in deltas.items() if delta
    }
    if changes:
        Campaign.objects.filter(pk=campaign_id).update(**changes)
        live.changed(campaign_id)


def added_pending(campaign_id, rows: int) -> None:
    """``rows`` recipients were just inserted as pending; call it in the inserting transaction."""
    if rows:
        Campaign.objects.filter(pk=campaign_id).update(pending_count=F("pending_count") + rows)
        live.changed(campaign_id)


def _lock_campaign(campaign_id) -> None:
    Campaign.objects.select_for_update().filter(pk=campaign_id).values_list("pk").first()


def move(recipient: CampaignRecipient, allowed_from: Iterable[str], to: str, **fields) -> bool:
    """Move one recipient to ``to`` if it is in one of ``allowed_from``; False otherwise.

    ``recipient`` is updated in memory when it moves. Other fields to set go in ``fields``.
    """
    with transaction.atomic():
        # Lock order, everywhere: campaign, then recipients, then instances (see engine.py).
        _lock_campaign(recipient.campaign_id)
        # Row lock: two consumers, or a consumer and a webhook, decide one after the other.
        current = (
            CampaignRecipient.objects.select_for_update()
            .values_list("status", flat=True)
            .get(pk=recipient.pk)
        )
        if current not in allowed_from:
            recipient.status = current
            return False
        now = timezone.now()
        fields = {"status": to, **fields}
        if stamp := STAMP.get(to):
            fields.setdefault(stamp, now)
        CampaignRecipient.objects.filter(pk=recipient.pk).update(**fields)
        _move_counters(recipient.campaign_id, {(current, to): 1})
    for name, value in fields.items():
        setattr(recipient, name, value)
    return True


def move_all(campaign: Campaign, rows, old: str, new: str, **fields) -> int:
    """Move every recipient of ``rows`` that is in ``old`` to ``new``; returns how many moved."""
    stamp = STAMP.get(new)
    if stamp:
        fields.setdefault(stamp, timezone.now())
    with transaction.atomic():
        _lock_campaign(campaign.pk)  # the lock order: campaign before its recipients
        moved = rows.filter(campaign=campaign, status=old).update(status=new, **fields)
        _move_counters(campaign.pk, {(old, new): moved})
    return moved


def forward(recipient: CampaignRecipient, to: str) -> bool:
    """Along the funnel only (sent → delivered → read → replied); never back. A step skipped
    (READ before DELIVERY_ACK) is stamped too: a read message was delivered."""
    index = FUNNEL.index(to)
    now = timezone.now()
    implied = {STAMP[step]: Coalesce(F(STAMP[step]), now) for step in FUNNEL[1:index]}
    return move(recipient, FUNNEL[:index], to, **implied)
