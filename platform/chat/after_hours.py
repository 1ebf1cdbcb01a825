"""The after-hours reply: a customer writing while closed hears so once per closed period.

A closed period runs until the next opening of the schedule that applies (the department's, or
the company's); the moment it ends is kept on the conversation's ``Reception`` row, written
under the conversation's row lock, so two messages arriving together send one reply.
"""

import logging

from django.utils import timezone
from django.utils.translation import gettext as _

from chat import hours, outbox
from chat.models import Conversation, FollowUp, Reception
from notifications import events as alerts

logger = logging.getLogger(__name__)


def reply_if_closed(conversation: Conversation, state: Reception, now=None) -> bool:
    """Send the reply (and leave the follow-up) if closed now and not done in this closed
    period. The caller holds the conversation's row lock. True when it did."""
    now = now or timezone.now()
    schedule = hours.schedule_for(conversation.tenant, conversation.department_id)
    if schedule is None or schedule.is_open(now):
        return False
    if state.after_hours_until is not None and now < state.after_hours_until:
        return False  # replied already in this closed period
    state.after_hours_until = schedule.next_opening(now) or now + hours.HORIZON
    state.save(update_fields=["after_hours_until"])
    settings = schedule.hours
    if settings.after_hours_reply.strip():
        outbox.queue_text(conversation, settings.after_hours_reply, automatic=outbox.AFTER_HOURS)
    if settings.create_follow_up:
        follow_up = FollowUp.objects.create(
            tenant_id=conversation.tenant_id,
            conversation=conversation,
            department_id=conversation.department_id,
            note=(_("Wrote while closed: %(text)s") % {"text": conversation.last_message_preview})[
                :200
            ],
        )
        alerts.follow_up_left(follow_up)
    logger.info(
        "after-hours reply",
        extra={"tenant_id": conversation.tenant_id, "conversation_id": conversation.pk},
    )
    return True


def mark_done(follow_ups, *, by) -> int:
    """Mark the open ones of ``follow_ups`` (a queryset the user may see) done by ``by``."""
    return follow_ups.filter(done_at__isnull=True).update(done_at=timezone.now(), done_by=by)


def reopen(follow_ups) -> int:
    return follow_ups.filter(done_at__isnull=False).update(done_at=None, done_by=None)
