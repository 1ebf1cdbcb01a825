"""Instance health: today's counters (one row per day, moved with F()) and a 0-100 score.

The score is what campaign rotation ("best health") and the pause threshold read: a number that
cannot send scores 0; otherwise failures, undelivered messages and a run of consecutive send
errors take points away.
"""

from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from alrea import sql
from whatsapp.models import ConnectionState, InstanceDailyStats, WhatsAppInstance

COUNTERS = ("sent", "delivered", "read", "failed")
# Below this many messages a ratio says little: one failure of two is not a 50% failure rate.
MIN_SAMPLE = 20
RESCORE_EVERY_SENDS = 10


def score(*, state: str, consecutive_errors: int, stats: InstanceDailyStats | None) -> int:
    if state != ConnectionState.OPEN:
        return 0
    points = 100 - min(consecutive_errors * 10, 50)
    if stats and stats.sent + stats.failed >= MIN_SAMPLE:
        attempts = stats.sent + stats.failed
        points -= round(40 * stats.failed / attempts)
        points -= round(30 * max(stats.sent - stats.delivered, 0) / max(stats.sent, 1))
    return max(0, min(100, points))


def today(instance: WhatsAppInstance):
    return timezone.localdate(timezone=ZoneInfo(instance.tenant.timezone))


def todays_stats(instance: WhatsAppInstance) -> InstanceDailyStats | None:
    return InstanceDailyStats.objects.filter(instance=instance, day=today(instance)).first()


def count(instance: WhatsAppInstance, **deltas: int) -> int:
    """Add to today's counters (e.g. ``count(instance, delivered=1)``); returns today's sent.

    One upsert, so the row is locked only until the caller commits; the score is worked out
    after the commit (it reads the instance row, which senders lock while reserving it). A
    send alone re-scores only every ``RESCORE_EVERY_SENDS``: receipts re-score anyway, and a
    number whose messages stop being delivered still loses points within a few sends.
    """
    unknown = set(deltas) - set(COUNTERS)
    if unknown:
        raise ValueError(f"unknown counters {sorted(unknown)}")
    values = {name: deltas.get(name, 0) for name in COUNTERS}
    values.update(
        tenant=sql.value(InstanceDailyStats, "tenant", instance.tenant_id),
        instance=sql.value(InstanceDailyStats, "instance", instance.pk),
        day=sql.value(InstanceDailyStats, "day", today(instance)),
    )
    table = InstanceDailyStats._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (tenant_id, instance_id, day, sent, delivered, read, failed)
            VALUES (%(tenant)s, %(instance)s, %(day)s,
                    %(sent)s, %(delivered)s, %(read)s, %(failed)s)
            ON CONFLICT (instance_id, day) DO UPDATE SET
                sent = {table}.sent + EXCLUDED.sent,
                delivered = {table}.delivered + EXCLUDED.delivered,
                read = {table}.read + EXCLUDED.read,
                failed = {table}.failed + EXCLUDED.failed
            RETURNING sent
            """,
            values,
        )
        sent = cursor.fetchone()[0]
    before = sent - values["sent"]
    if set(deltas) != {"sent"} or before // RESCORE_EVERY_SENDS != sent // RESCORE_EVERY_SENDS:
        transaction.on_commit(lambda: rescore(instance))
    return sent


def uncount_sent(instance: WhatsAppInstance, sends: int = 1) -> None:
    """Take back sends counted in advance (by a campaign's reservation) that did not happen."""
    InstanceDailyStats.objects.filter(
        instance=instance, day=today(instance), sent__gte=sends
    ).update(sent=F("sent") - sends)


def rescore(instance: WhatsAppInstance, stats: InstanceDailyStats | None = None) -> int:
    current = WhatsAppInstance.objects.values("state", "consecutive_errors").get(pk=instance.pk)
    value = score(
        state=current["state"],
        consecutive_errors=current["consecutive_errors"],
        stats=stats if stats is not None else todays_stats(instance),
    )
    WhatsAppInstance.objects.filter(pk=instance.pk).update(health_score=value)
    instance.health_score = value
    return value
