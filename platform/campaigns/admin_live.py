"""What the live campaign panel shows, as one JSON-ready dict: the change page renders it at
once, then gets it pushed over ``campaigns.sockets`` or, without a socket, polls it every two
seconds (``CampaignAdmin.live_view``).

Everything comes from the campaign's counters, its numbers and two small indexed queries (the
last hour's sends, the latest events): never a COUNT over its recipients.
"""

from datetime import timedelta

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from campaigns.models import Campaign, CampaignRecipient

R = CampaignRecipient.Status
EVENTS_SHOWN = 20
# Each funnel step counts the recipients that got at least that far.
FUNNEL = (
    (R.SENT, (R.SENT, R.DELIVERED, R.READ, R.REPLIED)),
    (R.DELIVERED, (R.DELIVERED, R.READ, R.REPLIED)),
    (R.READ, (R.READ, R.REPLIED)),
    (R.REPLIED, (R.REPLIED,)),
    (R.FAILED, (R.FAILED,)),
    (R.SKIPPED, (R.SKIPPED,)),
)
WAITING = (R.PENDING, R.QUEUED, R.SENDING)


def _count(counts: dict, statuses) -> int:
    return sum(counts[status] for status in statuses)


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT") if moment else ""


def _recipients_url(campaign: Campaign, status: str | None = None) -> str:
    changelist = reverse("admin:campaigns_campaignrecipient_changelist")
    url = f"{changelist}?campaign__id__exact={campaign.pk}"
    return f"{url}&status__exact={status}" if status else url


def _next_send(campaign: Campaign, now) -> dict | None:
    """The number that may send first, and when (only while the campaign runs)."""
    if campaign.status != Campaign.Status.RUNNING:
        return None
    instance = (
        campaign.instances.filter(is_active=True)
        .order_by("next_send_at", "name")
        .only("name", "next_send_at")
        .first()
    )
    if instance is None:
        return None
    at = max(instance.next_send_at or now, now)
    return {
        "instance": instance.name,
        "at": at.isoformat(),
        "at_label": _when(at),
        "in_seconds": round((at - now).total_seconds(), 1),
    }


def _throughput(campaign: Campaign, now) -> list[dict]:
    """Messages each number sent for this campaign in the last hour."""
    rows = (
        CampaignRecipient.objects.filter(
            campaign=campaign, sent_at__gte=now - timedelta(hours=1), instance__isnull=False
        )
        .values("instance__name")
        .annotate(sent=Count("pk"))
        .order_by("-sent", "instance__name")
    )
    return [{"instance": row["instance__name"], "sent": row["sent"]} for row in rows]


def _events(campaign: Campaign) -> list[dict]:
    events = campaign.events.select_related("actor").order_by("-at")[:EVENTS_SHOWN]
    return [
        {
            "kind": event.kind,
            "label": event.get_kind_display(),
            "detail": event.detail,
            "by": str(event.actor) if event.actor else "",
            "at": event.at.isoformat(),
            "at_label": _when(event.at),
        }
        for event in events
    ]


def payload(campaign: Campaign) -> dict:
    now = timezone.now()
    counts = campaign.counts()
    total = counts["total"]
    waiting = _count(counts, WAITING)
    labels = dict(R.choices)
    return {
        "status": campaign.status,
        "status_label": campaign.get_status_display(),
        "reason": campaign.status_reason,
        "total": total,
        "finished": total - waiting,
        "waiting": waiting,
        "progress": round(100 * (total - waiting) / total, 1) if total else 0,
        "counters": {status: counts[status] for status in R.values},
        "funnel": [
            {
                "status": step,
                "label": labels[step],
                "count": _count(counts, statuses),
                "url": _recipients_url(campaign, step),
            }
            for step, statuses in FUNNEL
        ],
        "recipients_url": _recipients_url(campaign),
        "next_send": _next_send(campaign, now),
        "throughput": _throughput(campaign, now),
        "events": _events(campaign),
        "started_at": _when(campaign.started_at),
        "finished_at": _when(campaign.finished_at),
        "scheduled_at": _when(campaign.scheduled_at),
        "updated_label": _("Updated %(time)s") % {"time": _when(now)},
    }
