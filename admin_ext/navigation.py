"""The admin sidebar, grouped by product.

Each later app adds its entries to ``SECTIONS`` (admin URL names). An entry is shown to a user
who may view that model; a section with nothing to show is left out.
"""

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

# (section title, [(item title, material icon, admin url name, "app_label.model"), ...])
SECTIONS = [
    (
        _("Contacts"),
        [
            (_("Contacts"), "contacts", "admin:contacts_contact_changelist", "contacts.contact"),
            (_("Tags"), "label", "admin:contacts_tag_changelist", "contacts.tag"),
            (_("Lists"), "list", "admin:contacts_contactlist_changelist", "contacts.contactlist"),
            (
                _("Imports"),
                "upload_file",
                "admin:contacts_contactimport_changelist",
                "contacts.contactimport",
            ),
            (
                _("Exports"),
                "download",
                "admin:contacts_contactexport_changelist",
                "contacts.contactexport",
            ),
        ],
    ),
    (
        _("Campaigns"),
        [
            (
                _("Campaigns"),
                "campaign",
                "admin:campaigns_campaign_changelist",
                "campaigns.campaign",
            ),
            (
                _("Recipients"),
                "group",
                "admin:campaigns_campaignrecipient_changelist",
                "campaigns.campaignrecipient",
            ),
        ],
    ),
    (
        _("Chat"),
        [
            (
                _("Conversations"),
                "forum",
                "admin:chat_conversation_changelist",
                "chat.conversation",
            ),
            (_("Messages"), "chat", "admin:chat_message_changelist", "chat.message"),
            (
                _("Quick replies"),
                "quickreply",
                "admin:chat_quickreply_changelist",
                "chat.quickreply",
            ),
        ],
    ),
    (
        _("WhatsApp"),
        [
            (
                _("Instances"),
                "smartphone",
                "admin:whatsapp_whatsappinstance_changelist",
                "whatsapp.whatsappinstance",
            ),
            (
                _("Evolution servers"),
                "dns",
                "admin:whatsapp_evolutionserver_changelist",
                "whatsapp.evolutionserver",
            ),
            (
                _("Webhook events"),
                "webhook",
                "admin:whatsapp_webhookevent_changelist",
                "whatsapp.webhookevent",
            ),
        ],
    ),
    (
        _("Settings"),
        [
            (_("Company"), "apartment", "admin:tenancy_tenant_changelist", "tenancy.tenant"),
            (_("Users"), "group", "admin:accounts_user_changelist", "accounts.user"),
            (
                _("Departments"),
                "lan",
                "admin:accounts_department_changelist",
                "accounts.department",
            ),
            (_("Add-ons"), "extension", "admin:tenancy_addon_changelist", "tenancy.addon"),
            (_("API keys"), "key", "admin:api_apikey_changelist", "api.apikey"),
            (
                _("Webhooks"),
                "webhook",
                "admin:api_webhooksubscription_changelist",
                "api.webhooksubscription",
            ),
            (
                _("Webhook deliveries"),
                "send",
                "admin:api_webhookdelivery_changelist",
                "api.webhookdelivery",
            ),
        ],
    ),
    (
        _("Platform"),
        [
            (_("Plans"), "sell", "admin:tenancy_plan_changelist", "tenancy.plan"),
            (_("Products"), "category", "admin:tenancy_product_changelist", "tenancy.product"),
            (_("Role groups"), "admin_panel_settings", "admin:auth_group_changelist", "auth.group"),
            (
                _("Scheduled jobs"),
                "schedule",
                "admin:django_q_schedule_changelist",
                "django_q.schedule",
            ),
            (_("Queued jobs"), "pending", "admin:django_q_ormq_changelist", "django_q.ormq"),
            (
                _("Successful jobs"),
                "task_alt",
                "admin:django_q_success_changelist",
                "django_q.success",
            ),
            (_("Failed jobs"), "error", "admin:django_q_failure_changelist", "django_q.failure"),
        ],
    ),
]


def _can_view(user, model_label: str) -> bool:
    app_label, model = model_label.split(".")
    return user.has_perm(f"{app_label}.view_{model}") or user.has_perm(
        f"{app_label}.change_{model}"
    )


def _link(url_name: str) -> str | None:
    try:
        return reverse(url_name)
    except NoReverseMatch:  # e.g. the ORM queue admin only exists with the ORM broker
        return None


def sidebar(request):
    dashboard = [{"title": _("Overview"), "icon": "dashboard", "link": reverse("admin:index")}]
    if _can_view(request.user, "notifications.notification"):
        dashboard.append(
            {
                "title": _("Notifications"),
                "icon": "notifications",
                "link": reverse("admin:notifications_notification_changelist"),
            }
        )
    if request.user.tenant_id and _can_view(request.user, "chat.conversation"):
        dashboard.append({"title": _("Chat"), "icon": "forum", "link": reverse("chat:page")})
    navigation = [{"title": _("Dashboard"), "items": dashboard}]
    for title, entries in SECTIONS:
        items = [
            {"title": item_title, "icon": icon, "link": link}
            for item_title, icon, url_name, model_label in entries
            if _can_view(request.user, model_label) and (link := _link(url_name))
        ]
        if items:
            navigation.append({"title": title, "items": items})
    return navigation


def environment_badge(request):
    if settings.PRODUCTION:
        return None
    return [_("Development"), "warning"]
