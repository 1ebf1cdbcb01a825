"""What the bell shows: a user's unread count and latest notifications."""

from notifications import live
from notifications.models import Notification

LATEST = 8  # notifications in the bell's list


def summary(user) -> dict:
    """``{"unread": n, "latest": [...]}`` for ``user``'s own notifications (as_json rows)."""
    own = Notification.objects.visible_to(user).filter(user=user)
    return {
        "unread": own.unread().count(),
        "latest": [live.as_json(n) for n in own.order_by("-created_at")[:LATEST]],
    }


def unread_count(user) -> int:
    return Notification.objects.visible_to(user).filter(user=user).unread().count()
