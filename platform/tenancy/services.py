import logging

from tenancy.models import Tenant

logger = logging.getLogger(__name__)


def suspend(tenant: Tenant, *, reason: str = "", by=None) -> Tenant:
    """Suspend a tenant: its users are logged out at their next request and cannot log in,
    and sending services refuse its messages (``limits.require_active``)."""
    # One UPDATE statement: atomic on its own, whatever else runs concurrently.
    Tenant.objects.filter(pk=tenant.pk).update(
        status=Tenant.Status.SUSPENDED, suspended_reason=reason
    )
    tenant.refresh_from_db()
    logger.info("tenant suspended", extra={"tenant_id": str(tenant.pk), "by": str(by)})
    return tenant


def reactivate(tenant: Tenant, *, by=None) -> Tenant:
    # Compare-and-swap: only a suspended tenant becomes active (a trial stays a trial).
    Tenant.objects.filter(pk=tenant.pk, status=Tenant.Status.SUSPENDED).update(
        status=Tenant.Status.ACTIVE, suspended_reason=""
    )
    tenant.refresh_from_db()
    logger.info("tenant reactivated", extra={"tenant_id": str(tenant.pk), "by": str(by)})
    return tenant
