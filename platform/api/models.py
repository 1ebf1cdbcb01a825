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
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["-created_at"]

    def __str__(self):
        return self.url
