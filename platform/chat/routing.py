"""Who handles a conversation: routing and lifecycle, one service per transition.

Every transition takes the conversation's row lock first and decides on the row as it is then,
so two agents pressing "claim" at once get one winner and one clear refusal. ``by`` is the user
acting; ``None`` means the system (a new chat, a customer writing to a closed one).

A state that forbids the transition raises ``ValidationError`` (the user sees why); a role that
may not do it raises ``PermissionDenied``; a conversation the user may not see answers 404.
"""

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Department, Role, User
from api import event_data, outbound
from chat import live, outbox
from chat.models import Conversation, ConversationEvent
from notifications import events as alerts
from tenancy.access import get_visible_or_404

logger = logging.getLogger(__name__)

S = Conversation.Status
Kind = ConversationEvent.Kind

CLAIM, ASSIGN, TRANSFER, CLOSE, REOPEN = "claim", "assign", "transfer", "close", "reopen"


# --- Who may do what ----------------------------------------------------------------------


def _role_allows(action: str, user, conversation: Conversation) -> bool:
    """The role rule; whether the user sees the conversation at all is visible_to's call."""
    if action == CLAIM and user.tenant_id != conversation.tenant_id:
        return False  # platform staff support a company; they do not take its conversations
    if user.is_superuser or user.role == Role.ADMIN:
        return True
    if action == ASSIGN:
        return user.role == Role.MANAGER
    if action in (TRANSFER, CLOSE) and user.role == Role.AGENT:
        # An agent hands over or closes their own conversations and unclaimed ones, never a
        # colleague's.
        return conversation.assigned_to_id in (None, user.pk)
    return True


def _state_refusal(action: str, conversation: Conversation, user=None) -> str | None:
    """Why the conversation, as it is, cannot go through ``action``; None when it can."""
    closed = conversation.status == S.CLOSED
    if action == REOPEN:
        return None if closed else _("The conversation is not closed.")
    if closed:
        return _("The conversation is closed.")
    if action == CLAIM and conversation.assigned_to_id:
        if user is not None and conversation.assigned_to_id == user.pk:
            return _("This conversation is already yours.")
        return _("%(agent)s has already taken this conversation.") % {
            "agent": conversation.assigned_to
        }
    return None


def available_actions(user, conversation: Conversation) -> set[str]:
    """The transitions ``user`` may start on ``conversation`` now (for buttons and pages)."""
    return {
        action
        for action in (CLAIM, ASSIGN, TRANSFER, CLOSE, REOPEN)
        if _role_allows(action, user, conversation)
        and _state_refusal(action, conversation, user) is None
    }


def agents_for(conversation: Conversation, department: Department | None = None):
    """Who a conversation may be given to: active members of ``department`` (the conversation's
    own when not given); anyone active in the company while it is in the Inbox."""
    department = department or conversation.department
    people = User.objects.for_tenant(conversation.tenant_id).filter(is_active=True)
    if department is not None:
        people = people.filter(departments=department)
    return people.order_by("display_name", "email")


# --- The lock -----------------------------------------------------------------------------


def _locked(conversation: Conversation, by) -> Conversation:
    # Row lock: every transition of this conversation waits here for the one before it.
    # Not joined with the agent: after waiting for the lock, PostgreSQL re-reads the locked
    # row but keeps the joined rows of before, so a refusal named nobody ("None has already…").
    rows = Conversation.objects.select_for_update(of=("self",), no_key=True).select_related(
        "instance"
    )
    if by is None:
        return rows.get(pk=conversation.pk)
    return get_visible_or_404(rows, by, pk=conversation.pk)


def _check(action: str, conversation: Conversation, by) -> None:
    if by is not None and not _role_allows(action, by, conversation):
        raise PermissionDenied(_("Your role may not do this with this conversation."))
    refusal = _state_refusal(action, conversation, by)
    if refusal:
        raise ValidationError(refusal, code="state")


