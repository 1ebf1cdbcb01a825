import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from alrea.validators import colour_validator
from tenancy.models import TenantOwned


class UF(models.TextChoices):
    AC = "AC", "Acre"
    AL = "AL", "Alagoas"
    AP = "AP", "Amapá"
    AM = "AM", "Amazonas"
    BA = "BA", "Bahia"
    CE = "CE", "Ceará"
    DF = "DF", "Distrito Federal"
    ES = "ES", "Espírito Santo"
    GO = "GO", "Goiás"
    MA = "MA", "Maranhão"
    MT = "MT", "Mato Grosso"
    MS = "MS", "Mato Grosso do Sul"
    MG = "MG", "Minas Gerais"
    PA = "PA", "Pará"
    PB = "PB", "Paraíba"
    PR = "PR", "Paraná"
    PE = "PE", "Pernambuco"
    PI = "PI", "Piauí"
    RJ = "RJ", "Rio de Janeiro"
    RN = "RN", "Rio Grande do Norte"
    RS = "RS", "Rio Grande do Sul"
    RO = "RO", "Rondônia"
    RR = "RR", "Roraima"
    SC = "SC", "Santa Catarina"
    SP = "SP", "São Paulo"
    SE = "SE", "Sergipe"
    TO = "TO", "Tocantins"


class Tag(TenantOwned):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=60)
    colour = models.CharField(
        _("colour"), max_length=7, default="#6366f1", validators=[colour_validator]
    )
    # Kept incrementally by contacts.services (DESIGN rule 6), never recounted per page view.
    contact_count = models.PositiveIntegerField(_("contacts"), default=0, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "name"],
                name="tag_name_unique_per_tenant",
                violation_error_message=_("This company already has a tag with this name."),
            )
        ]

    def __str__(self):
        return self.name


class ContactList(TenantOwned):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    contact_count = models.PositiveIntegerField(_("contacts"), default=0, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("contact list")
        verbose_name_plural = _("contact lists")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "name"],
                name="contact_list_name_unique_per_tenant",
                violation_error_message=_("This company already has a list with this name."),
            )
        ]

    def __str__(self):
        return self.name


class Contact(TenantOwned):
    class Gender(models.TextChoices):
        FEMALE = "F", _("Female")
        MALE = "M", _("Male")
        OTHER = "O", _("Other")

    class Source(models.TextChoices):
        MANUAL = "manual", _("Manual")
        IMPORT = "import", _("Import")
        WHATSAPP = "whatsapp", _("WhatsApp")
        API = "api", _("API")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=20, help_text=_("Stored in E.164 form."))
    email = models.EmailField(_("email"), blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    state = models.CharField(_("state"), max_length=2, choices=UF.choices, blank=True)
    country = models.CharField(_("country"), max_length=2, default="BR")
    zip_code = models.CharField(_("ZIP code"), max_length=9, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    tags = models.ManyToManyField(Tag, through="ContactTag", blank=True, verbose_name=_("tags"))
    lists = models.ManyToManyField(
        ContactList, through="ListMembership", blank=True, verbose_name=_("lists")
    )
    opted_out = models.BooleanField(_("opted out"), default=False)
    opted_out_at = models.DateTimeField(_("opted out at"), null=True, blank=True)
    opt_out_reason = models.CharField(_("opt-out reason"), max_length=255, blank=True)
    source = models.CharField(
        _("source"), max_length=16, choices=Source.choices, default=Source.MANUAL
    )
    last_interaction_at = models.DateTimeField(_("last interaction"), null=True, blank=True)
    # What WhatsApp says about the number (pushName, picture); never overwrites `name`.
    whatsapp_name = models.CharField(_("WhatsApp name"), max_length=150, blank=True)
    profile_picture_url = models.URLField(_("profile picture"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "phone"],
                name="contact_phone_unique_per_tenant",
                violation_error_message=_("This company already has a contact with this phone."),
            )
        ]
        # Every admin filter and the default ordering have an index led by the tenant.
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="contact_tenant_created"),
            models.Index(fields=["tenant", "opted_out"], name="contact_tenant_opted_out"),
            models.Index(fields=["tenant", "state"], name="contact_tenant_state"),
            models.Index(fields=["tenant", "source"], name="contact_tenant_source"),
            # Search and custom-field filters use PostgreSQL-only indexes (trigram GIN on
            # name, email and phone; GIN on custom_fields), created by migration
            # 0002_search_indexes, which the embedded SQLite default skips.
        ]

    def __str__(self):
        return self.name or self.whatsapp_name or self.phone


