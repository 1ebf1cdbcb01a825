"""Reads of the chat page: the conversation list and a conversation's messages."""

from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import Role, User
from chat.models import Conversation, Message
from chat.presenters import conversations_for_page, messages_for_page

INBOX, MINE, DEPARTMENTS, CLOSED = "inbox", "mine", "departments", "closed"
TABS = (INBOX, MINE, DEPARTMENTS, CLOSED)
LIST_PAGE = 30
HISTORY_PAGE = 30
CATCH_UP_LIMIT = 500
# A catch-up starts this far before its cursor: a message whose transaction began before the
# cursor was handed out but committed after it is still found (the page drops what it has).
CATCH_UP_OVERLAP = timedelta(seconds=30)
# Outbound messages whose ticks a catch-up refreshes.
RECENT_STATUSES = 50

S = Conversation.Status


def audience(conversation: Conversation) -> list[str]:
    """The ids of the active users who may see ``conversation`` now: those for whom
    ``Conversation.objects.visible_to(user)`` includes it (tests hold the two rules together).

    One query per live event (``chat.live``), so that each of hundreds of sockets decides from
    the event alone instead of asking the database itself.
    """
    return _audience(
        conversation.tenant_id, conversation.department_id, conversation.assigned_to_id
    )


def _audience(tenant_id, department_id, assigned_to_id) -> list[str]:
    sees = Q(role=Role.ADMIN)
    if department_id is not None:
        sees |= Q(departments=department_id)
    if assigned_to_id is not None:
        sees |= Q(pk=assigned_to_id)
    if department_id is None and assigned_to_id is None:
        sees |= Q(role=Role.AGENT)  # the Inbox
    users = User.objects.for_tenant(tenant_id).filter(sees, is_active=True)
    return [str(pk) for pk in users.values_list("pk", flat=True).distinct()]


class Audiences:
    """``audience`` for many conversations, one query per queue (department and assignee) they
    are in: a campaign's burst of new conversations all sit in one."""

    def __init__(self):
        self._known: dict[tuple, list[str]] = {}

    def of(self, conversation: Conversation) -> list[str]:
        key = (conversation.tenant_id, conversation.department_id, conversation.assigned_to_id)
        if key not in self._known:
            self._known[key] = _audience(*key)
        return self._known[key]


def instance_audience(instance) -> list[str]:
    """The users who may see some conversation of the WhatsApp number ``instance``."""
    queues = (
        Conversation.objects.for_tenant(instance.tenant_id)
        .filter(instance=instance)
        .values_list("department_id", "assigned_to_id")
        .order_by()
        .distinct()
    )
    users = set()
    for department_id, assigned_to_id in queues:
        users.update(_audience(instance.tenant_id, department_id, assigned_to_id))
    return sorted(users)


def _tab_filter(tab: str, user) -> Q:
    if tab == MINE:
        return Q(assigned_to=user) & ~Q(status=S.CLOSED)
    if tab == DEPARTMENTS:
        # An administrator answers for every department, members for their own.
        if user.is_superuser or user.role == Role.ADMIN:
            return Q(department__isnull=False) & ~Q(status=S.CLOSED)
        return Q(department__in=user.departments.values("pk")) & ~Q(status=S.CLOSED)
    if tab == CLOSED:
        return Q(status=S.CLOSED)
    return Q(department__isnull=True, assigned_to__isnull=True) & ~Q(status=S.CLOSED)


def conversation_list(user, *, tab: str = INBOX, search: str = "", page: int = 1):
    """One page of the tab's conversations the user may see, newest first, and whether more
    follow (no COUNT over the table: one row more than the page says it)."""
    rows = Conversation.objects.visible_to(user).filter(_tab_filter(tab, user))
    search = search.strip()
    if search:
        digits = "".join(c for c in search if c.isdigit())
        matches = (
            Q(contact__name__icontains=search)
            | Q(contact__whatsapp_name__icontains=search)
            | Q(name__icontains=search)
        )
        if digits:
            matches |= Q(contact__phone__contains=digits)
        rows = rows.filter(matches)
    start = (page - 1) * LIST_PAGE
    found = list(
        conversations_for_page(rows).order_by("-last_message_at", "-created_at")[
            start : start + LIST_PAGE + 1
        ]
    )
    return found[:LIST_PAGE], len(found) > LIST_PAGE


def unread_by_tab(user) -> dict[str, int]:
    """How many conversations of each tab have unread messages."""
    rows = Conversation.objects.visible_to(user).filter(unread_count__gt=0)
    return rows.aggregate(**{tab: Count("pk", filter=_tab_filter(tab, user)) for tab in TABS})


def _shown(conversation: Conversation):
    # Reactions to a stored message are shown on it, not as messages of their own.
    return messages_for_page(
        Message.objects.filter(conversation=conversation, reaction_to__isnull=True)
    )


def history(conversation: Conversation, *, before: Message | None = None):
    """The page of messages before ``before`` (the newest without it), oldest first, and whether
    older ones remain."""
    rows = _shown(conversation)
    if before is not None:
        rows = rows.filter(
            Q(timestamp__lt=before.timestamp) | Q(timestamp=before.timestamp, pk__lt=before.pk)
        )
    newest_first = list(rows.order_by("-timestamp", "-pk")[: HISTORY_PAGE + 1])
    return list(reversed(newest_first[:HISTORY_PAGE])), len(newest_first) > HISTORY_PAGE


def new_cursor() -> str:
    return timezone.now().isoformat()


def catch_up(conversation: Conversation, cursor: datetime):
    """What changed in the conversation since ``cursor``: the messages stored since (with some
    overlap, see CATCH_UP_OVERLAP), those whose file finished downloading since, the messages
    new reactions landed on, and the current status of the latest outbound messages (their
    ticks may have moved)."""
    since = cursor - CATCH_UP_OVERLAP
    messages = Message.objects.filter(conversation=conversation)
    stored = messages.filter(created_at__gt=since)
    changed_ids = set(
        stored.filter(reaction_to__isnull=True).values_list("pk", flat=True)[:CATCH_UP_LIMIT]
    )
    changed_ids |= set(
        messages.filter(attachment__settled_at__gt=since).values_list("pk", flat=True)[
            :CATCH_UP_LIMIT
        ]
    )
    changed_ids |= set(
        stored.filter(reaction_to__isnull=False).values_list("reaction_to_id", flat=True)[
            :CATCH_UP_LIMIT
        ]
    )
    recent_outbound = (
        Message.objects.filter(
            conversation=conversation,
            direction=Message.Direction.OUTBOUND,
            reaction_to__isnull=True,
        )
        .order_by("-timestamp")
        .values_list("pk", flat=True)[:RECENT_STATUSES]
    )
    changed_ids |= set(recent_outbound)
    return list(_shown(conversation).filter(pk__in=changed_ids).order_by("timestamp", "pk"))
