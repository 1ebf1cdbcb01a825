"""Instance health: today's counters (one row per day, moved with F()) and a 0-100 score.

The score is what campaign rotation ("best health") and the pause threshold read: a number that
cannot send scores 0; otherwise failures, undelivered messages and a run of consecutive send
errors take points away.
"""

from zoneinfo import ZoneInfo

from django.db.models import F
from django.utils import timezone

from whatsapp.models import ConnectionState, InstanceDailyStats, WhatsAppInstance

COUNTERS = ("sent", "delivered", "read", "failed")
# Below this many messages a ratio says little: one failure of two is not a 50% failure rate.
MIN_SAMPLE = 20


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


def count(instance: WhatsAppInstance, **deltas: int) -> None:
    """Add to today's counters (e.g. ``count(instance, delivered=1)``) and re-score."""
    unknown = set(deltas) - set(COUNTERS)
    if unknown:
        raise ValueError(f"unknown counters {sorted(unknown)}")
    stats, _created = InstanceDailyStats.objects.get_or_create(
        instance=instance, day=today(instance), defaults={"tenant_id": instance.tenant_id}
    )
    InstanceDailyStats.objects.filter(pk=stats.pk).update(
        **{name: F(name) + value for name, value in deltas.items()}
    )
    stats.refresh_from_db()
    rescore(instance, stats)


def uncount_sent(instance: WhatsAppInstance) -> None:
    """Take back a send counted in advance (by a campaign's reservation) that did not happen."""
    InstanceDailyStats.objects.filter(instance=instance, day=today(instance), sent__gt=0).update(
        sent=F("sent") - 1
    )


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