def _record(conversation: Conversation, kind: str, by, before: dict, reason: str = ""):
    # Every transition records its event: the chat pages hear of the change from here.
    live.conversation_changed(conversation.pk)
    return ConversationEvent.objects.create(
        tenant_id=conversation.tenant_id,
        conversation=conversation,
        kind=kind,
        actor=by,
        from_department_id=before["department_id"],
        to_department_id=conversation.department_id,
        from_agent_id=before["assigned_to_id"],
        to_agent_id=conversation.assigned_to_id,
        reason=reason,
    )


def _snapshot(conversation: Conversation) -> dict:
    return {
        "department_id": conversation.department_id,
        "assigned_to_id": conversation.assigned_to_id,
    }


def _save(conversation: Conversation, *fields: str) -> None:
    conversation.save(update_fields=list(fields))


def _tell_integrators(conversation: Conversation, event: str) -> None:
    outbound.emit(conversation.tenant_id, event, lambda: event_data.conversation(conversation))


def _to_default_queue(conversation: Conversation) -> None:
    """The instance's default department (open), else the Inbox (pending), nobody's yet."""
    default = conversation.instance.default_department_id if conversation.instance else None
    conversation.department_id = default
    conversation.status = S.OPEN if default else S.PENDING
    conversation.assigned_to = None
    conversation.closed_at = None


def _validate_agent(agent, conversation: Conversation, department: Department | None) -> None:
    if agent.tenant_id != conversation.tenant_id:
        raise Http404  # someone of another company: as missing as an unknown id
    if not agent.is_active:
        raise ValidationError(_("%(agent)s is not active.") % {"agent": agent}, code="agent")
    if department is not None and not agent.departments.filter(pk=department.pk).exists():
        raise ValidationError(
            _("%(agent)s is not in %(department)s.") % {"agent": agent, "department": department},
            code="agent",
        )


# --- Transitions --------------------------------------------------------------------------


def open_new(conversation: Conversation, *, waiting: bool = True) -> Conversation:
    """Insert a new conversation in its first queue and start its timeline.

    No row to lock yet: the unique (instance, remote_jid) constraint decides a race between
    two first messages, and the caller's savepoint takes the loser back. ``waiting`` says the
    customer wrote (their department hears of it); a campaign's first send is not waiting.
    """
    _to_default_queue(conversation)
    conversation.save(force_insert=True)
    _record(conversation, Kind.OPENED, None, {"department_id": None, "assigned_to_id": None})
    if waiting:
        alerts.conversation_waiting(conversation)
    return conversation


def open_many_sent(conversations: list[Conversation]) -> list[Conversation]:
    """``open_new`` for conversations that start with a message of ours (a campaign's burst):
    nobody waits, so nobody is told, and the pages hear of each from its message's live event.
    One insert for all; a chat that another sender opened meanwhile fails the unique
    constraint, and the caller's savepoint takes them all back."""
    for conversation in conversations:
        _to_default_queue(conversation)
    Conversation.objects.bulk_create(conversations)
    ConversationEvent.objects.bulk_create(
        ConversationEvent(
            tenant_id=conversation.tenant_id,
            conversation=conversation,
            kind=Kind.OPENED,
            to_department_id=conversation.department_id,
        )
        for conversation in conversations
    )
    return conversations


@transaction.atomic
def claim(conversation: Conversation, *, by) -> Conversation:
    conversation = _locked(conversation, by)
    _check(CLAIM, conversation, by)
    before = _snapshot(conversation)
    conversation.assigned_to = by
    conversation.status = S.OPEN
    _save(conversation, "assigned_to", "status")
    _record(conversation, Kind.CLAIMED, by, before)
    _tell_integrators(conversation, "conversation.assigned")
    logger.info(
        "conversation claimed",
        extra={"tenant_id": conversation.tenant_id, "conversation_id": conversation.pk},
    )
    return conversation


