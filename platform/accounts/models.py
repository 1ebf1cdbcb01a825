import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alrea.phones import format_phone, normalize_phone
from alrea.validators import colour_validator
from tenancy.models import Tenant, TenantOwned, TenantQuerySet


class SignaturePosition(models.TextChoices):
    BEFORE = "before", _("Above the message")
    AFTER = "after", _("Below the message")


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    MANAGER = "manager", _("Manager")
    AGENT = "agent", _("Agent")


class Department(TenantOwned):
    # Managers and agents see the departments they belong to (a department "is in" itself).
    visibility_department_field = "pk"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=100)
    colour = models.CharField(
        _("colour"),
        max_length=7,
        default="#10b981",
        validators=[colour_validator],
    )
    transfer_message = models.TextField(
        _("transfer message"),
        blank=True,
        help_text=_("Sent to the customer when a conversation is transferred here."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "name"],
                name="department_name_unique_per_tenant",
                violation_error_message=_("This company already has a department with this name."),
            )
        ]

    def __str__(self):
        return self.name


class UserQuerySet(TenantQuerySet):
    def visible_to(self, user):
        # Users have no department field of their own: managers see the people who share one
        # of their departments, agents only themselves.
        if user.is_superuser or getattr(user, "sees_whole_tenant", False):
            return super().visible_to(user)
        if not getattr(user, "tenant_id", None):
            return self.none()
        rows = self.for_tenant(user.tenant_id)
        if user.role == Role.MANAGER:
            return rows.filter(
                models.Q(departments__in=user.departments.values("pk")) | models.Q(pk=user.pk)
            ).distinct()
        return rows.filter(pk=user.pk)


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def _create(self, email, password, **fields):
        if not email:
            raise ValueError("Users need an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **fields):
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email, password=None, **fields):
        fields.pop("is_staff", None)  # staff status is derived, see User.is_staff
        fields.update(is_superuser=True, tenant=None, role="")
        return self._create(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in. Platform staff are superusers without a tenant; everyone else
    belongs to exactly one tenant and has one role."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(_("email"), unique=True)
    display_name = models.CharField(_("display name"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    tenant = models.ForeignKey(
        Tenant,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("company"),
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, blank=True)
    departments = models.ManyToManyField(
        Department, blank=True, related_name="members", verbose_name=_("departments")
    )
    is_active = models.BooleanField(_("active"), default=True)
    # The chat composer's signature (chat.signatures): empty means "*<display name>*:".
    chat_signature = models.CharField(
        _("chat signature"),
        max_length=100,
        blank=True,
        help_text=_("Added to chat messages the agent signs, e.g. *Alice*: (empty: the name)."),
    )
    chat_signature_position = models.CharField(
        _("signature position"),
        max_length=8,
        choices=SignaturePosition.choices,
        default=SignaturePosition.BEFORE,
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]
        constraints = [
            # Either platform staff (superuser, no tenant, no role) or a tenant member with a role.
            models.CheckConstraint(
                condition=models.Q(is_superuser=True, tenant__isnull=True)
                | models.Q(is_superuser=False, tenant__isnull=False, role__in=Role.values),
                name="user_is_staff_or_tenant_member",
                violation_error_message=_("A user needs a company and a role."),
            )
        ]

    def __str__(self):
        return self.display_name or self.email

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()
        if self.phone:
            self.phone = normalize_phone(self.phone)

    # Every active user with a tenant reaches the admin; what they see there is decided by the
    # permissions of their role. Deriving it keeps one source of truth (the role).
    @property
    def is_staff(self):
        return self.is_superuser or bool(self.tenant_id)

    @property
    def sees_whole_tenant(self):
        return self.role == Role.ADMIN

    @property
    def phone_display(self):
        return format_phone(self.phone)

    def get_full_name(self):
        return self.display_name or self.email

    def get_short_name(self):
        return (self.display_name or self.email).split()[0]
