"""The daily purge: read notifications past the retention go, unread ones and recent ones stay."""

from datetime import timedelta

from django.utils import timezone
from django_q.models import Schedule

from notifications import services
from notifications.models import Notification


def test_old_read_notifications_are_purged_and_the_rest_stay(cast, notify_one, settings):
    settings.NOTIFICATION_RETENTION_DAYS = 90
    old_read, old_unread, recent_read = (notify_one(cast.ana) for _n in range(3))
    long_ago = timezone.now() - timedelta(days=91)
    Notification.objects.filter(pk__in=[old_read.pk, old_unread.pk]).update(created_at=long_ago)
    services.mark_read(cast.ana, [old_read.pk, recent_read.pk])

    assert services.purge_read() == 1

    assert set(Notification.objects.values_list("pk", flat=True)) == {
        old_unread.pk,
        recent_read.pk,
    }


def test_the_purge_runs_daily(db):
    schedule = Schedule.objects.get(func="notifications.services.purge_read")
    assert (schedule.minutes, schedule.repeats) == (24 * 60, -1)
