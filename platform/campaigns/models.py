"""Campaigns: who gets which message, from which numbers, at what pace, and how it went."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from tenancy.models import TenantOwned, TenantQuerySet


class CampaignQuerySet(TenantQuerySet):
    def with_counts(self):
        """Each campaign with ``<status>_count`` for every recipient status and ``total``,
        exact at the moment of the query (see campaigns.counters)."""
        from campaigns import counters

        return counters.annotate(self)


class Campaign(TenantOwned):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        RUNNING = "running", _("Running")
        PAUSED = "paused", _("Paused")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    class Rotation(models.TextChoices):
        ROUND_ROBIN = "round_robin", _("Round robin")
        BALANCED = "balanced", _("Least used today")
        HEALTH = "health", _("Best health")

    visibility_department_field = "department"
    visibility_owner_field = "created_by"
    objects = CampaignQuerySet.as_manager()

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=150)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    # Why a running campaign is not sending right now (no instance, window closed), or why it
    # paused itself; empty when it sends.
    status_reason = models.CharField(_("reason"), max_length=255, blank=True)
    # Paused by the engine (no number could send): resumed by it when a number comes back.
    auto_paused = models.BooleanField(default=False, editable=False)
    department = models.ForeignKey(
        "accounts.Department",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("department"),
        help_text=_("Managers of this department see and run the campaign."),
    )
    instances = models.ManyToManyField(
        "whatsapp.WhatsAppInstance", related_name="campaigns", verbose_name=_("WhatsApp numbers")
    )
    rotation = models.CharField(
        _("rotation"), max_length=16, choices=Rotation.choices, default=Rotation.ROUND_ROBIN
    )
    interval_min = models.PositiveIntegerField(
        _("minimum interval (s)"),
        default=20,
        help_text=_("Shortest wait between two messages of one number."),
    )
    interval_max = models.PositiveIntegerField(
        _("maximum interval (s)"),
        default=60,
        help_text=_("Longest wait between two messages of one number."),
    )
    daily_limit_per_instance = models.PositiveIntegerField(
        _("daily limit per number"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Empty: each number's own daily limit."),
    )
    window_days = models.JSONField(
        _("sending days"),
        default=list,
        blank=True,
        help_text=_("Weekdays (0 = Monday … 6 = Sunday); empty means every day."),
    )
    window_start = models.TimeField(_("sends from"), null=True, blank=True)
    window_end = models.TimeField(_("sends until"), null=True, blank=True)
    scheduled_at = models.DateTimeField(_("start at"), null=True, blank=True)
    min_health = models.PositiveSmallIntegerField(
        _("minimum health"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text=_("Numbers whose health falls below this are left out (0-100)."),
    )
    typing_presence = models.BooleanField(
        _("show 'typing…'"), default=True, help_text=_("Before each message, as a person would.")
    )
    # Audience, materialised into recipients when the campaign starts.
    audience_tags = models.ManyToManyField(
        "contacts.Tag", blank=True, related_name="+", verbose_name=_("tags")
    )
    audience_lists = models.ManyToManyField(
        "contacts.ContactList", blank=True, related_name="+", verbose_name=_("lists")
    )
    audience_filter = models.CharField(
        _("contacts filter"),
        max_length=2000,
        blank=True,
        help_text=_("A filter of the contacts list (its address after the '?')."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Per recipient status, the count up to the last fold; the moves since then are
    # CampaignCounterMove rows. Read the counts with ``with_counts()`` (see campaigns.counters).
    folded_pending = models.IntegerField(default=0, editable=False)
    folded_queued = models.IntegerField(default=0, editable=False)
    folded_sending = models.IntegerField(default=0, editable=False)
    folded_sent = models.IntegerField(default=0, editable=False)
    folded_delivered = models.IntegerField(default=0, editable=False)
    folded_read = models.IntegerField(default=0, editable=False)
    folded_replied = models.IntegerField(default=0, editable=False)
    folded_failed = models.IntegerField(default=0, editable=False)
    folded_skipped = models.IntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="campaign_tenant_created"),
            models.Index(fields=["status", "scheduled_at"], name="campaign_status_schedule"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(interval_min__lte=models.F("interval_max")),
                name="campaign_interval_min_le_max",
                violation_error_message=_(
                    "The minimum interval cannot be longer than the maximum."
                ),
            )
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        if bool(self.window_start) != bool(self.window_end):
            raise ValidationError(_("Give both ends of the sending window, or neither."))
        days = self.window_days or []
        if not isinstance(days, list) or any(d not in range(7) for d in days):
            raise ValidationError({"window_days": _("Weekdays are numbers from 0 to 6.")})

    def counts(self) -> dict[str, int]:
        """Recipients per status, exact now (one query)."""
        from campaigns import counters

        return counters.of(self.pk)


class CampaignMessage(TenantOwned):
    """One variation of the campaign's message; variations are used in turn."""

    objects = TenantQuerySet.as_manager()

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="variations")
    body = models.TextField(
        _("text"), help_text=_("Variables such as {{primeiro_nome}} are filled in per contact.")
    )
    media_url = models.URLField(_("media URL"), max_length=1000, blank=True)
    media_file = models.FileField(_("media file"), upload_to="campaigns/%Y/%m/", blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    times_used = models.PositiveIntegerField(_("times used"), default=0, editable=False)

    class Meta:
        verbose_name = _("message variation")
        verbose_name_plural = _("message variations")
        ordering = ["order", "id"]

    def __str__(self):
        return self.body[:60]


class CampaignRecipient(TenantOwned):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        READ = "read", _("Read")
        REPLIED = "replied", _("Replied")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")

    class SkipReason(models.TextChoices):
        OPTED_OUT = "opted_out", _("Opted out")
        INVALID_NUMBER = "invalid_number", _("Invalid number")
        NOT_ON_WHATSAPP = "not_on_whatsapp", _("Not on WhatsApp")
        CONTACT_DELETED = "contact_deleted", _("Contact deleted")

    objects = TenantQuerySet.as_manager()

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients")
    # A deleted contact leaves its recipient row (and the campaign's figures) as they were.
    contact = models.ForeignKey(
        "contacts.Contact",
        on_delete=models.SET_NULL,
        null=True,
        related_name="campaign_recipients",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    skip_reason = models.CharField(
        _("why skipped"), max_length=20, choices=SkipReason.choices, blank=True
    )
    instance = models.ForeignKey(
        "whatsapp.WhatsAppInstance",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent from"),
    )
    variation = models.ForeignKey(
        CampaignMessage,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("variation"),
    )
    provider_id = models.CharField(_("WhatsApp message id"), max_length=128, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # After a server or network error: not queued again before this (backoff).
    retry_at = models.DateTimeField(_("next try"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("sending since"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    skipped_at = models.DateTimeField(_("skipped at"), null=True, blank=True)

    class Meta:
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "contact"], name="campaign_recipient_once")
        ]
        indexes = [
            models.Index(fields=["campaign", "status"], name="recipient_campaign_status"),
            models.Index(fields=["tenant", "provider_id"], name="recipient_provider_id"),
            models.Index(fields=["contact", "-sent_at"], name="recipient_contact_sent"),
            # The reconciler's look for sends that never finished.
            models.Index(
                fields=["claimed_at"],
                name="recipient_sending",
                condition=models.Q(status="sending"),
            ),
        ]

    def __str__(self):
        return f"{self.contact} · {self.campaign}"


class CampaignEvent(TenantOwned):
    class Kind(models.TextChoices):
        STARTED = "started", _("Started")
        SCHEDULED = "scheduled", _("Scheduled")
        PAUSED = "paused", _("Paused")
        RESUMED = "resumed", _("Resumed")
        CANCELLED = "cancelled", _("Cancelled")
        COMPLETED = "completed", _("Completed")
        INSTANCE_EXCLUDED = "instance_excluded", _("Number left out")
        LIMIT_REACHED = "limit_reached", _("Daily limit reached")
        WINDOW_CLOSED = "window_closed", _("Outside the sending window")
        RECIPIENTS_ADDED = "recipients_added", _("Recipients added")
        TEST_SENT = "test_sent", _("Test message sent")
        ERROR = "error", _("Error")

    objects = TenantQuerySet.as_manager()

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("event"), max_length=32, choices=Kind.choices)
    detail = models.CharField(_("detail"), max_length=255, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("campaign event")
        verbose_name_plural = _("campaign events")
        ordering = ["-at"]
        indexes = [models.Index(fields=["campaign", "-at"], name="campaign_event_at")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


class CampaignCounterMove(models.Model):
    """Recipients that moved between two statuses, not yet folded into their campaign's
    counters (campaigns.counters). Internal bookkeeping: never shown, reached only through its
    campaign, so it carries no tenant of its own."""

    id = models.BigAutoField(primary_key=True)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    from_status = models.CharField(max_length=16, blank=True)  # "" for recipients added
    to_status = models.CharField(max_length=16)
    rows = models.IntegerField()

    def __str__(self):
        return f"{self.from_status or '+'} → {self.to_status}: {self.rows}"
