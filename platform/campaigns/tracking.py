"""What WhatsApp tells us about campaigns: receipts, replies and opt-out keywords.

Called by ``chat.ingest`` inside the webhook's transaction, so a recipient and its campaign's
counters move together with the chat message that caused it. Every move goes through
``campaigns.transitions`` (forward only, counters exact).
"""

import unicodedata
from datetime import timedelta

from django.utils.translation import gettext as _

from campaigns import transitions
from campaigns.models import CampaignRecipient
from chat import outbox
from chat.models import Conversation, Message
from contacts import services as contact_services
from contacts.models import Contact

R = CampaignRecipient.Status
M = Message.Status
# A customer's message within this long after a campaign message counts as a reply to it.
REPLY_WINDOW = timedelta(days=7)
OPT_OUT_KEYWORDS = frozenset({"SAIR", "PARAR", "STOP", "CANCELAR"})
LONGEST_KEYWORD = 30  # longer texts are not checked (punctuation and spaces included)
RECEIPT_STEP = {M.DELIVERED: R.DELIVERED, M.READ: R.READ, M.PLAYED: R.READ}


def on_receipt(message: Message, status: str) -> None:
    """Campaign message ``message`` reached ``status`` (a chat Message status)."""
    recipient = CampaignRecipient.objects.only("campaign_id", "status").get(
        pk=message.campaign_recipient_id
    )
    if recipient.status == R.SENDING:
        # A receipt proves the message went out, even if its send was not recorded yet.
        transitions.move(recipient, (R.SENDING,), R.SENT, provider_id=message.provider_id)
    if status == M.FAILED:
        transitions.move(
            recipient, (R.SENT,), R.FAILED, last_error=_("WhatsApp could not deliver it.")
        )
    elif step := RECEIPT_STEP.get(status):
        transitions.forward(recipient, step)


def on_inbound(instance, conversation: Conversation, message: Message) -> None:
    """A customer wrote in an individual chat of a known contact."""
    _mark_replied(instance, conversation.contact_id, message)
    if message.type == Message.Type.TEXT and is_opt_out(message.body):
        _opt_out(instance, conversation, message.body)


def _mark_replied(instance, contact_id, message: Message) -> None:
    # One query on recipient_contact_sent; most contacts have no campaign at all. The latest
    # campaign message is the one answered: once it is replied, older ones are not touched.
    latest = (
        CampaignRecipient.objects.filter(
            contact_id=contact_id,
            sent_at__gt=message.timestamp - REPLY_WINDOW,
            sent_at__lte=message.timestamp,
            instance_id=instance.pk,
            status__in=(R.SENT, R.DELIVERED, R.READ, R.REPLIED),
        )
        .order_by("-sent_at")
        .only("campaign_id", "status")
        .first()
    )
    if latest is not None and latest.status != R.REPLIED:
        transitions.forward(latest, R.REPLIED)


def is_opt_out(text: str) -> bool:
    """Exactly one keyword, whatever its case, accents, spacing and punctuation."""
    if len(text) > LONGEST_KEYWORD:
        return False
    # NFKD splits accents off their letters; they and punctuation are neither alnum nor space.
    kept = "".join(c for c in unicodedata.normalize("NFKD", text) if c.isalnum() or c.isspace())
    return " ".join(kept.split()).upper() in OPT_OUT_KEYWORDS


def _opt_out(instance, conversation: Conversation, text: str) -> None:
    tenant = instance.tenant
    changed = contact_services.opt_out(
        tenant,
        Contact.objects.filter(pk=conversation.contact_id),
        reason=_("Wrote “%(text)s” on WhatsApp") % {"text": text.strip()},
    )
    # Only the first keyword is confirmed: a contact repeating it gets no second reply.
    if changed and tenant.opt_out_reply.strip():
        outbox.queue_text(conversation, tenant.opt_out_reply)
