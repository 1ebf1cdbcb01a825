import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenancy.models import TenantOwned, TenantQuerySet


class NotificationQuerySet(TenantQuerySet):
    def visible_to(self, user):
        """A notification is personal: its user sees it, nobody else in the tenant does (not even
        the tenant's admins). Platform staff see every row, as everywhere in the admin."""
        if user.is_superuser:
            return self
        if not getattr(user, "tenant_id", None):
            return self.none()
        return self.for_tenant(user.tenant_id).filter(user=user)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(TenantOwned):
    class Kind(models.TextChoices):
        CONVERSATION_ASSIGNED = "conversation_assigned", _("Conversation assigned to you")
        CONVERSATION_TRANSFERRED = "conversation_transferred", _("Conversation transferred")
        CONVERSATION_WAITING = "conversation_waiting", _("Conversation waiting")
        FOLLOW_UP = "follow_up", _("Follow-up")
        INSTANCE_DISCONNECTED = "instance_disconnected", _("WhatsApp number disconnected")
        CAMPAIGN_FINISHED = "campaign_finished", _("Campaign finished")
        CAMPAIGN_PAUSED = "campaign_paused", _("Campaign paused")
        IMPORT_FINISHED = "import_finished", _("Import finished")
        WEBHOOK_DISABLED = "webhook_disabled", _("Webhook disabled")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=255)
    body = models.TextField(_("text"), blank=True)
    # A path inside the site (the conversation, campaign or import page); empty: nothing to open.
    link = models.CharField(_("link"), max_length=500, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        indexes = [
            # The admin list and the bell's latest: a user's notifications, newest first.
            models.Index(fields=["user", "-created_at"], name="notification_user_newest"),
            # The unread count and "unread, newest first": only the unread rows, so it stays
            # small however many read notifications a user keeps.
            models.Index(
                fields=["user", "-created_at"],
                condition=Q(read_at__isnull=True),
                name="notification_user_unread",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
