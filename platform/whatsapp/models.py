"""WhatsApp instances on an Evolution API server, their health, and the raw webhook log."""

import secrets
import uuid

from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alrea.encryption import EncryptedTextField
from tenancy.models import Tenant, TenantOwned, TenantQuerySet


def new_webhook_secret() -> str:
    return secrets.token_urlsafe(32)


class EvolutionServer(models.Model):
    """An Evolution API server other than the default one of the settings (platform staff)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=100, unique=True)
    base_url = models.URLField(_("base URL"), help_text=_("For example https://evo.example.com"))
    api_key = EncryptedTextField(
        _("global API key"), help_text=_("AUTHENTICATION_API_KEY of that server.")
    )
    tenants = models.ManyToManyField(
        Tenant,
        through="ServerAssignment",
        blank=True,
        related_name="evolution_servers",
        verbose_name=_("companies"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Evolution server")
        verbose_name_plural = _("Evolution servers")
        ordering = ["name"]

    def __str__(self):
        return self.name


class ServerAssignment(models.Model):
    """Which server a tenant's new instances are created on (at most one per tenant)."""

    tenant = models.OneToOneField(
        Tenant, on_delete=models.CASCADE, related_name="evolution_assignment"
    )
    server = models.ForeignKey(EvolutionServer, on_delete=models.CASCADE)

    class Meta:
        verbose_name = _("company using this server")
        verbose_name_plural = _("companies using this server")

    def __str__(self):
        return f"{self.tenant} → {self.server}"


class ConnectionState(models.TextChoices):
    OPEN = "open", _("Connected")
    CONNECTING = "connecting", _("Connecting")
    CLOSE = "close", _("Disconnected")
    # Evolution's state after too many unscanned QR codes (statusReason 428).
    REFUSED = "refused", _("Refused")


class WhatsAppInstance(TenantOwned):
    objects = TenantQuerySet.as_manager()

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=100)
    evolution_name = models.CharField(
        _("Evolution instance name"),
        max_length=100,
        unique=True,
        help_text=_("The name the Evolution server knows this instance by."),
    )
    evolution_id = models.CharField(_("Evolution instance id"), max_length=64, blank=True)
    server = models.ForeignKey(
        EvolutionServer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("Evolution server"),
        help_text=_("Empty: the platform's default server."),
    )
    # The instance token Evolution returned at creation; it authorises calls on this instance
    # only. Encrypted, never shown and never logged.
    token = EncryptedTextField(_("instance token"), blank=True, editable=False)
    # Sent by Evolution in a webhook header (or as the jwt_key of a signed JWT): proves that a
    # webhook comes from this instance's configuration.
    webhook_secret = EncryptedTextField(default=new_webhook_secret, editable=False)
    phone_number = models.CharField(_("phone number"), max_length=20, blank=True)
    profile_name = models.CharField(_("WhatsApp profile name"), max_length=150, blank=True)
    profile_picture_url = models.URLField(_("profile picture"), max_length=1000, blank=True)
    state = models.CharField(
        _("connection"),
        max_length=16,
        choices=ConnectionState.choices,
        default=ConnectionState.CLOSE,
    )
    state_reason = models.PositiveIntegerField(
        _("reason code"), null=True, blank=True, help_text=_("Evolution's statusReason.")
    )
    state_changed_at = models.DateTimeField(_("state changed at"), null=True, blank=True)
    qr_code = models.TextField(_("last QR code"), blank=True, help_text=_("A data: URI image."))
    pairing_code = models.CharField(_("pairing code"), max_length=16, blank=True)
    qr_updated_at = models.DateTimeField(_("QR code updated at"), null=True, blank=True)
    default_department = models.ForeignKey(
        "accounts.Department",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("default department"),
        help_text=_("New conversations go here; empty means the Inbox."),
    )
    daily_send_limit = models.PositiveIntegerField(
        _("daily send limit"),
        default=1000,
        validators=[MinValueValidator(1)],
        help_text=_("Campaign messages per day; protects the number from being banned."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    consecutive_errors = models.PositiveIntegerField(_("consecutive send errors"), default=0)
    # Campaign pacing: the earliest moment this number may send its next campaign message.
    next_send_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When a campaign last took it: round robin takes the number that waited longest.
    last_taken_at = models.DateTimeField(null=True, blank=True, editable=False)
    health_score = models.PositiveSmallIntegerField(_("health"), default=100)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("WhatsApp instance")
        verbose_name_plural = _("WhatsApp instances")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "name"],
                name="instance_name_unique_per_tenant",
                violation_error_message=_("This company already has an instance with this name."),
            )
        ]

    def __str__(self):
        return self.name

    @property
    def is_connected(self) -> bool:
        return self.state == ConnectionState.OPEN


