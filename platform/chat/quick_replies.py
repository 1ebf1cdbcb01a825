"""Quick replies: the company's saved answers, offered in the composer when an agent types ``/``.

The text comes already filled for the conversation's contact with the campaigns' variables
(``campaigns.rendering``: {{nome}}, {{primeiro_nome}}, custom fields). A text that cannot be
filled (a group chat, no contact, a variable the contact lacks a value for) is offered as
written, marked ``filled: False``, so the agent sees the {{...}} in the composer and edits it.
"""

from django.core.exceptions import ValidationError
from django.utils import timezone

from campaigns import rendering
from chat.models import Conversation, QuickReply

LIMIT = 500  # a company's whole list fits; the composer filters it as the agent types


def validate_text(text: str, tenant_id) -> None:
    """Raise ValidationError for variables the company's contacts have no value for."""
    rendering.validate(text, tenant_id)


def for_conversation(user, conversation: Conversation) -> list[dict]:
    """The replies ``user`` may use, ready for ``conversation``'s contact."""
    replies = (
        QuickReply.objects.visible_to(user)
        .for_tenant(conversation.tenant_id)
        .select_related("department")
        .order_by("shortcut")[:LIMIT]
    )
    contact = conversation.contact if not conversation.is_group else None
    now, zone = timezone.now(), conversation.tenant.timezone
    offered = []
    for reply in replies:
        filled = _fill(reply.text, contact, now, zone) if contact is not None else None
        offered.append(
            {
                "id": str(reply.pk),
                "shortcut": reply.shortcut,
                "text": reply.text if filled is None else filled,
                "filled": filled is not None,
                "department": str(reply.department) if reply.department_id else "",
            }
        )
    return offered


def _fill(text: str, contact, now, zone) -> str | None:
    try:
        return rendering.render(text, contact, now=now, tenant_tz=zone)
    except ValidationError:
        return None  # offered as written: the agent fills it in
