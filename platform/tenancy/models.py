import uuid
import zoneinfo

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

DEFAULT_TIMEZONE = "America/Sao_Paulo"


def validate_timezone(value):
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


class Product(models.Model):
    class Code(models.TextChoices):
        FLOW = "flow", _("Flow (campaigns and chat)")
        SENSE = "sense", _("Sense (AI sentiment)")
        API = "api", _("API and webhooks")
        NOTIFICATIONS = "notifications", _("Notifications")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(_("code"), max_length=32, choices=Code.choices, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Plan(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), unique=True)
    description = models.TextField(_("description"), blank=True)
    products = models.ManyToManyField(Product, blank=True, verbose_name=_("products"))
    # Empty means unlimited.
    max_users = models.PositiveIntegerField(_("users"), null=True, blank=True)
    max_instances = models.PositiveIntegerField(_("WhatsApp instances"), null=True, blank=True)
    max_contacts = models.PositiveIntegerField(_("contacts"), null=True, blank=True)
    max_campaigns_per_month = models.PositiveIntegerField(
        _("campaigns per month"), null=True, blank=True
    )
    # Token API rate limits (api/throttling.py); empty means unlimited.
    api_requests_per_minute = models.PositiveIntegerField(
        _("API requests per minute (company)"),
        null=True,
        blank=True,
        default=600,
        help_text=_("All of the company's API keys together."),
    )
    api_requests_per_minute_per_key = models.PositiveIntegerField(
        _("API requests per minute (each key)"), null=True, blank=True, default=300
    )
    monthly_price = models.DecimalField(
        _("monthly price (R$)"), max_digits=10, decimal_places=2, default=0
    )
    is_active = models.BooleanField(_("available for new tenants"), default=True)

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["monthly_price", "name"]

    def __str__(self):
        return self.name


class Tenant(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        TRIAL = "trial", _("Trial")
        SUSPENDED = "suspended", _("Suspended")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=150)
    slug = models.SlugField(_("slug"), unique=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.TRIAL, db_index=True
    )
    timezone = models.CharField(
        _("time zone"), max_length=64, default=DEFAULT_TIMEZONE, validators=[validate_timezone]
    )
    country = models.CharField(
        _("country"),
        max_length=2,
        default="BR",
        help_text=_("Two-letter code; phone numbers without a country code are read as local."),
    )
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, verbose_name=_("plan"))
    suspended_reason = models.CharField(_("reason for suspension"), max_length=255, blank=True)
    opt_out_reply = models.TextField(
        _("reply to an opt-out"),
        blank=True,
        default=_("Done! You will not receive our campaign messages any more."),
        help_text=_("Sent when a customer answers SAIR, PARAR, STOP or CANCELAR. Empty: no reply."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def is_suspended(self):
        return self.status == self.Status.SUSPENDED


class TenantQuerySet(models.QuerySet):
    """The one way tenant data is read (DESIGN rule 1)."""

    def for_tenant(self, tenant):
        if tenant is None:
            return self.none()
        return self.filter(tenant=tenant)

    def visible_to(self, user):
        """What ``user`` may see: staff everything, a tenant admin the whole tenant, managers and
        agents the rows of their departments plus the rows assigned to them.

        Models opt in to department/owner narrowing with ``visibility_department_field`` and
        ``visibility_owner_field``; models without them are visible tenant-wide.
        """
        if user.is_superuser:
            return self
        if not getattr(user, "tenant_id", None):
            return self.none()
        rows = self.for_tenant(user.tenant_id)
        department_field = getattr(self.model, "visibility_department_field", None)
        owner_field = getattr(self.model, "visibility_owner_field", None)
        if user.sees_whole_tenant or not (department_field or owner_field):
            return rows
        allowed = Q(pk__in=[])
        if department_field:
            allowed |= Q(**{f"{department_field}__in": user.departments.values("pk")})
        if owner_field:
            allowed |= Q(**{owner_field: user.pk})
        return rows.filter(allowed)


class TenantOwned(models.Model):
    """Abstract base of every tenant-owned model."""

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, verbose_name=_("company"), db_index=True
    )

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True


class AddOn(TenantOwned):
    """Extra products or capacity sold on top of a tenant's plan."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("product")
    )
    extra_users = models.PositiveIntegerField(_("extra users"), default=0)
    extra_instances = models.PositiveIntegerField(_("extra WhatsApp instances"), default=0)
    extra_contacts = models.PositiveIntegerField(_("extra contacts"), default=0)
    extra_campaigns_per_month = models.PositiveIntegerField(
        _("extra campaigns per month"), default=0
    )
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("add-on")
        verbose_name_plural = _("add-ons")
        ordering = ["-created_at"]

    def __str__(self):
        parts = [str(self.product)] if self.product_id else []
        for field in (
            "extra_users",
            "extra_instances",
            "extra_contacts",
            "extra_campaigns_per_month",
        ):
            if getattr(self, field):
                parts.append(f"+{getattr(self, field)} {self._meta.get_field(field).verbose_name}")
        return ", ".join(parts) or str(_("empty add-on"))
