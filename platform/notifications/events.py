"""Who hears of which event, and in what words. The service where the event happens calls one of
these inside its transaction (one line there, the phrasing and the recipients here)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Role
from notifications.models import Notification
from notifications.services import notify, users_with_role

Kind = Notification.Kind


def instance_disconnected(instance) -> None:
    """A connected number dropped: the tenant's admins and the managers of its default
    department. Once per unread notice, so a number that flaps does not flood the bell."""
    users = [*users_with_role(instance.tenant_id, [Role.ADMIN])]
    if instance.default_department_id:
        users += users_with_role(
            instance.tenant_id, [Role.MANAGER], department=instance.default_department_id
        )
    notify(
        users,
        Kind.INSTANCE_DISCONNECTED,
        _("WhatsApp number %(name)s disconnected") % {"name": instance.name},
        _("Campaigns and chats cannot use it until it is connected again (scan the QR code)."),
        reverse("admin:whatsapp_whatsappinstance_change", args=[instance.pk]),
        once=True,
    )


def _campaign_audience(campaign) -> list:
    users = [*users_with_role(campaign.tenant_id, [Role.ADMIN])]
    if campaign.created_by_id:
        users.append(campaign.created_by)
    return users


def campaign_finished(campaign) -> None:
    notify(
        _campaign_audience(campaign),
        Kind.CAMPAIGN_FINISHED,
        _("Campaign %(name)s finished") % {"name": campaign.name},
        _("Every recipient has been handled. See the results on the campaign's page."),
        reverse("admin:campaigns_campaign_change", args=[campaign.pk]),
    )


def campaign_paused(campaign, reason: str) -> None:
    """Paused by the engine, not by a person (who knows already)."""
    notify(
        _campaign_audience(campaign),
        Kind.CAMPAIGN_PAUSED,
        _("Campaign %(name)s paused itself") % {"name": campaign.name},
        reason,
        reverse("admin:campaigns_campaign_change", args=[campaign.pk]),
        once=True,
    )


def import_finished(job) -> None:
    """A contact import ended (done or failed): the user who started it."""
    if job.created_by_id is None:
        return
    if job.status == job.Status.DONE:
        counts = job.counts
        title = _("Import of %(file)s finished") % {"file": job.filename}
        body = _("%(imported)d contacts imported, %(rejected)d rows rejected.") % {
            "imported": counts.get("new", 0)
            + counts.get("updated", 0)
            + counts.get("unchanged", 0),
            "rejected": counts.get("invalid", 0) + counts.get("duplicate", 0),
        }
    else:
        title = _("Import of %(file)s failed") % {"file": job.filename}
        body = job.error
    notify(
        job.created_by,
        Kind.IMPORT_FINISHED,
        title,
        body,
        reverse("admin:contacts_contactimport_change", args=[job.pk]),
    )


def _conversation_link(conversation) -> str:
    # The chat page, where the person answers it (the admin page only shows it).
    return reverse("chat:conversation", args=[conversation.pk])


def conversation_waiting(conversation) -> None:
    """A conversation waits, unclaimed, in a department's queue (new, reopened or transferred
    there): the department's agents and managers. Once per unread notice, so a customer who
    keeps writing to a closed chat does not flood the bell. The Inbox has no department: the
    chat page shows it to every agent."""
    if conversation.department_id is None:
        return
    notify(
        users_with_role(
            conversation.tenant_id,
            [Role.AGENT, Role.MANAGER],
            department=conversation.department_id,
        ),
        Kind.CONVERSATION_WAITING,
        _("%(customer)s is waiting in %(department)s")
        % {"customer": conversation, "department": conversation.department},
        conversation.last_message_preview,
        _conversation_link(conversation),
        once=True,
    )


def follow_up_left(follow_up) -> None:
    """A customer wrote while closed and someone should get back to them: the department's
    agents and managers (the tenant's admins for the Inbox), told once while unread."""
    conversation = follow_up.conversation
    if follow_up.department_id is None:
        users = users_with_role(follow_up.tenant_id, [Role.ADMIN])
    else:
        users = users_with_role(
            follow_up.tenant_id, [Role.AGENT, Role.MANAGER], department=follow_up.department_id
        )
    notify(
        users,
        Kind.FOLLOW_UP,
        _("Get back to %(customer)s") % {"customer": conversation},
        follow_up.note,
        _conversation_link(conversation),
        once=True,
    )


def conversation_handed(conversation, agent, by, *, transferred: bool) -> None:
    """A conversation was assigned or transferred to ``agent``; nobody hears of what they did
    themselves."""
    if by is not None and by.pk == agent.pk:
        return
    notify(
        agent,
        Kind.CONVERSATION_TRANSFERRED if transferred else Kind.CONVERSATION_ASSIGNED,
        _("%(customer)s is yours now") % {"customer": conversation},
        _("From %(person)s.") % {"person": by} if by is not None else "",
        _conversation_link(conversation),
    )


def webhook_disabled(subscription) -> None:
    """Deliveries kept failing and we stopped sending: the tenant's admins, who own webhooks."""
    notify(
        users_with_role(subscription.tenant_id, [Role.ADMIN]),
        Kind.WEBHOOK_DISABLED,
        _("Webhook to %(url)s disabled") % {"url": subscription.url},
        subscription.disabled_reason,
        reverse("admin:api_webhooksubscription_change", args=[subscription.pk]),
    )
