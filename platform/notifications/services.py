"""Notifications: create them for users, and mark them read.

Called by the code where the event happens (services of chat, whatsapp, campaigns, contacts)::

    from notifications import services as notifications
    from notifications.models import Notification

    notifications.notify(agent, Notification.Kind.CONVERSATION_ASSIGNED,
                         title=_("Maria Silva is yours"), body="Oi, preciso de ajuda",
                         link=reverse("admin:chat_conversation_change", args=[conversation.pk]))
    notifications.notify_role(tenant, [Role.AGENT], Notification.Kind.CONVERSATION_WAITING,
                              title=..., department=conversation.department)

* ``notify(users, kind, title, body="", link="", *, once=False)``: ``users`` is one User or
  any iterable of them (a queryset is fine). One row per distinct active tenant user (platform
  staff, who have no tenant, and deactivated users are skipped), in one INSERT; the users' open
  pages get it live once the caller's transaction commits. Returns the rows. Call it inside the
  transaction of the change it reports, so a rollback notifies nobody.
* ``notify_role(tenant, roles, kind, title, body="", link="", *, department=None)``: the same
  for the tenant's users with one of ``roles``; with ``department``, only its members.
* ``mark_read(user, ids=None)``: the user's notifications ``ids`` (None: all) read; returns how
  many changed. Another user's ids are ignored. ``mark_unread(user, ids)`` undoes it.

``once=True`` skips the users who still have an unread notification of this kind and link (a
number that disconnects every minute tells each admin once, until they read it).

``purge_read()`` (daily) deletes read notifications older than NOTIFICATION_RETENTION_DAYS.

``title`` and ``body`` are stored as text, in the language active when ``notify`` runs (the
site's default, pt-BR, in consumers and jobs). ``link`` is a path inside the site.
"""

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from notifications import live
from notifications.models import Notification

TITLE_LENGTH = Notification._meta.get_field("title").max_length


def notify(users: User | Iterable[User], kind: str, title, body="", link="", *, once=False) -> list:
    kind = Notification.Kind(kind)  # an unknown kind fails here, not in the database
    recipients = {}
    for user in [users] if isinstance(users, User) else users:
        if user.tenant_id and user.is_active:
            recipients.setdefault(user.pk, user)
    if once:
        told = Notification.objects.unread().filter(user__in=list(recipients), kind=kind, link=link)
        for user_id in told.values_list("user_id", flat=True):
            recipients.pop(user_id, None)
    now = timezone.now()
    rows = Notification.objects.bulk_create(
        Notification(
            tenant_id=user.tenant_id,
            user=user,
            kind=kind,
            title=str(title)[:TITLE_LENGTH],
            body=str(body),
            link=link,
            created_at=now,
        )
        for user in recipients.values()
    )
    live.created(rows)
    return rows


def users_with_role(tenant, roles: Iterable[str], *, department=None) -> QuerySet:
    """The tenant's active users with one of ``roles`` (members of ``department`` if given)."""
    users = User.objects.for_tenant(tenant).filter(is_active=True, role__in=list(roles))
    if department is not None:
        users = users.filter(departments=department)
    return users


def notify_role(
    tenant, roles, kind, title, body="", link="", *, department=None, once=False
) -> list:
    users = users_with_role(tenant, roles, department=department)
    return notify(users, kind, title, body, link, once=once)


def mark_read(user, ids=None) -> int:
    unread = Notification.objects.visible_to(user).filter(user=user).unread()
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    changed = unread.update(read_at=timezone.now())
    if changed:
        live.read_changed(user.pk)
    return changed


def mark_unread(user, ids) -> int:
    rows = Notification.objects.visible_to(user).filter(user=user, pk__in=list(ids))
    changed = rows.filter(read_at__isnull=False).update(read_at=None)
    if changed:
        live.read_changed(user.pk)
    return changed


def purge_read(now=None) -> int:
    """Delete read notifications past NOTIFICATION_RETENTION_DAYS (a daily django-q2 schedule).
    Unread ones stay until their user reads them."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.NOTIFICATION_RETENTION_DAYS)
    deleted, _by_model = Notification.objects.filter(
        read_at__isnull=False, created_at__lt=cutoff
    ).delete()
    return deleted