class InstanceDailyStats(TenantOwned):
    """One row per instance and day, counters moved with F(): never recounted from messages."""

    objects = TenantQuerySet.as_manager()

    instance = models.ForeignKey(
        WhatsAppInstance, on_delete=models.CASCADE, related_name="daily_stats"
    )
    day = models.DateField(_("day"))
    sent = models.PositiveIntegerField(_("sent"), default=0)
    delivered = models.PositiveIntegerField(_("delivered"), default=0)
    read = models.PositiveIntegerField(_("read"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)

    class Meta:
        verbose_name = _("daily statistics")
        verbose_name_plural = _("daily statistics")
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["instance", "day"], name="instance_stats_one_per_day")
        ]

    def __str__(self):
        return f"{self.instance} {self.day}"


class ConnectionLogEntry(TenantOwned):
    objects = TenantQuerySet.as_manager()

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    instance = models.ForeignKey(
        WhatsAppInstance, on_delete=models.CASCADE, related_name="connection_log"
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    state = models.CharField(_("connection"), max_length=16, choices=ConnectionState.choices)
    reason = models.PositiveIntegerField(_("reason code"), null=True, blank=True)
    detail = models.CharField(_("detail"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("connection log entry")
        verbose_name_plural = _("connection log")
        ordering = ["-at"]
        indexes = [models.Index(fields=["instance", "-at"], name="connlog_instance_at")]

    def __str__(self):
        return f"{self.instance} {self.state} {self.at:%Y-%m-%d %H:%M}"


class WebhookEvent(TenantOwned):
    """Every authenticated webhook call, as received: the audit trail and the replay source."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Waiting to be applied")
        PROCESSED = "processed", _("Processed")
        # A status update for a message that has not arrived yet: applied when it does.
        DEFERRED = "deferred", _("Waiting for its message")
        IGNORED = "ignored", _("Ignored")
        FAILED = "failed", _("Failed")

    objects = TenantQuerySet.as_manager()

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    instance = models.ForeignKey(
        WhatsAppInstance,
        on_delete=models.CASCADE,
        related_name="webhook_events",
        verbose_name=_("instance"),
    )
    event = models.CharField(_("event"), max_length=64)
    # Redeliveries of one event share this key (see whatsapp.webhooks.dedup_key).
    dedup_key = models.CharField(max_length=128)
    # For deferred events: the WhatsApp message id they wait for.
    waits_for = models.CharField(max_length=128, blank=True)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.RECEIVED
    )
    error = models.TextField(_("error"), blank=True)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    deliveries = models.PositiveIntegerField(
        _("deliveries"), default=1, help_text=_("Redeliveries of the same event are counted.")
    )

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["instance", "dedup_key"], name="webhook_event_once_per_instance"
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "-received_at"], name="webhook_event_tenant_recv"),
            models.Index(fields=["received_at"], name="webhook_event_received"),
            # The worker's queue: received rows, oldest first.
            models.Index(
                fields=["received_at"],
                name="webhook_event_pending",
                condition=models.Q(status="received"),
            ),
            models.Index(
                fields=["instance", "waits_for"],
                name="webhook_event_deferred",
                condition=models.Q(status="deferred"),
            ),
        ]

    def __str__(self):
        return f"{self.event} {self.received_at:%Y-%m-%d %H:%M:%S}"
