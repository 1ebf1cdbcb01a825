import zoneinfo

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from unfold.admin import ModelAdmin
from unfold.decorators import action, display
from unfold.widgets import UnfoldAdminSelectWidget

from admin_ext.permissions import SuperuserOnlyAdmin
from admin_ext.tenant_admin import MissingObjectIs404, TenantModelAdmin
from tenancy import services
from tenancy.models import AddOn, Plan, Product, Tenant


@admin.register(Product)
class ProductAdmin(SuperuserOnlyAdmin, ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(Plan)
class PlanAdmin(SuperuserOnlyAdmin, ModelAdmin):
    list_display = [
        "name",
        "monthly_price",
        "max_users",
        "max_instances",
        "max_contacts",
        "max_campaigns_per_month",
        "is_active",
    ]
    list_filter = ["is_active", "products"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["products"]


@admin.register(Tenant)
class TenantAdmin(MissingObjectIs404, ModelAdmin):
    """Platform staff manage every company; a tenant admin sees and edits only their own
    company's name and time zone."""

    list_display = ["name", "slug", "status_badge", "plan", "timezone", "created_at"]
    list_filter = ["status", "plan"]
    list_select_related = ["plan"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    actions = ["suspend_selected", "reactivate_selected"]
    staff_only_fields = ["slug", "status", "plan", "suspended_reason"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(pk=request.user.tenant_id)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "timezone":
            # A list to pick from: a typo in a time zone would shift every time shown.
            return forms.ChoiceField(
                label=db_field.verbose_name,
                choices=[(zone, zone) for zone in sorted(zoneinfo.available_timezones())],
                initial=db_field.default,
                widget=UnfoldAdminSelectWidget,
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_prepopulated_fields(self, request, obj=None):
        return self.prepopulated_fields if request.user.is_superuser else {}

    def get_readonly_fields(self, request, obj=None):
        if not request.user.is_superuser:
            return self.staff_only_fields
        # Suspension goes through its actions (services.suspend / reactivate), not the form.
        return ["status", "suspended_reason"] if obj else []

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    @display(
        description=_("status"),
        label={
            Tenant.Status.ACTIVE: "success",
            Tenant.Status.TRIAL: "info",
            Tenant.Status.SUSPENDED: "danger",
        },
    )
    def status_badge(self, obj):
        return obj.status, obj.get_status_display()

    @action(description=_("Suspend selected companies"), permissions=["suspend"])
    def suspend_selected(self, request, queryset):
        for tenant in queryset:
            services.suspend(tenant, reason=str(_("Suspended by platform staff")), by=request.user)
        self.message_user(
            request,
            ngettext(
                "%(count)d company suspended.", "%(count)d companies suspended.", len(queryset)
            )
            % {"count": len(queryset)},
            messages.WARNING,
        )

    @action(description=_("Reactivate selected companies"), permissions=["suspend"])
    def reactivate_selected(self, request, queryset):
        for tenant in queryset:
            services.reactivate(tenant, by=request.user)
        self.message_user(
            request,
            ngettext(
                "%(count)d company reactivated.", "%(count)d companies reactivated.", len(queryset)
            )
            % {"count": len(queryset)},
        )

    def has_suspend_permission(self, request):
        return request.user.is_superuser


class StaffEditsOnly:
    """Tenant users may look (their role permitting) but only platform staff change."""

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(AddOn)
class AddOnAdmin(StaffEditsOnly, TenantModelAdmin):
    """Add-ons are sold by platform staff; tenant admins can see what they have."""

    list_display = [
        "__str__",
        "tenant",
        "product",
        "extra_users",
        "extra_instances",
        "extra_contacts",
        "extra_campaigns_per_month",
        "expires_at",
    ]
    list_filter = ["tenant", "product"]
    list_select_related = ["tenant", "product"]