@transaction.atomic
def assign(conversation: Conversation, agent, *, by) -> Conversation:
    """Give the conversation to ``agent``, who must be in its department."""
    conversation = _locked(conversation, by)
    _check(ASSIGN, conversation, by)
    _validate_agent(agent, conversation, conversation.department)
    if conversation.assigned_to_id == agent.pk:
        raise ValidationError(
            _("The conversation is already with %(agent)s.") % {"agent": agent}, code="state"
        )
    before = _snapshot(conversation)
    conversation.assigned_to = agent
    conversation.status = S.OPEN
    _save(conversation, "assigned_to", "status")
    _record(conversation, Kind.ASSIGNED, by, before)
    _tell_integrators(conversation, "conversation.assigned")
    alerts.conversation_handed(conversation, agent, by, transferred=False)
    return conversation


@transaction.atomic
def transfer(
    conversation: Conversation,
    *,
    department: Department | None = None,
    agent=None,
    reason: str = "",
    by,
) -> Conversation:
    """Move the conversation to another department's queue and/or to another agent.

    A new department sends its transfer message to the customer; without an agent the
    conversation waits in that department's queue.
    """
    if department is None and agent is None:
        raise ValidationError(_("Choose a department or an agent."), code="target")
    conversation = _locked(conversation, by)
    _check(TRANSFER, conversation, by)
    if department is not None and department.tenant_id != conversation.tenant_id:
        raise Http404
    target = department or conversation.department
    if agent is not None:
        _validate_agent(agent, conversation, target)
    moves_department = department is not None and department.pk != conversation.department_id
    if not moves_department and (agent is None or agent.pk == conversation.assigned_to_id):
        raise ValidationError(_("The conversation is already there."), code="state")
    before = _snapshot(conversation)
    conversation.department = target
    conversation.assigned_to = agent
    conversation.status = S.OPEN
    _save(conversation, "department", "assigned_to", "status")
    _record(conversation, Kind.TRANSFERRED, by, before, reason.strip())
    if moves_department and department.transfer_message and conversation.instance_id:
        outbox.queue_text(conversation, department.transfer_message, by=by)
    if agent is not None:
        alerts.conversation_handed(conversation, agent, by, transferred=True)
        _tell_integrators(conversation, "conversation.assigned")
    else:
        alerts.conversation_waiting(conversation)
    return conversation


@transaction.atomic
def close(conversation: Conversation, *, by, reason: str = "") -> Conversation:
    """Closed keeps its department and agent, so the record shows who handled it."""
    conversation = _locked(conversation, by)
    _check(CLOSE, conversation, by)
    before = _snapshot(conversation)
    conversation.status = S.CLOSED
    conversation.closed_at = timezone.now()
    _save(conversation, "status", "closed_at")
    _record(conversation, Kind.CLOSED, by, before, reason)
    _tell_integrators(conversation, "conversation.closed")
    return conversation


@transaction.atomic
def reopen(conversation: Conversation, *, by=None) -> Conversation:
    """Back to the instance's default department or the Inbox, for anyone there to pick up.

    ``by=None`` is the customer writing again: a conversation someone else reopened meanwhile
    is left as it is.
    """
    conversation = _locked(conversation, by)
    if by is None and conversation.status != S.CLOSED:
        return conversation
    _check(REOPEN, conversation, by)
    before = _snapshot(conversation)
    _to_default_queue(conversation)
    _save(conversation, "department", "status", "assigned_to", "closed_at")
    _record(conversation, Kind.REOPENED, by, before)
    alerts.conversation_waiting(conversation)
    return conversation


@transaction.atomic
def choose_department(conversation: Conversation, department: Department) -> Conversation:
    """The customer picked ``department`` in the welcome menu: its queue, nobody's yet.

    Unlike a transfer it sends no transfer message (the menu answered already) and is not
    refused when the conversation is there already (the instance's default department)."""
    conversation = _locked(conversation, None)
    if department.tenant_id != conversation.tenant_id:
        raise Http404
    _check(TRANSFER, conversation, None)  # a closed conversation is not routed
    before = _snapshot(conversation)
    conversation.department = department
    conversation.assigned_to = None
    conversation.status = S.OPEN
    _save(conversation, "department", "assigned_to", "status")
    _record(conversation, Kind.CHOSEN, None, before)
    alerts.conversation_waiting(conversation)
    return conversation
