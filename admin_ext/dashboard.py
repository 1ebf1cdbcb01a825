"""The admin's front page. This issue lays out the company and plan cards; later issues add
campaign, chat and delivery figures."""

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from accounts.models import Department
from tenancy import limits
from tenancy.models import Tenant


def _usage_rows(tenant):
    rows = []
    for resource in limits.Resource:
        try:
            used = limits.usage(tenant, resource)
        except LookupError:  # the app that owns this resource is not installed yet
            continue
        allowed = limits.limit(tenant, resource)
        rows.append(
            {
                "title": resource.label.capitalize(),
                "used": used,
                "limit": allowed,
                "percent": min(round(100 * used / allowed), 100) if allowed else 0,
            }
        )
    return rows


def dashboard_callback(request, context):
    user = request.user
    if user.is_superuser:
        by_status = dict(Tenant.objects.values_list("status").annotate(n=Count("pk")).order_by())
        context["kpis"] = [
            {"title": label, "value": by_status.get(value, 0)}
            for value, label in Tenant.Status.choices
        ]
        context["dashboard_title"] = _("Platform")
        return context
    tenant = user.tenant
    context["dashboard_title"] = tenant.name
    context["kpis"] = [
        {"title": _("Plan"), "value": tenant.plan.name},
        {"title": _("Status"), "value": tenant.get_status_display()},
        {
            "title": _("Departments"),
            "value": Department.objects.visible_to(user).count(),
        },
    ]
    context["usage"] = _usage_rows(tenant)
    return context
