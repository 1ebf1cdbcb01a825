"""Live delivery: each signed-in page listens on its user's group (``notifications.sockets``).

Pushes leave after the transaction that created or read the notifications commits (a rollback
sends nothing), from one background thread, so a slow or dead Redis never holds up the caller
(a webhook, a campaign consumer, an import job). A failed push is logged and lost: the page's
polling fallback and its next connection show the row anyway, it is in the database.
"""

from django.db import transaction
from django.urls import reverse

from alrea.group_sender import GroupSender

# Pushes leave in the order they were made.
_sender = GroupSender("notifications-push", "notification push failed")


def group_name(user_id) -> str:
    return f"notifications.user.{user_id}"


def as_json(notification) -> dict:
    """What a page gets of a notification (the bell, the toasts, the summary endpoint)."""
    return {
        "id": str(notification.pk),
        "kind": notification.kind,
        "title": notification.title,
        "body": notification.body,
        "url": reverse("notifications:open", args=[notification.pk]) if notification.link else "",
        "created_at": notification.created_at.isoformat(),
        "read": notification.read_at is not None,
    }


def created(notifications) -> None:
    messages = [
        (group_name(n.user_id), {"type": "notification.created", "notification": as_json(n)})
        for n in notifications
    ]
    transaction.on_commit(lambda: _sender.submit(messages))


def read_changed(user_id) -> None:
    """The user read some: their other tabs update the count."""
    messages = [(group_name(user_id), {"type": "notifications.read"})]
    transaction.on_commit(lambda: _sender.submit(messages))