class ContactTag(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contact", "tag"], name="contact_tag_unique")
        ]
        indexes = [models.Index(fields=["tag", "contact"], name="contact_tag_by_tag")]

    def __str__(self):
        return f"{self.contact_id} · {self.tag_id}"


class ListMembership(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE)
    contact_list = models.ForeignKey(ContactList, on_delete=models.CASCADE)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "contact_list"], name="list_membership_unique"
            )
        ]
        indexes = [models.Index(fields=["contact_list", "contact"], name="list_membership_by_list")]

    def __str__(self):
        return f"{self.contact_id} · {self.contact_list_id}"


class ContactEvent(TenantOwned):
    """The contact's timeline. Later issues add message and campaign events."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        IMPORTED = "imported", _("Imported")
        UPDATED = "updated", _("Updated")
        TAGGED = "tagged", _("Tagged")
        UNTAGGED = "untagged", _("Tag removed")
        LISTED = "listed", _("Added to a list")
        OPTED_OUT = "opted_out", _("Opted out")
        OPTED_IN = "opted_in", _("Opted in again")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="events", verbose_name=_("contact")
    )
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
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("contact event")
        verbose_name_plural = _("contact events")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["contact", "-created_at"], name="contact_event_timeline")]

    def __str__(self):
        return (
            f"{self.get_kind_display()}: {self.detail}" if self.detail else self.get_kind_display()
        )


class SpreadsheetJob(TenantOwned):
    """Common fields of an import or export: who, when, how far, and how it ended."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Waiting for confirmation")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.UPLOADED
    )
    total_rows = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    processed_rows = models.PositiveIntegerField(_("rows done"), default=0)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, round(100 * self.processed_rows / self.total_rows))

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


class ContactImport(SpreadsheetJob):
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    filename = models.CharField(_("file name"), max_length=255)
    mapping = models.JSONField(_("columns"), default=dict, blank=True)
    update_existing = models.BooleanField(
        _("update existing contacts"),
        default=True,
        help_text=_("Off: contacts whose phone already exists are skipped."),
    )
    tag_names = models.CharField(
        _("tag every imported contact"),
        max_length=255,
        blank=True,
        help_text=_("Tag names separated by ;"),
    )
    contact_list = models.ForeignKey(
        ContactList,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("add to list"),
    )
    counts = models.JSONField(_("result"), default=dict, blank=True)
    rejected_file = models.FileField(_("rejected rows"), upload_to="imports/rejected/", blank=True)

    class Meta(SpreadsheetJob.Meta):
        verbose_name = _("contact import")
        verbose_name_plural = _("contact imports")

    def __str__(self):
        return self.filename


class ContactExport(SpreadsheetJob):
    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    format = models.CharField(_("format"), max_length=4, choices=Format.choices)
    # The changelist's filters (its query string) or the ids of the selected contacts.
    query = models.CharField(_("filters"), max_length=2000, blank=True)
    selected_ids = models.JSONField(_("selected contacts"), default=list, blank=True)
    file = models.FileField(_("file"), upload_to="exports/%Y/%m/", blank=True)

    class Meta(SpreadsheetJob.Meta):
        verbose_name = _("contact export")
        verbose_name_plural = _("contact exports")

    def __str__(self):
        return f"{self.get_format_display()} · {self.created_at:%d/%m/%Y %H:%M}"
