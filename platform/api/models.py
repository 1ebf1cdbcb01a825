import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alrea.encryption import EncryptedTextField
from tenancy.models import TenantOwned


class ApiKey(TenantOwned):
    """A tenant's credential for the token API.

    The key itself is never stored: ``prefix`` (public, shown in the admin and in logs) finds
    the row, ``key_hash`` (SHA-256 of the whole key) proves it. Keys carry 256 random bits, so
    a fast hash is enough; a slow password hash would only slow every request.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(
        _("name"), max_length=100, help_text=_("Who uses it, e.g. “ERP” or “Online store”.")
    )
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    expires_at = models.DateTimeField(
        _("expires at"), null=True, blank=True, help_text=_("Empty: never expires.")
    )
    allowed_ips = models.JSONField(
        _("allowed IP addresses"),
        default=list,
        blank=True,
        help_text=_("Addresses or networks (CIDR) the key may be used from. Empty: any."),
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    last_used_ip = models.GenericIPAddressField(
        _("last used from"), null=True, blank=True, editable=False
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, now=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    def allows(self, scope: str) -> bool:
        return scope in self.scopes


class IdempotentRequest(TenantOwned):
    """The first answer to a POST sent with an ``Idempotency-Key`` header, replayed to retries.

    A row without ``status_code`` is a request still running: a retry arriving meanwhile is told
    so (409) instead of running it twice.
    """

    id = models.BigAutoField(primary_key=True)
    key = models.CharField(max_length=255)
    # Method, path and SHA-256 of the body: the same key with another request is an error.
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], name="idempotency_key_per_tenant")
        ]


def new_signing_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


class WebhookSubscription(TenantOwned):
    """Where an integrator wants our events, and the secret their deliveries are signed with."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    url = models.URLField(_("URL"), max_length=1000)
    events = models.JSONField(_("events"), default=list)
    description = models.CharField(_("description"), max_length=200, blank=True)
    # Shared with the integrator (shown when the subscription is created) to check signatures.
    secret = EncryptedTextField(default=new_signing_secret, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    disabled_reason = models.CharField(
        _("why it was disabled"),
        max_length=255,
        blank=True,
        editable=False,
        help_text=_("Set when deliveries kept failing and we stopped sending."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["-created_at"]

    def __str__(self):
        return self.url


class WebhookDelivery(TenantOwned):
    """One event for one subscription: what we sent, every attempt's outcome, what comes next.

    ``next_attempt_at`` is when the row is due (the minutely sweep publishes due rows again);
    while an attempt runs it is pushed a lease ahead, so no second consumer sends it meanwhile.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed, will retry")
        GIVEN_UP = "given_up", _("given up")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subscription = models.ForeignKey(
        WebhookSubscription,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("subscription"),
    )
    event = models.CharField(_("event"), max_length=40)
    # The JSON object sent (id, event, created_at, data); signed as compact JSON.
    payload = models.JSONField(_("request body"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    response_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    response_excerpt = models.TextField(_("response body (start)"), blank=True)
    error = models.TextField(_("error"), blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="webhookdelivery_tenant_new"),
            models.Index(fields=["tenant", "status", "-created_at"], name="webhookdelivery_status"),
            models.Index(fields=["tenant", "event", "-created_at"], name="webhookdelivery_event"),
            models.Index(fields=["subscription", "-created_at"], name="webhookdelivery_sub_new"),
            models.Index(fields=["subscription", "-completed_at"], name="webhookdelivery_sub_done"),
            models.Index(fields=["completed_at"], name="webhookdelivery_done"),  # the purge
            # The sweep's question: which unfinished rows are due?
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status__in=["pending", "failed"]),
                name="webhookdelivery_due",
            ),
        ]

    def __str__(self):
        return f"{self.event} → {self.subscription_id}"
