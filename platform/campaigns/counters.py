"""Campaign counters that no sender waits for.

Every recipient status change appends one ``CampaignCounterMove`` row (from, to, how many) in
the transaction that changes the recipients. An insert takes no lock that another transaction
waits for, so consumers, the webhook worker and the admin never queue on the campaign's row.
The count of a status is the campaign's folded value plus the moves not folded yet, read in one
statement, so it is exact at any moment. ``fold`` adds the moves into the campaign's row and
deletes them; the refill does it every few sends and the minute tick for every campaign, so a
campaign has at most a few hundred moves to add up when it is read.

Why not counters on the campaign row, moved with F()? Every send then updated that one row three
times, and each transaction held its lock until it committed: measured, senders spent 78% of
their time waiting for it, and the webhook worker's batches held it for their whole length
(docs/performance.md, campaign_send).
"""

from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Case, F, IntegerField, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce

from alrea import sql
from campaigns import live
from campaigns.models import Campaign, CampaignCounterMove, CampaignRecipient

STATUSES = tuple(CampaignRecipient.Status.values)


def record(campaign_id, moves: dict[tuple[str, str], int]) -> None:
    """``moves[(old, new)]`` recipients of the campaign changed status (old "" = added).
    Call it in the transaction that changed them."""
    rows = [
        CampaignCounterMove(campaign_id=campaign_id, from_status=old, to_status=new, rows=n)
        for (old, new), n in moves.items()
        if n and old != new
    ]
    if rows:
        CampaignCounterMove.objects.bulk_create(rows)
        live.changed(campaign_id)


def _unfolded(status: str):
    """The moves into ``status`` minus the moves out of it, for the outer campaign."""
    moves = (
        CampaignCounterMove.objects.filter(campaign=OuterRef("pk"))
        .filter(Q(to_status=status) | Q(from_status=status))
        .values("campaign")
        .annotate(
            net=Sum(
                Case(
                    When(to_status=status, then=F("rows")),
                    default=-F("rows"),
                    output_field=IntegerField(),
                )
            )
        )
        .values("net")
    )
    return Coalesce(Subquery(moves, output_field=IntegerField()), Value(0))


def annotate(queryset):
    counts = {f"{status}_count": F(f"folded_{status}") + _unfolded(status) for status in STATUSES}
    total = sum((F(f"folded_{status}") for status in STATUSES), Value(0))
    # Moves never change the total except by additions, which count as moves from "".
    added = (
        CampaignCounterMove.objects.filter(campaign=OuterRef("pk"), from_status="")
        .values("campaign")
        .annotate(n=Sum("rows"))
        .values("n")
    )
    return queryset.annotate(
        **counts, total=total + Coalesce(Subquery(added, output_field=IntegerField()), Value(0))
    )


def _of_sql() -> str:
    net = (
        "COALESCE(SUM(CASE WHEN m.to_status = '{s}' THEN m.rows"
        " WHEN m.from_status = '{s}' THEN -m.rows END), 0)"
    )
    columns = ", ".join(f"c.folded_{s} + {net.format(s=s)}" for s in STATUSES)
    return (
        f"SELECT {columns} FROM {Campaign._meta.db_table} AS c"
        f" LEFT JOIN {CampaignCounterMove._meta.db_table} AS m ON m.campaign_id = c.id"
        " WHERE c.id = %s GROUP BY c.id"
    )


OF_SQL = _of_sql()  # built once: the senders read one campaign's counts every few sends


def of(campaign_id) -> dict[str, int]:
    """Recipients per status of one campaign, and ``total``, in one statement."""
    with connection.cursor() as cursor:
        cursor.execute(OF_SQL, [sql.value(Campaign, "id", campaign_id)])
        row = cursor.fetchone()
    if row is None:
        raise Campaign.DoesNotExist(campaign_id)
    counts = dict(zip(STATUSES, row, strict=True))
    counts["total"] = sum(row)
    return counts


def fold(campaign_ids: Iterable | None = None) -> None:
    """Add the moves into their campaigns' rows and delete them (all campaigns if None)."""
    moves = CampaignCounterMove.objects.all()
    if campaign_ids is not None:
        moves = moves.filter(campaign_id__in=list(campaign_ids))
    for campaign_id in moves.values_list("campaign_id", flat=True).distinct():
        _fold_one(campaign_id)


def _fold_one(campaign_id) -> None:
    with transaction.atomic():
        # Row lock: two folds of one campaign would both add the same moves.
        Campaign.objects.select_for_update(no_key=True).filter(pk=campaign_id).values_list(
            "pk"
        ).first()
        # Exactly the rows read here are deleted: a move committed meanwhile waits for the
        # next fold (one with a lower id may commit after this read).
        moves = list(
            CampaignCounterMove.objects.filter(campaign_id=campaign_id).values_list(
                "id", "from_status", "to_status", "rows"
            )
        )
        if not moves:
            return
        net: dict[str, int] = {}
        for _id, old, new, rows in moves:
            net[new] = net.get(new, 0) + rows
            if old:
                net[old] = net.get(old, 0) - rows
        changes = {f"folded_{status}": F(f"folded_{status}") + n for status, n in net.items() if n}
        if changes:
            Campaign.objects.filter(pk=campaign_id).update(**changes)
        CampaignCounterMove.objects.filter(id__in=[move[0] for move in moves]).delete()
