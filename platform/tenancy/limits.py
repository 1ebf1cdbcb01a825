"""What a tenant may use: products in its plan and add-ons, and capacity left under its limits.

Each app that owns a limited resource registers how to count it (``register_usage``) in its
AppConfig.ready, so this module never imports the apps it answers for.
"""

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, ExpressionWrapper, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenancy.models import AddOn, Plan, Product, Tenant


class Resource(models.TextChoices):
    USERS = "users", _("users")
    INSTANCES = "instances", _("WhatsApp instances")
    CONTACTS = "contacts", _("contacts")
    CAMPAIGNS_PER_MONTH = "campaigns_per_month", _("campaigns this month")


_PLAN_FIELD = {
    Resource.USERS: "max_users",
    Resource.INSTANCES: "max_instances",
    Resource.CONTACTS: "max_contacts",
    Resource.CAMPAIGNS_PER_MONTH: "max_campaigns_per_month",
}
_ADDON_FIELD = {
    Resource.USERS: "extra_users",
    Resource.INSTANCES: "extra_instances",
    Resource.CONTACTS: "extra_contacts",
    Resource.CAMPAIGNS_PER_MONTH: "extra_campaigns_per_month",
}
_usage_counters: dict[str, Callable[[Tenant], int]] = {}


class PlanLimitError(ValidationError):
    """The tenant's plan does not allow what was asked. The message is shown to the user."""


class TenantSuspendedError(PlanLimitError):
    pass


def register_usage(resource: Resource, counter: Callable[[Tenant], int]) -> None:
    _usage_counters[resource] = counter


def _active_addons(tenant: Tenant):
    return AddOn.objects.for_tenant(tenant).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    )


def has_product(tenant: Tenant, code: str) -> bool:
    return (
        tenant.plan.products.filter(code=code).exists()
        or _active_addons(tenant).filter(product__code=code).exists()
    )


def has_product_expression(code: str, tenant_path: str = "tenant"):
    """``has_product`` as a boolean SQL expression over the row's ``tenant_path``, so a query
    that loads a tenant-owned row can answer it in the same statement."""
    tenant = OuterRef(tenant_path)
    in_plan = Plan.products.through.objects.filter(
        plan=OuterRef(f"{tenant_path}__plan"), product__code=code
    )
    add_on = AddOn.objects.filter(tenant=tenant, product__code=code).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    )
    return ExpressionWrapper(Exists(in_plan) | Exists(add_on), output_field=models.BooleanField())


def require_product(tenant: Tenant, code: str) -> None:
    require_active(tenant)
    if not has_product(tenant, code):
        raise PlanLimitError(
            _("Your plan (%(plan)s) does not include %(product)s. Ask us to add it."),
            code="product_not_in_plan",
            params={"plan": tenant.plan.name, "product": Product.Code(code).label},
        )


def limit(tenant: Tenant, resource: Resource) -> int | None:
    """The tenant's limit for ``resource`` (plan plus add-ons), or None when unlimited."""
    base = getattr(tenant.plan, _PLAN_FIELD[resource])
    if base is None:
        return None
    extra = _active_addons(tenant).aggregate(n=Sum(_ADDON_FIELD[resource]))["n"] or 0
    return base + extra


def usage(tenant: Tenant, resource: Resource) -> int:
    try:
        counter = _usage_counters[resource]
    except KeyError:
        raise LookupError(f"No usage counter registered for {resource}.") from None
    return counter(tenant)


def remaining(tenant: Tenant, resource: Resource) -> int | None:
    """How many more ``resource`` the tenant may add, or None when unlimited."""
    allowed = limit(tenant, resource)
    if allowed is None:
        return None
    return max(allowed - usage(tenant, resource), 0)


def require_capacity(tenant: Tenant, resource: Resource, adding: int = 1) -> None:
    """Raise PlanLimitError unless the tenant may add ``adding`` more of ``resource``.

    Inside a transaction, call it after locking the tenant row (``lock_tenant``) so two
    concurrent additions cannot both pass the check.
    """
    require_active(tenant)
    left = remaining(tenant, resource)
    if left is not None and adding > left:
        raise PlanLimitError(
            _(
                "Your plan (%(plan)s) allows %(limit)s %(resource)s and %(left)s more fit; "
                "you tried to add %(adding)s."
            ),
            code="plan_limit",
            params={
                "plan": tenant.plan.name,
                "limit": limit(tenant, resource),
                "resource": Resource(resource).label,
                "left": left,
                "adding": adding,
            },
        )


def lock_tenant(tenant: Tenant) -> Tenant:
    # Row lock: serialises limit checks of concurrent additions for one tenant.
    return Tenant.objects.select_for_update().select_related("plan").get(pk=tenant.pk)


def require_active(tenant: Tenant) -> None:
    """Suspended tenants cannot log in, send or grow."""
    if tenant.is_suspended:
        raise TenantSuspendedError(
            _("The account of %(tenant)s is suspended. Contact support."),
            code="tenant_suspended",
            params={"tenant": tenant.name},
        )
