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
    attempts = claim_many(recipient.campaign_id, [(recipient.pk, instance_id, variation.pk)])
    if not attempts:
        return None
    recipient.status, recipient.attempts = S.SENDING, attempts[recipient.pk]
    recipient.instance_id, recipient.variation = instance_id, variation
    return recipient.attempts


def claim_many(campaign_id, claims: list[tuple]) -> dict:
    """``claim`` for recipients of one campaign at once: ``claims`` are (recipient id, instance
    id, variation id); returns {recipient id: attempts} for those that moved."""
    if not claims:
        return {}
    ids, instances, variations = [], [], []
    for recipient_id, instance_id, variation_id in claims:
        ids.append(sql.value(CampaignRecipient, "id", recipient_id))
        instances += [ids[-1], sql.value(CampaignRecipient, "instance", instance_id)]
        variations += [ids[-1], sql.value(CampaignRecipient, "variation", variation_id)]
    each = " ".join(["WHEN %s THEN %s"] * len(ids))
    with connection.cursor() as cursor:
        # Plain SQL: the status test must be on the updated row itself, where PostgreSQL
        # re-checks it after waiting for a concurrent change; a join would be checked on the
        # snapshot.
        cursor.execute(
            f"""
            UPDATE {CampaignRecipient._meta.db_table} AS r
               SET status = %s, claimed_at = %s, attempts = r.attempts + 1,
                   instance_id = CASE r.id {each} END, variation_id = CASE r.id {each} END
             WHERE r.id IN ({", ".join(["%s"] * len(ids))}) AND r.status = %s
               AND EXISTS (SELECT 1 FROM {Campaign._meta.db_table} AS c
                            WHERE c.id = r.campaign_id AND c.status = %s)
               AND EXISTS (SELECT 1 FROM {Contact._meta.db_table} AS k
                            WHERE k.id = r.contact_id AND NOT k.opted_out)
            RETURNING id, attempts
            """,
            [
                S.SENDING,
                sql.value(CampaignRecipient, "claimed_at", timezone.now()),
                *instances,
                *variations,
                *ids,
                S.QUEUED,
                Campaign.Status.RUNNING,
            ],
        )
        moved = {_id(pk): attempts for pk, attempts in cursor.fetchall()}
    counters.record(campaign_id, {(S.QUEUED, S.SENDING): len(moved)})
    return moved


def sent_many(campaign_id, provider_ids: dict) -> set:
    """sending → sent for {recipient id: provider message id}; returns the ids that moved (a
    recipient the reconciler settled meanwhile is left alone)."""
    if not provider_ids:
        return set()
    ids, providers = [], []
    for recipient_id, provider_id in provider_ids.items():
        ids.append(sql.value(CampaignRecipient, "id", recipient_id))
        providers += [ids[-1], provider_id]
    each = " ".join(["WHEN %s THEN %s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {CampaignRecipient._meta.db_table}
               SET status = %s, sent_at = %s, provider_id = CASE id {each} END
             WHERE id IN ({", ".join(["%s"] * len(ids))}) AND status = %s
            RETURNING id
            """,
            [
                S.SENT,
                sql.value(CampaignRecipient, "sent_at", timezone.now()),
                *providers,
                *ids,
                S.SENDING,
            ],
        )
        moved = {_id(row[0]) for row in cursor.fetchall()}
    counters.record(campaign_id, {(S.SENDING, S.SENT): len(moved)})
    return moved


def _id(value):
    """A recipient id as returned by hand-written SQL (SQLite: hex text) as the ORM's UUID."""
    return CampaignRecipient._meta.get_field("id").to_python(value)


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
