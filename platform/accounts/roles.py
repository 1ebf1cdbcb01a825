"""Roles map to Django permission groups.

``ROLE_PERMISSIONS`` is the single declaration of what each role may do in the admin; a data
migration creates the groups and every ``migrate`` re-applies the declaration, so permissions of
apps added later reach the groups without another migration. Later apps extend the table.
"""

from django.utils.translation import gettext_lazy as _

from accounts.models import Role

GROUP_NAMES = {
    Role.ADMIN: "Tenant admin",
    Role.MANAGER: "Manager",
    Role.AGENT: "Agent",
}

ALL = ("view", "add", "change", "delete")
VIEW = ("view",)

# "app_label.model": actions
ROLE_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    Role.ADMIN: {
        "accounts.user": ALL,
        "accounts.department": ALL,
        "tenancy.tenant": ("view", "change"),
        "tenancy.addon": VIEW,
        "contacts.contact": ALL,
        "contacts.tag": ALL,
        "contacts.contactlist": ALL,
        "contacts.contactimport": ALL,
        "contacts.contactexport": ("view", "delete"),
        "chat.conversation": VIEW,
        "chat.message": VIEW,
        "chat.quickreply": ALL,
        # Raw payloads carry every department's messages: not for managers and agents.
        "whatsapp.webhookevent": VIEW,
        "whatsapp.whatsappinstance": ALL,
        "whatsapp.connectionlogentry": VIEW,
        "campaigns.campaign": ALL,
        "campaigns.campaignmessage": ALL,
        "campaigns.campaignrecipient": VIEW,
        # Keys act for the whole company: only its administrators manage them.
        "api.apikey": ALL,
        "api.webhooksubscription": ALL,
        # Deleting a subscription deletes its log: the admin asks for delete on both.
        "api.webhookdelivery": ("view", "delete"),
        # Each user sees their own (Notification.objects.visible_to).
        "notifications.notification": VIEW,
    },
    Role.MANAGER: {
        "accounts.user": VIEW,
        "accounts.department": VIEW,
        "tenancy.tenant": VIEW,
        "contacts.contact": ALL,
        "contacts.tag": ALL,
        "contacts.contactlist": ALL,
        "contacts.contactimport": ALL,
        "contacts.contactexport": ("view", "delete"),
        "chat.conversation": VIEW,
        "chat.message": VIEW,
        # QuickReplyAdmin narrows a manager to their departments' replies.
        "chat.quickreply": ALL,
        "whatsapp.whatsappinstance": VIEW,
        "whatsapp.connectionlogentry": VIEW,
        # Campaign.visible_to narrows a manager to their departments' and their own campaigns.
        "campaigns.campaign": ALL,
        "campaigns.campaignmessage": ALL,
        "campaigns.campaignrecipient": VIEW,
        "notifications.notification": VIEW,
    },
    Role.AGENT: {
        "accounts.department": VIEW,
        "contacts.contact": VIEW,
        "contacts.tag": VIEW,
        "contacts.contactlist": VIEW,
        "chat.conversation": VIEW,
        "chat.message": VIEW,
        "chat.quickreply": VIEW,
        "notifications.notification": VIEW,
    },
}

ROLE_DESCRIPTIONS = {
    Role.ADMIN: _("Manages the whole company: users, departments, settings."),
    Role.MANAGER: _("Works in the admin on the departments they belong to."),
    Role.AGENT: _("Answers customers on the chat page and may view contacts."),
}


def sync_role_groups(group_model, permission_model):
    """Create the role groups and set their permissions to exactly the declaration above.

    Takes the models as arguments so the data migration can pass its historical ones.
    Permissions of apps not migrated yet are skipped; the post_migrate sync adds them.
    """
    for role, grants in ROLE_PERMISSIONS.items():
        group, _created = group_model.objects.get_or_create(name=GROUP_NAMES[role])
        wanted = {
            (label.split(".")[0], f"{action}_{label.split('.')[1]}")
            for label, actions in grants.items()
            for action in actions
        }
        candidates = permission_model.objects.filter(
            codename__in={codename for _app, codename in wanted}
        ).select_related("content_type")
        group.permissions.set(
            [p for p in candidates if (p.content_type.app_label, p.codename) in wanted]
        )
