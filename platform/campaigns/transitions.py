"""Recipient status changes: the only code that writes ``CampaignRecipient.status``.

Every change is a compare-and-swap on the rows (it only happens from the statuses the caller
names), and the campaign's counters move in the same transaction by exactly the rows that
changed (``campaigns.counters``), so the counts always equal the recipients in each status and
are never recounted. No change locks the campaign's row.
"""

from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from alrea import sql
from campaigns import counters
from campaigns.models import Campaign, CampaignMessage, CampaignRecipient
from contacts.models import Contact

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


def added_pending(campaign_id, rows: int) -> None:
    """``rows`` recipients were just inserted as pending; call it in the inserting transaction."""
    counters.record(campaign_id, {("", S.PENDING): rows})


def move(recipient: CampaignRecipient, allowed_from: Iterable[str], to: str, **fields) -> bool:
    """Move one recipient to ``to`` if it is in one of ``allowed_from``; False otherwise.

    ``recipient`` is updated in memory when it moves. Other fields to set go in ``fields``.
    """
    allowed_from = tuple(allowed_from)
    fields = {"status": to, **fields}
    if stamp := STAMP.get(to):
        fields.setdefault(stamp, timezone.now())
    rows = CampaignRecipient.objects.filter(pk=recipient.pk)
    with transaction.atomic():
        if len(allowed_from) == 1:
            current = allowed_from[0]
            moved = rows.filter(status=current).update(**fields)
        else:
            # Row lock: two consumers, or a consumer and a webhook, decide one after the other.
            current = rows.select_for_update(no_key=True).values_list("status", flat=True).get()
            moved = current in allowed_from and rows.update(**fields)
        if not moved:
            recipient.status = rows.values_list("status", flat=True).get()
            return False
        counters.record(recipient.campaign_id, {(current, to): 1})
    for name, value in fields.items():
        setattr(recipient, name, value)
    return True


def claim(recipient: CampaignRecipient, instance_id, variation: CampaignMessage) -> int | None:
    """queued → sending for ``instance_id``, but only while the campaign runs and the contact
    has not opted out: this compare-and-swap is the last look before the message goes out.
    Returns the recipient's attempts, or None if it did not move."""
    with connection.cursor() as cursor:
        # Plain SQL: the status test must be on the updated row itself, where PostgreSQL
        # re-checks it after waiting for a concurrent change; a join would be checked on the
        # snapshot.
        cursor.execute(
            f"""
            UPDATE {CampaignRecipient._meta.db_table} AS r
               SET status = %(sending)s, claimed_at = %(now)s, instance_id = %(instance)s,
                   variation_id = %(variation)s, attempts = r.attempts + 1
             WHERE r.id = %(id)s AND r.status = %(queued)s
               AND EXISTS (SELECT 1 FROM {Campaign._meta.db_table} AS c
                            WHERE c.id = r.campaign_id AND c.status = %(running)s)
               AND EXISTS (SELECT 1 FROM {Contact._meta.db_table} AS k
                            WHERE k.id = r.contact_id AND NOT k.opted_out)
            RETURNING attempts
            """,
            {
                "sending": S.SENDING,
                "queued": S.QUEUED,
                "running": Campaign.Status.RUNNING,
                "now": sql.value(CampaignRecipient, "claimed_at", timezone.now()),
                "instance": sql.value(CampaignRecipient, "instance", instance_id),
                "variation": sql.value(CampaignRecipient, "variation", variation.pk),
                "id": sql.value(CampaignRecipient, "id", recipient.pk),
            },
        )
        row = cursor.fetchone()
    if row is None:
        return None
    counters.record(recipient.campaign_id, {(S.QUEUED, S.SENDING): 1})
    recipient.status, recipient.attempts = S.SENDING, row[0]
    recipient.instance_id, recipient.variation = instance_id, variation
    return row[0]


def move_all(campaign: Campaign, rows, old: str, new: str, **fields) -> int:
    """Move every recipient of ``rows`` that is in ``old`` to ``new``; returns how many moved."""
    stamp = STAMP.get(new)
    if stamp:
        fields.setdefault(stamp, timezone.now())
    with transaction.atomic():
        moved = rows.filter(campaign=campaign, status=old).update(status=new, **fields)
        counters.record(campaign.pk, {(old, new): moved})
    return moved


def forward(recipient: CampaignRecipient, to: str) -> bool:
    """Along the funnel only (sent → delivered → read → replied); never back. A step skipped
    (READ before DELIVERY_ACK) is stamped too: a read message was delivered."""
    index = FUNNEL.index(to)
    now = timezone.now()
    implied = {STAMP[step]: Coalesce(F(STAMP[step]), now) for step in FUNNEL[1:index]}
    return move(recipient, FUNNEL[:index], to, **implied)
