"""The customer's presence (Evolution's ``presence.update``): "typing…" on the chat page.

Relayed live to the sockets that may see the conversation and never stored: it is stale within
seconds, and the page clears it on its own when no "paused" follows (see static/chat/presence.js).
"""

from chat import live
from chat.models import Conversation
from whatsapp import events

TYPING, RECORDING, STOPPED = "typing", "recording", "stopped"
# Evolution's lastKnownPresence -> what the page shows; anything else ("available",
# "unavailable", "paused") means the customer is not writing now.
SHOWN = {"composing": TYPING, "recording": RECORDING}


def relay(instance_id, tenant_id, presence: events.Presence) -> bool:
    """Push the customer's presence to the page; False when no conversation of ours is the
    chat it is about (a chat we never stored, or a group)."""
    if not presence.chat_jid.endswith(events.PHONE_SUFFIX):
        return False
    conversation = (
        Conversation.objects.for_tenant(tenant_id)
        .filter(instance_id=instance_id, remote_jid=presence.chat_jid)
        .only("pk", "tenant_id", "department_id", "assigned_to_id")
        .first()
    )
    if conversation is None:
        return False
    said = presence.states.get(presence.chat_jid) or next(iter(presence.states.values()), "")
    live.customer_presence(conversation, SHOWN.get(said, STOPPED))
    return True
