from django.contrib import admin

from admin_ext.tenant_admin import TenantModelAdmin
from tests.scoping_app.models import Ticket


@admin.register(Ticket)
class TicketAdmin(TenantModelAdmin):
    list_display = ["title", "department", "assigned_to", "tenant"]
    list_filter = ["tenant", "department", "assigned_to"]
    search_fields = ["title"]
    autocomplete_fields = ["assigned_to"]
    actions = ["mark_urgent"]

    @admin.action(description="Mark urgent")
    def mark_urgent(self, request, queryset):
        queryset.update(title="URGENT")
