"""What the company answers by itself when a customer writes: the welcome menu, then the
after-hours reply.

Called by ``chat.ingest`` inside the webhook's transaction, for a customer's message in an
individual chat. The order: with the menu enabled, a conversation the customer starts (or
reopens) gets the menu first, because the department whose hours count is not known yet; the
customer's choice routes it, and only then is the chosen department's schedule checked. Without
the menu, or once the conversation is routed, a message while closed gets the after-hours reply
(once per closed period).
"""

from django.db import transaction
from django.utils import timezone

from campaigns.tracking import is_opt_out
from chat import after_hours, welcome
from chat.models import BusinessHours, Conversation, Message


def on_customer_message(conversation: Conversation, message: Message, *, started: bool) -> None:
    """``started``: this message opened the conversation or reopened it from closed."""
    if conversation.is_group or conversation.instance_id is None:
        return
    if message.type == Message.Type.TEXT and is_opt_out(message.body):
        return  # the opt-out confirmation is the answer
    menu = welcome.menu_for(conversation.tenant_id)
    if menu is None and not BusinessHours.objects.for_tenant(conversation.tenant_id).exists():
        return  # nothing to answer with: no lock taken
    # A savepoint in the webhook's transaction, which the row lock needs anyway.
    with transaction.atomic():
        conversation, state = welcome.lock_reception(conversation.pk)
        if conversation.status == Conversation.Status.CLOSED:
            return
        now = timezone.now()
        if menu is not None:
            conversation, answered = welcome.handle(
                conversation, state, menu, message, started=started, now=now
            )
            if answered:
                return
        after_hours.reply_if_closed(conversation, state, now)
