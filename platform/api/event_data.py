"""The ``data`` object of each outbound webhook event (docs/api.md lists them).

Built from the rows the event is about, with ids as strings and times in ISO 8601, so a
delivery is plain JSON that stays valid however long it waits for its retries.
"""


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def _id(value) -> str | None:
    return str(value) if value is not None else None


def message(message) -> dict:
    conversation = message.conversation
    return {
        "id": str(message.pk),
        "conversation_id": str(conversation.pk),
        "instance_id": _id(conversation.instance_id),
        "contact_id": _id(conversation.contact_id),
        "from": conversation.remote_jid.split("@")[0],
        "sender_name": message.sender_name,
        "type": message.type,
        "body": message.body,
        "caption": message.caption,
        "timestamp": _iso(message.timestamp),
    }


def message_status(message, status: str) -> dict:
    return {
        "id": str(message.pk),
        "conversation_id": str(message.conversation_id),
        "direction": message.direction,
        "status": status,
        "campaign_recipient_id": _id(message.campaign_recipient_id),
    }


def conversation(conversation) -> dict:
    agent = conversation.assigned_to
    return {
        "id": str(conversation.pk),
        "status": conversation.status,
        "instance_id": _id(conversation.instance_id),
        "contact_id": _id(conversation.contact_id),
        "department_id": _id(conversation.department_id),
        "assigned_to": {"id": str(agent.pk), "email": agent.email} if agent else None,
        "closed_at": _iso(conversation.closed_at),
    }


def contact(contact) -> dict:
    return {
        "id": str(contact.pk),
        "phone": contact.phone,
        "name": contact.name,
        "email": contact.email,
        "opted_out": contact.opted_out,
        "opt_out_reason": contact.opt_out_reason,
        "updated_at": _iso(contact.updated_at),
    }


def contacts(ids) -> list[dict]:
    from contacts.models import Contact  # contacts.services imports this module

    return [contact(row) for row in Contact.objects.filter(pk__in=ids)]


def campaign(campaign) -> dict:
    campaign = type(campaign).objects.get(pk=campaign.pk)  # callers may hold stale fields
    return {
        "id": str(campaign.pk),
        "name": campaign.name,
        "status": campaign.status,
        "started_at": _iso(campaign.started_at),
        "finished_at": _iso(campaign.finished_at),
        "counts": campaign.counts(),
    }


def instance(instance, previous: str) -> dict:
    return {
        "id": str(instance.pk),
        "name": instance.name,
        "phone_number": instance.phone_number,
        "state": instance.state,
        "previous_state": previous,
        "reason": instance.state_reason,
    }
